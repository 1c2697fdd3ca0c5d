"""What the poller records: claims of targets in flight and each Describe's answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.requests import target_store
from bot.requests.models import RequestTarget
from bot.requests.operations import OPERATIONS
from bot.requests.schemas import SYSTEM_POLLER, EniObservation, Policy
from bot.requests.setbacks import record_failure
from bot.requests.states import EXECUTION, TargetStatus
from bot.requests.targets import move_target, roll_up

# Targets the poller owns: the call went out, the ENI is on its way (or stuck there).
WATCHED = (TargetStatus.IN_FLIGHT, TargetStatus.STUCK)


def claim_for_polling(
    db: Session, *, owner: str, now: datetime, lease_seconds: float, limit: int = 1000
) -> list[RequestTarget]:
    """Lease in-flight and stuck targets whose next look is due, of every request."""
    ids = target_store.claim_targets(
        db,
        statuses=WATCHED,
        request_statuses=EXECUTION,
        owner=owner,
        now=now,
        lease_until=now + timedelta(seconds=lease_seconds),
        limit=limit,
    )
    return target_store.get_targets(db, ids)


def poll_is_unchanged(
    target: RequestTarget, observed: EniObservation | None, *, policy: Policy, now: datetime
) -> bool:
    """Whether a Describe answer only means "look again later" (most answers, most of the time).

    The poller uses this to record thousands of such answers in bulk; `record_poll` applies
    every other answer (detached, gone, newly stuck) one by one.
    """
    if observed is None:
        return False
    op = OPERATIONS[target.operation]
    sent_at = target.sent_at or target.updated_at
    since = (now - sent_at).total_seconds()
    if op.arrived(observed, target) or op.fell_back(observed, target, since):
        return False
    if op.watches_progress and observed.status != target.eni_status:
        return False  # recorded one by one (an attach's Available → Attaching: fell_back reads it)
    if target.state is TargetStatus.STUCK:
        return True
    return since < policy.stuck_after


def record_poll(
    db: Session,
    *,
    target: RequestTarget,
    owner: str,
    observed: EniObservation | None,
    policy: Policy,
    now: datetime,
    next_poll_at: datetime,
) -> TargetStatus | None:
    """Apply one Describe result to a target the poller holds; the new status if it changed.

    Where the operation wanted it (detach: Available, or attached to something else; attach:
    InUse on the instance) → done. Gone, or an attach fallen back to Available → failed. Still
    on its way past `stuck_after` since the last accepted call → stuck (once). Otherwise just
    reschedule.
    `target` is the row as claimed this cycle; every write below is guarded by the lease.
    """
    current = target.state
    if current not in WATCHED:
        return None
    if poll_is_unchanged(target, observed, policy=policy, now=now):
        target_store.set_target_fields(
            db,
            target.id,
            {
                "eni_status": observed.status if observed else None,
                "poll_count": target.poll_count + 1,
                "next_poll_at": next_poll_at,
                "lease_owner": None,
                "lease_until": None,
            },
            lease_owner=owner,
        )
        return None
    if observed is None:
        ok = record_failure(
            db,
            target_id=target.id,
            expected=(current,),
            owner=owner,
            code="EniGone",
            message=f"ENI {target.eni_id} no longer exists in {target.region}.",
            ecs_request_id=target.ecs_request_id,
            policy=policy,
            now=now,
            actor=SYSTEM_POLLER,
        )
        return TargetStatus.FAILED if ok else None
    op = OPERATIONS[target.operation]
    sent_at = target.sent_at or target.updated_at
    since = (now - sent_at).total_seconds()
    if op.fell_back(observed, target, since):
        where = f"on {observed.instance_id}" if observed.instance_id else "Available"
        ok = record_failure(
            db,
            target_id=target.id,
            expected=(current,),
            owner=owner,
            code="AttachFellBack",
            message=f"ENI {target.eni_id} is {where} again: ECS did not attach it to "
            f"{target.instance_id}.",
            ecs_request_id=target.ecs_request_id,
            policy=policy,
            now=now,
            actor=SYSTEM_POLLER,
        )
        return TargetStatus.FAILED if ok else None
    if op.arrived(observed, target):
        return _move(
            db,
            target,
            TargetStatus.DONE,
            owner=owner,
            policy=policy,
            now=now,
            values={"eni_status": observed.status},
            detail={"eni_status": observed.status, "instance_id": observed.instance_id},
        )
    if current is TargetStatus.IN_FLIGHT and since >= policy.stuck_after:
        return _move(
            db,
            target,
            TargetStatus.STUCK,
            owner=owner,
            policy=policy,
            now=now,
            values={
                "eni_status": observed.status,
                "lease_owner": None,
                "lease_until": None,
                "next_poll_at": next_poll_at,
            },
            detail={
                "eni_status": observed.status,
                "stuck_for_seconds": round((now - sent_at).total_seconds()),
            },
        )
    # On its way, and its state changed (an attach now Attaching): remember it, look again.
    target_store.set_target_fields(
        db,
        target.id,
        {
            "eni_status": observed.status,
            "poll_count": target.poll_count + 1,
            "next_poll_at": next_poll_at,
            "lease_owner": None,
            "lease_until": None,
        },
        lease_owner=owner,
    )
    return None


def _move(
    db: Session,
    target: RequestTarget,
    to: TargetStatus,
    *,
    owner: str,
    policy: Policy,
    now: datetime,
    values: dict[str, object],
    detail: dict[str, object],
) -> TargetStatus | None:
    moved = move_target(
        db, target_id=target.id, expected=target.state, to=to, owner=owner, now=now, values=values
    )
    if moved is None:
        return None
    roll_up(
        db,
        request_id=target.request_id,
        actor=SYSTEM_POLLER,
        now=now,
        policy=policy,
        target=moved,
        detail={**detail, "eni_id": target.eni_id},
    )
    return to
