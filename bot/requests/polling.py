"""What the poller records: claims of requests in flight and each Describe's answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.requests import repository
from bot.requests.execution import record_failure
from bot.requests.models import DetachRequest
from bot.requests.schemas import SYSTEM_POLLER, EniObservation, Policy
from bot.requests.states import Status
from bot.requests.transition import transition


def claim_for_polling(
    db: Session, *, owner: str, now: datetime, lease_seconds: float, limit: int = 1000
) -> list[DetachRequest]:
    """Lease detaching and stuck requests whose next poll is due."""
    ids = repository.claim(
        db,
        statuses=(Status.DETACHING, Status.STUCK),
        owner=owner,
        now=now,
        lease_until=now + timedelta(seconds=lease_seconds),
        limit=limit,
    )
    return repository.get_many(db, ids, for_workers=True)


def poll_is_unchanged(
    request: DetachRequest, observed: EniObservation | None, *, policy: Policy, now: datetime
) -> bool:
    """Whether a Describe answer only means "look again later" (most answers, most of the time).

    The poller uses this to record thousands of such answers in bulk; `record_poll` applies
    every other answer (detached, gone, newly stuck) one by one.
    """
    if observed is None:
        return False
    if observed.status == "Available" or observed.instance_id != request.instance_id:
        return False
    if request.state is Status.STUCK:
        return True
    sent_at = request.detach_sent_at or request.updated_at
    return (now - sent_at).total_seconds() < policy.stuck_after


def record_poll(
    db: Session,
    *,
    request_id: int,
    owner: str,
    observed: EniObservation | None,
    policy: Policy,
    now: datetime,
    next_poll_at: datetime,
) -> Status | None:
    """Apply one Describe result; returns the new status when it changed, else None.

    Available, or attached to something else → detached. Gone → failed. Still Detaching past
    `stuck_after` since the last accepted Detach → stuck (once). Otherwise just reschedule.
    """
    request = repository.get(db, request_id)
    if (
        request is None
        or request.lease_owner != owner
        or request.state
        not in (
            Status.DETACHING,
            Status.STUCK,
        )
    ):
        return None
    current = request.state
    if poll_is_unchanged(request, observed, policy=policy, now=now):
        repository.set_fields(
            db,
            request_id,
            {
                "eni_status": observed.status if observed else None,
                "poll_count": request.poll_count + 1,
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
            request_id=request_id,
            expected=(current,),
            owner=owner,
            code="EniGone",
            message=f"ENI {request.eni_id} no longer exists in {request.region}.",
            ecs_request_id=request.ecs_request_id,
            policy=policy,
            now=now,
            actor=SYSTEM_POLLER,
        )
        return Status.FAILED if ok else None
    if observed.status == "Available" or observed.instance_id != request.instance_id:
        ok = transition(
            db,
            request_id=request_id,
            expected=current,
            target=Status.DETACHED,
            actor=SYSTEM_POLLER,
            now=now,
            policy=policy,
            lease_owner=owner,
            values={"eni_status": observed.status},
            detail={"eni_status": observed.status, "instance_id": observed.instance_id},
        ).ok
        return Status.DETACHED if ok else None
    sent_at = request.detach_sent_at or request.updated_at
    if current is Status.DETACHING and (now - sent_at).total_seconds() >= policy.stuck_after:
        ok = transition(
            db,
            request_id=request_id,
            expected=Status.DETACHING,
            target=Status.STUCK,
            actor=SYSTEM_POLLER,
            now=now,
            policy=policy,
            lease_owner=owner,
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
        ).ok
        return Status.STUCK if ok else None
    return None
