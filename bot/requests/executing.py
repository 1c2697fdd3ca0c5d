"""The execute use case: each approved target's call (Detach, or Attach since 0.2), sent at
most once, over the `Ecs` port; `operations` holds what differs between the two.

Per leased target (one ENI of a request): queued → sending; re-check the ENI and instance with
Describe; then either reconcile (a Detach sent earlier, whose answer was lost, already took
effect), fail (the world changed since approval), wait (busy), or commit the intent and send
DetachNetworkInterface. A Detach whose answer never came is followed by a Describe, never by a
blind re-send. Each step is its own transaction under the lease (`execution_steps`); the
executor worker (`bot.workers.executor`) only claims, loops and hands each target here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.ecs.errors import EcsError, OutcomeUnknownError, Reaction
from bot.ecs.models import Instance, NetworkInterface
from bot.requests.execution import marks_of, may_have_detached
from bot.requests.execution_steps import ExecutionConfig, ExecutionSteps
from bot.requests.models import RequestTarget
from bot.requests.operations import OPERATIONS
from bot.requests.ports import DESCRIBE_ENIS, DESCRIBE_INSTANCES, Clock, Ecs
from bot.requests.rules import Next
from bot.requests.schemas import Policy
from bot.requests.states import TargetStatus

__all__ = ["ExecutionConfig", "TargetExecution"]


@dataclass(frozen=True)
class _Live:
    eni: NetworkInterface | None
    instance: Instance | None


class TargetExecution:
    """Claims targets to send and drives each to `in_flight` (or `failed`), as `owner`."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: Ecs,
        policy: Policy,
        owner: str,
        config: ExecutionConfig,
        clock: Clock,
        on_sent: Callable[[], None] = lambda: None,
    ) -> None:
        """`on_sent` runs once a target went in flight (committed): the poller's doorbell."""
        self._ecs = ecs
        self._policy = policy
        self._config = config
        self._clock = clock
        self._steps = ExecutionSteps(
            sessions=sessions,
            policy=policy,
            owner=owner,
            config=config,
            clock=clock,
            on_sent=on_sent,
        )

    def claim(self, limit: int) -> list[RequestTarget]:
        """Lease up to `limit` targets due to be sent (queued, or sending and due again)."""
        return self._steps.claim(limit)

    def release(self, ids: list[int], retry_at: datetime | None = None) -> None:
        """Give leases back (a clean stop, or a retry at `retry_at`)."""
        self._steps.release(ids, retry_at)

    def execute(self, target_id: int) -> None:
        """Drive one leased target as far as it goes now."""
        target = self._steps.renew(target_id)
        if target is None:
            return  # someone else holds it now, or it moved on
        self.run(target)

    def run(self, target: RequestTarget) -> None:
        """Drive a target whose lease this worker has just taken (claimed) or renewed."""
        if target.state is TargetStatus.QUEUED:
            started = self._steps.start(target)
            if started is None:
                return
            target = started
        if target.state is not TargetStatus.SENDING:
            self._steps.release([target.id])
            return
        live = self._describe(target)
        if live is None:
            return  # ECS trouble: released for a later retry
        if self._settle_from_live(target, live):
            return
        self._send(target)

    def _settle_from_live(self, target: RequestTarget, live: _Live) -> bool:
        """Decide from Describe alone where possible; True when nothing is left to send."""
        action = OPERATIONS[target.operation].decide(
            marks_of(target),
            live.eni,
            live.instance,
            now=self._clock(),
            in_flight_window=self._config.in_flight_window,
            busy_budget=self._policy.stuck_after,
        )
        steps = self._steps
        if action.next is Next.SEND:
            return False
        if action.next is Next.RECONCILE:
            steps.reconciled(target, target.ecs_request_id)
        elif action.next is Next.WAIT:
            steps.release([target.id], retry_at=action.until)
        elif action.next is Next.BUSY:
            steps.busy(target, action.code or "", action.message or "", None, refused=False)
        else:
            steps.fail(target, action.code or "WorldChanged", action.message or "")
        return True

    def _send(self, target: RequestTarget) -> None:
        """Commit the intent, then make the call (Detach or Attach) and record what it said."""
        if not self._steps.intend(target):
            return
        op = OPERATIONS[target.operation]
        try:
            ecs_request_id = op.call(self._ecs, target)
        except OutcomeUnknownError as exc:
            self._steps.audit(
                target, op.action, exc.code, exc.request_id, exc.message, unknown=True
            )
            fresh = self._steps.renew(target.id)
            if fresh is not None:
                self._settle_by_describe(fresh, unknown=exc)
            return
        except EcsError as exc:
            self._steps.audit(target, op.action, exc.code, exc.request_id, exc.message)
            self._on_refusal(target, exc)
            return
        self._steps.sent(target, ecs_request_id)

    def _on_refusal(self, target: RequestTarget, exc: EcsError) -> None:
        """ECS refused this Detach, so this call was not applied; an earlier one may have been."""
        if exc.reaction is Reaction.RETRY_NOW:
            # Throttled, or no connection: refused at the gate, so this call was not applied.
            self._steps.trouble(target, exc, answered=True)
            return
        fresh = self._steps.renew(target.id)
        if fresh is None:
            return
        if exc.reaction in (Reaction.RETRY_LATER, Reaction.FAIL) and not may_have_detached(fresh):
            if exc.reaction is Reaction.RETRY_LATER:
                self._steps.busy(fresh, exc.code, exc.message, exc.request_id)
            else:
                self._steps.fail(fresh, exc.code, exc.message, exc.request_id)
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
        steps = self._steps
        eni = live.eni
        answer = unknown or refusal
        op = OPERATIONS[fresh.operation]
        if eni is not None and op.took_effect(eni, fresh):
            steps.reconciled(fresh, (answer.request_id if answer else None) or fresh.ecs_request_id)
        elif refusal is not None and refusal.reaction is Reaction.RETRY_LATER:
            steps.busy(fresh, refusal.code, refusal.message, refusal.request_id)
        elif refusal is not None:
            steps.fail(fresh, refusal.code, refusal.message, refusal.request_id)
        elif eni is None:
            steps.fail(
                fresh, "EniGone", f"ENI {fresh.eni_id} no longer exists; nothing to {op.name}."
            )
        else:
            # Still InUse: the Detach did not (yet) apply. Keep the intent and look again later,
            # within the same budget as busy refusals, so lost answers cannot loop for ever.
            code = unknown.code if unknown else op.unknown_code
            intent = fresh.intent_at
            steps.busy(
                fresh,
                code,
                f"ECS did not confirm the {op.name} of {fresh.eni_id}, and the ENI is still "
                f"{eni.status_raw or eni.status.value}.",
                unknown.request_id if unknown else None,
                refused=False,
                in_flight_until=(
                    intent + timedelta(seconds=self._config.in_flight_window) if intent else None
                ),
            )

    def _describe(self, target: RequestTarget) -> _Live | None:
        """The ENI and the instance as ECS sees them now; None after ECS trouble (released)."""
        action = DESCRIBE_ENIS
        try:
            enis = self._ecs.describe_network_interfaces(target.region, [target.eni_id])
            action = DESCRIBE_INSTANCES
            instances = self._ecs.describe_instances(target.region, [target.instance_id])
        except EcsError as exc:
            self._steps.audit(target, action, exc.code, exc.request_id, exc.message)
            if exc.reaction is Reaction.FAIL and may_have_detached(target):
                # A Detach may have been applied: only a Describe may end this target, so a
                # refused one (a RAM edit, a key rotation) is trouble to report, not a verdict.
                self._steps.trouble(target, exc)
            elif exc.reaction is Reaction.FAIL:
                self._steps.fail(target, exc.code, exc.message, exc.request_id)
            elif exc.reaction is Reaction.RETRY_LATER:
                # Credentials between rotations: wait within the busy budget, then fail.
                self._steps.busy(target, exc.code, exc.message, exc.request_id, refused=False)
            else:
                self._steps.trouble(target, exc)
            return None
        eni = next((e for e in enis if e.eni_id == target.eni_id), None)
        instance = next((i for i in instances if i.instance_id == target.instance_id), None)
        return _Live(eni, instance)
