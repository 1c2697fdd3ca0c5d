"""The executor: sends each approved target's Detach at most once.

Per claimed target (one ENI of a request): queued → sending; re-check the ENI and instance with
Describe; then
either reconcile (a Detach sent earlier, whose answer was lost, already took effect), fail (the
world changed since approval), wait (busy), or commit the intent and send DetachNetworkInterface.
A Detach whose answer never came is followed by a Describe, never by a blind re-send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.backoff import capped_backoff
from bot.ecs.client import DESCRIBE_ENIS, DESCRIBE_INSTANCES, DETACH, EcsClient
from bot.ecs.errors import OUTCOME_UNKNOWN, EcsError, OutcomeUnknownError, Reaction
from bot.ecs.models import EniStatus, Instance, NetworkInterface
from bot.observability.context import request_context
from bot.requests import repository, rules, service
from bot.requests.models import RequestTarget
from bot.requests.rules import Next
from bot.requests.service import Policy
from bot.requests.states import TargetStatus

__all__ = ["Executor", "ExecutorConfig"]

log = logging.getLogger(__name__)

_EXPECTED = (TargetStatus.SENDING,)


@dataclass(frozen=True)
class ExecutorConfig:
    """Leases and waits; defaults suit production, tests shorten them."""

    # Must exceed the longest Detach call including the client's retries (about 40 s: a 30 s
    # retry budget plus one last attempt), and stay under CONTRACT's 60 s takeover.
    lease_seconds: float = 45.0
    # How long after an intent a Detach may still be in flight somewhere (a dead or slow
    # holder); within it an InUse ENI is waited on, never sent a second Detach.
    in_flight_window: float = 60.0
    batch: int = 5
    first_poll_after: float = 1.0  # detaches usually finish in seconds: look again soon
    busy_base: float = 2.0  # busy refusals: 2, 4, 8 … s, capped, for at most stuck_after
    busy_cap: float = 30.0
    trouble_base: float = 2.0  # throttling / 5xx / no answer after the client's retries
    trouble_cap: float = 60.0


@dataclass(frozen=True)
class _Live:
    eni: NetworkInterface | None
    instance: Instance | None


class Executor:
    """Claims targets to send and drives each to `in_flight` (or `failed`)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: EcsClient,
        policy: Policy,
        owner: str,
        config: ExecutorConfig | None = None,
        clock: Callable[[], datetime] = db.utcnow,
        poller_bell: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._ecs = ecs
        self._policy = policy
        self._owner = owner
        self._config = config or ExecutorConfig()
        self._clock = clock
        self._poller_bell = poller_bell or (lambda: None)

    def run_once(self, *, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Claim a batch and work through it; returns how many targets were claimed."""
        now = self._clock()
        with db.transaction(self._sessions) as s:
            claimed = service.claim_for_execution(
                s,
                owner=self._owner,
                now=now,
                lease_seconds=self._config.lease_seconds,
                limit=self._config.batch,
                places=self._policy.bulk_concurrency,
            )
            ids = [t.id for t in claimed]
        for n, target in enumerate(claimed):
            if should_stop():
                self._release(ids[n:])
                break
            try:
                with request_context(request_id=target.request_id):
                    self._execute(target)
            except Exception:
                # A bug or a database hiccup: leave the lease to expire and try again later.
                log.exception(
                    "executor failed on request %d (%s)", target.request_id, target.eni_id
                )
        return len(ids)

    # ---- one target ----

    def execute(self, target_id: int) -> None:
        """Drive one leased target as far as it goes now."""
        target = self._renew(target_id)
        if target is None:
            return  # someone else holds it now, or it moved on
        self._execute(target)

    def _execute(self, target: RequestTarget) -> None:
        """Drive a target whose lease this worker has just taken or renewed."""
        if target.state is TargetStatus.QUEUED:
            with db.transaction(self._sessions) as s:
                started = service.start_execution(
                    s,
                    target_id=target.id,
                    owner=self._owner,
                    policy=self._policy,
                    now=self._now(),
                    lease_seconds=self._config.lease_seconds,
                )
            if started is None:
                return
            target = started
        if target.state is not TargetStatus.SENDING:
            self._release([target.id])
            return
        live = self._describe(target)
        if live is None:
            return  # ECS trouble: released for a later retry
        if self._settle_from_live(target, live):
            return
        self._send(target)

    def _settle_from_live(self, target: RequestTarget, live: _Live) -> bool:
        """Decide from Describe alone where possible; True when nothing is left to send."""
        action = rules.decide(
            service.marks_of(target),
            live.eni,
            live.instance,
            now=self._now(),
            in_flight_window=self._config.in_flight_window,
            busy_budget=self._policy.stuck_after,
        )
        if action.next is Next.SEND:
            return False
        if action.next is Next.RECONCILE:
            self._reconciled(target, target.ecs_request_id)
        elif action.next is Next.WAIT:
            self._release([target.id], retry_at=action.until)
        elif action.next is Next.BUSY:
            self._busy(target, action.code or "", action.message or "", None, refused=False)
        else:
            self._fail(target, action.code or "WorldChanged", action.message or "")
        return True

    def _send(self, target: RequestTarget) -> None:
        """Commit the intent, then call DetachNetworkInterface and record what it said."""
        now = self._now()
        with db.transaction(self._sessions) as s:
            if not service.mark_intent(
                s,
                target_id=target.id,
                owner=self._owner,
                now=now,
                lease_seconds=self._config.lease_seconds,
            ):
                return
        try:
            ecs_request_id = self._ecs.detach_network_interface(
                target.region, target.eni_id, target.instance_id
            )
        except OutcomeUnknownError as exc:
            self._audit(target, DETACH, exc.code, exc.request_id, exc.message, unknown=True)
            fresh = self._renew(target.id)
            if fresh is not None:
                self._settle_by_describe(fresh, unknown=exc)
            return
        except EcsError as exc:
            self._audit(target, DETACH, exc.code, exc.request_id, exc.message)
            self._on_refusal(target, exc)
            return
        now = self._now()
        with db.transaction(self._sessions) as s:
            service.record_ecs_call(
                s,
                target=target,
                action=DETACH,
                code="OK",
                ecs_request_id=ecs_request_id,
                now=now,
            )
            service.record_detach_sent(
                s,
                target_id=target.id,
                owner=self._owner,
                ecs_request_id=ecs_request_id or None,
                policy=self._policy,
                now=now,
                first_poll_at=now + timedelta(seconds=self._config.first_poll_after),
            )
        self._poller_bell()

    def _on_refusal(self, target: RequestTarget, exc: EcsError) -> None:
        """ECS refused this Detach, so this call was not applied; an earlier one may have been."""
        if exc.reaction is Reaction.RETRY_NOW:
            # Throttled, or no connection: refused at the gate, so this call was not applied.
            self._trouble(target, exc, answered=True)
            return
        fresh = self._renew(target.id)
        if fresh is None:
            return
        if exc.reaction in (Reaction.RETRY_LATER, Reaction.FAIL) and not service.may_have_detached(
            fresh
        ):
            if exc.reaction is Reaction.RETRY_LATER:
                self._busy(fresh, exc.code, exc.message, exc.request_id)
            else:
                self._fail(fresh, exc.code, exc.message, exc.request_id)
            return
        # "Gone", or a refusal while an earlier Detach may have landed (ECS refuses a second
        # Detach once the first took effect): only a Describe can tell which.
        self._settle_by_describe(fresh, refusal=exc)

    def _settle_by_describe(
        self,
        fresh: RequestTarget,
        *,
        unknown: OutcomeUnknownError | None = None,
        refusal: EcsError | None = None,
    ) -> None:
        """A Detach may or may not have happened: Describe decides, and nothing is re-sent.

        `fresh` was just renewed (lease extended, row re-read) by the caller.
        """
        live = self._describe(fresh)
        if live is None:
            return
        eni = live.eni
        answer = unknown or refusal
        done = eni is not None and (
            eni.status in (EniStatus.DETACHING, EniStatus.AVAILABLE)
            or eni.instance_id != fresh.instance_id
        )
        if done:
            self._reconciled(fresh, (answer.request_id if answer else None) or fresh.ecs_request_id)
        elif refusal is not None and refusal.reaction is Reaction.RETRY_LATER:
            self._busy(fresh, refusal.code, refusal.message, refusal.request_id)
        elif refusal is not None:
            self._fail(fresh, refusal.code, refusal.message, refusal.request_id)
        elif eni is None:
            self._fail(fresh, "EniGone", f"ENI {fresh.eni_id} no longer exists; nothing to detach.")
        else:
            # Still InUse: the Detach did not (yet) apply. Keep the intent and look again later,
            # within the same budget as busy refusals, so lost answers cannot loop for ever.
            code = unknown.code if unknown else OUTCOME_UNKNOWN
            intent = fresh.intent_at
            self._busy(
                fresh,
                code,
                f"ECS did not confirm the detach of {fresh.eni_id}, and the ENI is still InUse.",
                unknown.request_id if unknown else None,
                refused=False,
                in_flight_until=(
                    intent + timedelta(seconds=self._config.in_flight_window) if intent else None
                ),
            )

    # ---- outcomes ----

    def _reconciled(self, target: RequestTarget, ecs_request_id: str | None) -> None:
        now = self._now()
        with db.transaction(self._sessions) as s:
            service.record_detach_sent(
                s,
                target_id=target.id,
                owner=self._owner,
                ecs_request_id=ecs_request_id,
                policy=self._policy,
                now=now,
                first_poll_at=now,
                reconciled=True,
            )
        self._poller_bell()

    def _fail(
        self, target: RequestTarget, code: str, message: str, ecs_request_id: str | None = None
    ) -> None:
        with db.transaction(self._sessions) as s:
            service.record_failure(
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

    def _busy(
        self,
        target: RequestTarget,
        code: str,
        message: str,
        ecs_request_id: str | None,
        *,
        refused: bool = True,
        in_flight_until: datetime | None = None,
    ) -> None:
        cfg = self._config
        now = self._now()
        waited = 0.0 if target.busy_since is None else (now - target.busy_since).total_seconds()
        delay = min(cfg.busy_cap, max(cfg.busy_base, waited))  # roughly doubles each time
        with db.transaction(self._sessions) as s:
            service.record_busy(
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

    def _trouble(self, target: RequestTarget, exc: EcsError, *, answered: bool = False) -> None:
        """Throttling/5xx/no answer after the client's retries: try later, say so once.

        `answered`: the trouble was ECS's answer to the Detach just sent, a refusal, so its
        intent is answered.
        """
        cfg = self._config
        delay = capped_backoff(target.attempts, base=cfg.trouble_base, cap=cfg.trouble_cap)
        now = self._now()
        with db.transaction(self._sessions) as s:
            service.note_ecs_trouble(
                s, target_id=target.id, code=exc.code, message=exc.message, now=now
            )
            service.release(
                s,
                target_id=target.id,
                owner=self._owner,
                retry_at=now + timedelta(seconds=delay),
                answered=answered,
            )

    # ---- helpers ----

    def _describe(self, target: RequestTarget) -> _Live | None:
        """The ENI and the instance as ECS sees them now; None after ECS trouble (released)."""
        action = DESCRIBE_ENIS
        try:
            enis = self._ecs.describe_network_interfaces(target.region, [target.eni_id])
            action = DESCRIBE_INSTANCES
            instances = self._ecs.describe_instances(target.region, [target.instance_id])
        except EcsError as exc:
            self._audit(target, action, exc.code, exc.request_id, exc.message)
            if exc.reaction is Reaction.FAIL and service.may_have_detached(target):
                # A Detach may have been applied: only a Describe may end this target, so a
                # refused one (a RAM edit, a key rotation) is trouble to report, not a verdict.
                self._trouble(target, exc)
            elif exc.reaction is Reaction.FAIL:
                self._fail(target, exc.code, exc.message, exc.request_id)
            elif exc.reaction is Reaction.RETRY_LATER:
                # Credentials between rotations: wait within the busy budget, then fail.
                self._busy(target, exc.code, exc.message, exc.request_id, refused=False)
            else:
                self._trouble(target, exc)
            return None
        eni = next((e for e in enis if e.eni_id == target.eni_id), None)
        instance = next((i for i in instances if i.instance_id == target.instance_id), None)
        return _Live(eni, instance)

    def _audit(
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
                service.record_outcome_unknown(
                    s, target_id=target.id, owner=self._owner, now=self._now()
                )
            service.record_ecs_call(
                s,
                target=target,
                action=action,
                code=code,
                ecs_request_id=ecs_request_id,
                now=self._now(),
                message=message,
            )

    def _renew(self, target_id: int) -> RequestTarget | None:
        """Extend our lease and re-read the target; None when it is no longer ours."""
        with db.transaction(self._sessions) as s:
            if not _extend(s, target_id, self._owner, self._now(), self._config.lease_seconds):
                return None
            return repository.get_target(s, target_id)

    def _release(self, ids: list[int], retry_at: datetime | None = None) -> None:
        with db.transaction(self._sessions) as s:
            for target_id in ids:
                service.release(s, target_id=target_id, owner=self._owner, retry_at=retry_at)

    def _now(self) -> datetime:
        return self._clock()


def _extend(s: Session, target_id: int, owner: str, now: datetime, seconds: float) -> bool:
    """Push our lease forward (only if it is still ours)."""
    return repository.set_target_fields(
        s, target_id, {"lease_until": now + timedelta(seconds=seconds)}, lease_owner=owner
    )
