"""What the executor records: claims, the call's intent, its answer (or its absence), waits.

Workers claim targets (one ENI of a request each). A call is sent at most once per
initiation: the intent is committed before the call, an answer that may have been applied is
remembered until a Describe settles it, and every write that ends a target's execution is
guarded by the executor's lease. Each target move rolls its request up in the same
transaction (`transition.roll_up`), which posts the replies and updates the card.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal
from sqlalchemy.orm import Session

from bot.db import UtcDateTime
from bot.requests import repository, target_store
from bot.requests.models import RequestTarget
from bot.requests.rules import Marks
from bot.requests.schemas import SYSTEM_EXECUTOR, Policy
from bot.requests.states import EXECUTION, TargetStatus
from bot.requests.targets import move_target, roll_up

# Targets the executor owns: not yet sent (their request approved), or being sent.
_TO_SEND = (TargetStatus.QUEUED, TargetStatus.SENDING)


def claim_for_execution(
    db: Session,
    *,
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int = 20,
    places: int | None = None,
) -> list[RequestTarget]:
    """Lease queued targets of approved requests (while their request has a free place of
    `places`, ENIBOT_BULK_CONCURRENCY), and sending ones whose holder died or whose retry is
    due."""
    ids = target_store.claim_targets(
        db,
        statuses=_TO_SEND,
        request_statuses=EXECUTION,
        owner=owner,
        now=now,
        lease_until=now + timedelta(seconds=lease_seconds),
        limit=limit,
        places=places,
    )
    return target_store.get_targets(db, ids)


def start_execution(
    db: Session,
    *,
    target_id: int,
    owner: str,
    policy: Policy,
    now: datetime,
    lease_seconds: float | None = None,
    request_id: int | None = None,
) -> RequestTarget | None:
    """queued → sending for a target this worker has leased (of `request_id`, when the caller
    knows it: one read less); its request follows (approved →
    executing: the card shows it, no reply).

    Returns the target as it now stands (None when the move was lost, or when its request has
    no free place: then it goes back to the queue), its lease extended by `lease_seconds` in
    the same UPDATE. The place is counted under the request's lock, so two executors starting
    two targets of one request at once cannot both take the last place.
    """
    if request_id is None:
        current = target_store.get_target(db, target_id)
        if current is None:
            return None
        request_id = current.request_id
    repository.lock_status(db, request_id)
    if target_store.in_transition(db, request_id) >= policy.bulk_concurrency:
        release(db, target_id=target_id, owner=owner, retry_at=now)
        return None
    values = (
        {} if lease_seconds is None else {"lease_until": now + timedelta(seconds=lease_seconds)}
    )
    target = move_target(
        db,
        target_id=target_id,
        expected=TargetStatus.QUEUED,
        to=TargetStatus.SENDING,
        owner=owner,
        now=now,
        values=values,
    )
    if target is None:
        return None
    roll_up(
        db,
        request_id=target.request_id,
        actor=SYSTEM_EXECUTOR,
        now=now,
        policy=policy,
        reply=False,
        target=target,
    )
    return target


def mark_intent(
    db: Session,
    *,
    target_id: int,
    owner: str,
    now: datetime,
    lease_seconds: float | None = None,
) -> bool:
    """Record that the call is about to be sent (and extend the lease); commit before sending.

    One UPDATE, computed from the row as it stands: an intent still set from an earlier attempt
    was never answered definitely (its holder died, or its answer was lost), so that call may
    have been applied, and that is kept in `maybe_applied_at`.
    """
    row = RequestTarget
    values: dict[str, Any] = {
        "intent_at": now,
        "attempts": row.attempts + 1,
        "maybe_applied_at": func.coalesce(row.maybe_applied_at, row.intent_at),
        "updated_at": now,
    }
    if lease_seconds is not None:
        values["lease_until"] = now + timedelta(seconds=lease_seconds)
    found = target_store.compare_and_set_target(
        db, target_id, {TargetStatus.SENDING}, values, lease_owner=owner
    )
    return found is not None


def record_outcome_unknown(db: Session, *, target_id: int, owner: str, now: datetime) -> bool:
    """The call just sent may have been applied (lost answer, server error): never forget it."""
    row = RequestTarget
    values = {
        "maybe_applied_at": func.coalesce(
            row.maybe_applied_at, row.intent_at, literal(now, UtcDateTime())
        ),
        "updated_at": now,
    }
    found = target_store.compare_and_set_target(
        db, target_id, {TargetStatus.SENDING}, values, lease_owner=owner
    )
    return found is not None


def marks_of(target: RequestTarget) -> Marks:
    """The target's exactly-once marks, as the pure rules take them."""
    return Marks(
        eni_id=target.eni_id,
        instance_id=target.instance_id,
        region=target.region,
        intent_at=target.intent_at,
        maybe_applied_at=target.maybe_applied_at,
        sent_at=target.sent_at,
        busy_since=target.busy_since,
        last_code=target.error_code,
        last_message=target.error_message,
    )


def may_have_detached(target: RequestTarget) -> bool:
    """Whether a call of this target was accepted, or may have been applied unanswered."""
    return marks_of(target).may_have_detached


def record_ecs_call(
    db: Session,
    *,
    target: RequestTarget,
    action: str,
    code: str,
    ecs_request_id: str | None,
    now: datetime,
    actor: str = SYSTEM_EXECUTOR,
    message: str | None = None,
) -> None:
    """Audit one ECS call (the `/eni status` history shows these with their request IDs)."""
    detail: dict[str, Any] = {
        "action": action,
        "code": code,
        "ecs_request_id": ecs_request_id,
        "eni_id": target.eni_id,
    }
    if message:
        detail["message"] = message
    repository.add_event(
        db,
        request_id=target.request_id,
        target_id=target.id,
        at=now,
        actor=actor,
        kind="ecs_call",
        detail=detail,
    )


def record_detach_sent(
    db: Session,
    *,
    target_id: int,
    owner: str,
    ecs_request_id: str | None,
    policy: Policy,
    now: datetime,
    first_poll_at: datetime,
    reconciled: bool = False,
) -> bool:
    """sending → in_flight once ECS accepted the call (or a Describe showed it happened)."""
    target = move_target(
        db,
        target_id=target_id,
        expected=TargetStatus.SENDING,
        to=TargetStatus.IN_FLIGHT,
        owner=owner,
        now=now,
        values={
            "ecs_request_id": ecs_request_id,
            "sent_at": now,
            # Settled: the ENI shows the call took effect.
            "intent_at": None,
            "maybe_applied_at": None,
            "busy_since": None,
            # What the ENI shows once the call took effect (the poller compares with it).
            "eni_status": case(
                (RequestTarget.operation == "attach", "Attaching"), else_="Detaching"
            ),
            "lease_owner": None,
            "lease_until": None,
            "next_poll_at": first_poll_at,
            "poll_count": 0,
        },
    )
    if target is None:
        return False
    roll_up(
        db,
        request_id=target.request_id,
        actor=SYSTEM_EXECUTOR,
        now=now,
        policy=policy,
        target=target,
        detail={
            "ecs_request_id": ecs_request_id,
            "reconciled": reconciled,
            "eni_id": target.eni_id,
        },
    )
    return True


def release(
    db: Session,
    *,
    target_id: int,
    owner: str,
    retry_at: datetime | None = None,
    answered: bool = False,
) -> bool:
    """Give a lease back (clean shutdown, or a retry later).

    `answered`: ECS refused the call just sent (throttling, no connection), so its intent is
    answered and no in-flight window needs waiting out.
    """
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
    if answered:
        values["intent_at"] = None
    if retry_at is not None:
        values["next_poll_at"] = retry_at
    return target_store.set_target_fields(db, target_id, values, lease_owner=owner)
