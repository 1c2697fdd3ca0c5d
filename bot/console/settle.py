"""Knowing when the bot has finished reacting to a line, so a script's next line sees the result.

The bot is asynchronous (ack first, pre-flight and replies after; workers on their own clocks),
so "done" is observed, never assumed: the database has no unsent outbox rows and no request the
workers still own (approved, executing, detaching, attaching, or pending past its expiry), no ECS
call is in progress, and neither simulator has seen a call for a short quiet spell. Pending and
stuck are resting states: they wait for a person, so a script goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox.models import OutboxMessage
from bot.requests.models import DetachRequest
from bot.requests.states import IN_FLIGHT, Status
from bot.sim.ecs.auth import WireRequest
from bot.sim.ecs.render import Reply
from bot.sim.ecs.service import EcsService
from bot.sim.slack.records import RecordedCall

__all__ = ["Activity", "CountingEcsService", "CountingExecutor", "Settler", "busy_work"]

P = ParamSpec("P")
T = TypeVar("T")

# Statuses the workers move on without anyone's help: what they own, less stuck (which waits
# for a person), plus approved (the executor's to pick up). Derived, so a new in-flight status
# (0.2's attaching) is waited for without touching the console.
_WORKING = tuple(sorted(s.value for s in (IN_FLIGHT - {Status.STUCK}) | {Status.APPROVED}))
_POLL = 0.05


class Activity:
    """When the bot last did something visible, and how much of its work is in progress.

    In progress: ECS calls at the simulator, the ECS client's backoff between attempts, and
    Bolt listeners still working after their ack. An ECS call counts only while it lasts: the
    poller keeps asking about stuck ENIs, and that steady traffic must not keep a script waiting.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._slack_calls = 0
        self._in_flight = 0

    def slack_call(self, _call: RecordedCall) -> None:
        """Stand-in listener: the bot talked to Slack."""
        with self._lock:
            self._slack_calls += 1
            self._last = self._clock()

    def work_started(self, *, mark: bool = True) -> None:
        """Some work began (an ECS call, a backoff, a listener)."""
        with self._lock:
            self._in_flight += 1
            if mark:
                self._last = self._clock()

    def work_finished(self, *, mark: bool = True) -> None:
        """That work ended; `mark=False` for work that is not news by itself (see below)."""
        with self._lock:
            self._in_flight -= 1
            if mark:
                self._last = self._clock()

    def sleep(self, seconds: float) -> None:
        """The ECS client's backoff between attempts: the call is still going on meanwhile."""
        self.work_started()
        try:
            time.sleep(seconds)
        finally:
            self.work_finished()

    @property
    def slack_calls(self) -> int:
        """Calls the stand-in has recorded so far (a marker to wait past)."""
        with self._lock:
            return self._slack_calls

    def quiet_for(self) -> float:
        """Seconds since the last call or work; 0 while work is in progress."""
        with self._lock:
            if self._in_flight:
                return 0.0
            return self._clock() - self._last


class CountingExecutor(Executor):
    """The Bolt app's listener executor, telling `Activity` while a listener is at work.

    Listeners ack first and go on working in these threads (pre-flight, respond()); that
    work is what a script must wait for after a command or a click.
    """

    def __init__(self, base: Executor, activity: Activity) -> None:
        self._base = base
        self._activity = activity

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn` on the base executor, counted as activity until it returns."""
        activity = self._activity
        activity.work_started()

        def counted() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                activity.work_finished()

        try:
            return self._base.submit(counted)
        except BaseException:
            activity.work_finished()
            raise

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the base executor down."""
        self._base.shutdown(wait=wait, cancel_futures=cancel_futures)


class CountingEcsService(EcsService):
    """The simulator's own service, telling `Activity` when a call starts and ends."""

    def __init__(self, base: EcsService, activity: Activity) -> None:
        super().__init__(
            world=base.world, faults=base.faults, counters=base.counters, gateway=base.gateway
        )
        self._activity = activity

    def handle(self, request: WireRequest, *, host_id: str) -> Reply:
        """Answer as the simulator does, counted as in flight meanwhile."""
        self._activity.work_started(mark=False)
        try:
            return super().handle(request, host_id=host_id)
        finally:
            self._activity.work_finished(mark=False)


def busy_work(sessions: sessionmaker[Session], *, since: datetime | None = None) -> str | None:
    """What the workers still have to do, in words; None when nothing.

    `since`: Slack messages about requests created before then are not waited for; their
    cards were posted in an earlier session's channel (a kept --db), so the relay can only
    retry them until it gives up.
    """
    now = db.utcnow()
    unsent_rows = (
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    )
    if since is not None:
        earlier = select(DetachRequest.id).where(DetachRequest.created_at < since)
        unsent_rows = unsent_rows.where(
            OutboxMessage.request_id.is_(None) | OutboxMessage.request_id.not_in(earlier)
        )
    with db.read(sessions) as session:
        unsent = session.scalar(unsent_rows)
        working = session.execute(
            select(DetachRequest.id, DetachRequest.status)
            .where(DetachRequest.status.in_(_WORKING))
            .order_by(DetachRequest.id)
        ).all()
        expiring = session.scalar(
            select(func.count())
            .select_from(DetachRequest)
            .where(DetachRequest.status == Status.PENDING.value, DetachRequest.expires_at <= now)
        )
    parts = [f"request #{rid} is {status}" for rid, status in working]
    if unsent:
        parts.append(f"{unsent} Slack message(s) to send")
    if expiring:
        parts.append(f"{expiring} request(s) to expire")
    return "; ".join(parts) or None


@dataclass(frozen=True)
class Settled:
    """How a wait ended: `still` names what was still going when the deadline passed."""

    still: str | None = None

    @property
    def ok(self) -> bool:
        """True when everything had come to rest."""
        return self.still is None


class Settler:
    """Waits until the bot has come to rest after a line."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        activity: Activity,
        drain: Callable[[], None],
        since: datetime | None = None,
        quiet: float = 0.3,
        effect_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._since = since
        self._activity = activity
        self._drain = drain
        self._quiet = quiet
        self._effect_timeout = effect_timeout
        self._clock = clock

    def marker(self) -> int:
        """A point to wait past: the stand-in's call count before a request is sent."""
        return self._activity.slack_calls

    def wait(
        self,
        *,
        deadline: float,
        after: int | None = None,
        on_slow: Callable[[], None] | None = None,
        slow_after: float = 1.5,
    ) -> Settled:
        """Block until at rest (or `deadline` seconds pass); `after`: wait for a Slack call too.

        `after` is used when the bot's HTTP answer said nothing, so its reply must still come
        (a response_url post, an ephemeral, a card); it is given up after a few seconds.
        `on_slow` is called once when the wait passes `slow_after` seconds.
        """
        start = self._clock()
        end = start + deadline
        effect_by = start + self._effect_timeout
        last_db = 0.0
        still: str | None = "starting"
        while True:
            now = self._clock()
            waiting_effect = after is not None and self.marker() <= after and now < effect_by
            if now - last_db >= 2 * _POLL:
                still = busy_work(self._sessions, since=self._since)
                last_db = now
            if not waiting_effect and still is None and self._activity.quiet_for() >= self._quiet:
                self._drain()
                return Settled()
            if now >= end:
                self._drain()
                return Settled(still or "the bot was still busy")
            if on_slow is not None and now - start >= slow_after:
                on_slow()
                on_slow = None
            time.sleep(_POLL)
