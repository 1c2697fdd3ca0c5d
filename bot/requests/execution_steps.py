"""The steps of the execute use case, each its own transaction, every write under the lease.

`executing.TargetExecution` decides which step comes next from Describe and ECS's answers;
these record them: claim, start, intent (committed before the call), the call's audit row,
sent or reconciled (→ in_flight), busy, failed, ECS trouble, and the lease's renewal and
release. A step whose lease was lost (another worker took the target over) writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.backoff import capped_backoff
from bot.ecs.errors import EcsError
from bot.requests import target_store
from bot.requests.execution import (
    claim_for_execution,
    mark_intent,
    record_detach_sent,
    record_ecs_call,
    record_outcome_unknown,
    release,
    start_execution,
)
from bot.requests.models import RequestTarget
from bot.requests.ports import DETACH, Clock
from bot.requests.schemas import Policy
from bot.requests.setbacks import note_ecs_trouble, record_busy, record_failure
from bot.requests.states import TargetStatus

__all__ = ["ExecutionConfig", "ExecutionSteps"]

_EXPECTED = (TargetStatus.SENDING,)


@dataclass(frozen=True)
class ExecutionConfig:
    """Leases and waits; defaults suit production, tests shorten them."""

    # Must exceed the longest Detach call including the client's retries (about 40 s: a 30 s
    # retry budget plus one last attempt), and stay under CONTRACT's 60 s takeover.
    lease_seconds: float = 45.0
    # How long after an intent a Detach may still be in flight somewhere (a dead or slow
    # holder); within it an InUse ENI is waited on, never sent a second Detach.
    in_flight_window: float = 60.0
    first_poll_after: float = 1.0  # detaches usually finish in seconds: look again soon
    busy_base: float = 2.0  # busy refusals: 2, 4, 8 … s, capped, for at most stuck_after
    busy_cap: float = 30.0
    trouble_base: float = 2.0  # throttling / 5xx / no answer after the client's retries
    trouble_cap: float = 60.0


class ExecutionSteps:
    """One lease holder's writes to the targets it executes (`owner` is its lease name)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        policy: Policy,
        owner: str,
        config: ExecutionConfig,
        clock: Clock,
        on_sent: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._owner = owner
        self._config = config
        self._clock = clock
        self._on_sent = on_sent

    def claim(self, limit: int) -> list[RequestTarget]:
        """Lease up to `limit` targets due to be sent (queued, or sending and due again)."""
        with db.transaction(self._sessions) as s:
            return claim_for_execution(
                s,
                owner=self._owner,
                now=self._now(),
                lease_seconds=self._config.lease_seconds,
                limit=limit,
                places=self._policy.bulk_concurrency,
            )

    def start(self, target: RequestTarget) -> RequestTarget | None:
        """queued → sending (lease extended); None when the move was lost."""
        with db.transaction(self._sessions) as s:
            return start_execution(
                s,
                target_id=target.id,
                request_id=target.request_id,
                owner=self._owner,
                policy=self._policy,
                now=self._now(),
                lease_seconds=self._config.lease_seconds,
            )

    def intend(self, target: RequestTarget) -> bool:
        """Commit the intent (and extend the lease) before the call; False: not ours any more."""
        now = self._now()
        with db.transaction(self._sessions) as s:
            return mark_intent(
                s,
                target_id=target.id,
                owner=self._owner,
                now=now,
                lease_seconds=self._config.lease_seconds,
            )

    def sent(self, target: RequestTarget, ecs_request_id: str) -> None:
        """ECS accepted the Detach: its audit row and sending → in_flight, in one transaction."""
        now = self._now()
        with db.transaction(self._sessions) as s:
            record_ecs_call(
                s,
                target=target,
                action=DETACH,
                code="OK",
                ecs_request_id=ecs_request_id,
                now=now,
            )
            record_detach_sent(
                s,
                target_id=target.id,
                owner=self._owner,
                ecs_request_id=ecs_request_id or None,
                policy=self._policy,
                now=now,
                first_poll_at=now + timedelta(seconds=self._config.first_poll_after),
            )
        self._on_sent()

    def reconciled(self, target: RequestTarget, ecs_request_id: str | None) -> None:
        """A Describe showed an earlier Detach took effect: → in_flight, polled at once."""
        now = self._now()
        with db.transaction(self._sessions) as s:
            record_detach_sent(
                s,
                target_id=target.id,
                owner=self._owner,
                ecs_request_id=ecs_request_id,
                policy=self._policy,
                now=now,
                first_poll_at=now,
                reconciled=True,
            )
        self._on_sent()

    def fail(
        self, target: RequestTarget, code: str, message: str, ecs_request_id: str | None = None
    ) -> None:
        """sending → failed, keeping ECS's code, message and request ID."""
        with db.transaction(self._sessions) as s:
            record_failure(
                s,
                target_id=target.id,
                expected=_EXPECTED,
                owner=self._owner,
                code=code,
                message=message,
                ecs_request_id=ecs_request_id or target.ecs_request_id,
                policy=self._policy,
                now=self._now(),
            )

    def busy(
        self,
        target: RequestTarget,
        code: str,
        message: str,
        ecs_request_id: str | None,
        *,
        refused: bool = True,
        in_flight_until: datetime | None = None,
    ) -> None:
        """Try again later (the delay roughly doubles), or fail once the busy budget is spent."""
        cfg = self._config
        now = self._now()
        waited = 0.0 if target.busy_since is None else (now - target.busy_since).total_seconds()
        delay = min(cfg.busy_cap, max(cfg.busy_base, waited))
        with db.transaction(self._sessions) as s:
            record_busy(
                s,
                target_id=target.id,
                owner=self._owner,
                code=code,
                message=message,
                ecs_request_id=ecs_request_id,
                policy=self._policy,
                now=now,
                retry_at=now + timedelta(seconds=delay),
                refused=refused,
                in_flight_until=in_flight_until,
            )

    def trouble(self, target: RequestTarget, exc: EcsError, *, answered: bool = False) -> None:
        """Throttling/5xx/no answer after the client's retries: try later, say so once.

        `answered`: the trouble was ECS's answer to the Detach just sent, a refusal, so its
        intent is answered.
        """
        cfg = self._config
        delay = capped_backoff(target.attempts, base=cfg.trouble_base, cap=cfg.trouble_cap)
        now = self._now()
        with db.transaction(self._sessions) as s:
            note_ecs_trouble(s, target_id=target.id, code=exc.code, message=exc.message, now=now)
            release(
                s,
                target_id=target.id,
                owner=self._owner,
                retry_at=now + timedelta(seconds=delay),
                answered=answered,
            )

    def audit(
        self,
        target: RequestTarget,
        action: str,
        code: str,
        ecs_request_id: str | None,
        message: str | None,
        *,
        unknown: bool = False,
    ) -> None:
        """One audit row per call; an unknown outcome is marked in the same transaction."""
        with db.transaction(self._sessions) as s:
            if unknown:
                record_outcome_unknown(s, target_id=target.id, owner=self._owner, now=self._now())
            record_ecs_call(
                s,
                target=target,
                action=action,
                code=code,
                ecs_request_id=ecs_request_id,
                now=self._now(),
                message=message,
            )

    def renew(self, target_id: int) -> RequestTarget | None:
        """Extend our lease and re-read the target; None when it is no longer ours."""
        with db.transaction(self._sessions) as s:
            until = self._now() + timedelta(seconds=self._config.lease_seconds)
            if not target_store.set_target_fields(
                s, target_id, {"lease_until": until}, lease_owner=self._owner
            ):
                return None
            return target_store.get_target(s, target_id)

    def release(self, ids: list[int], retry_at: datetime | None = None) -> None:
        """Give leases back (a clean stop, or a retry at `retry_at`)."""
        with db.transaction(self._sessions) as s:
            for target_id in ids:
                release(s, target_id=target_id, owner=self._owner, retry_at=retry_at)

    def _now(self) -> datetime:
        return self._clock()
