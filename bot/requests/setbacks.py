"""What the executor and the poller record when a target cannot go on: busy waits, failures,
and the one note that ECS is not answering.

Every write is guarded by the lease of the worker making it; a failure rolls the request up
(and spends its failure budget: past ENIBOT_BULK_MAX_FAILURES the unsent targets are skipped).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository, target_store
from bot.requests.schemas import SYSTEM_EXECUTOR, SYSTEM_POLLER, Policy
from bot.requests.states import TERMINAL, TargetStatus
from bot.requests.targets import move_target, roll_up


def record_busy(
    db: Session,
    *,
    target_id: int,
    owner: str,
    code: str,
    message: str,
    ecs_request_id: str | None,
    policy: Policy,
    now: datetime,
    retry_at: datetime,
    refused: bool = True,
    in_flight_until: datetime | None = None,
) -> bool:
    """ECS said "busy, try later": keep sending later, or fail once the budget is spent.

    `refused` means ECS answered this call with a refusal, so this call was not applied and
    its intent is answered. When the wait comes from anything else (the instance is not yet
    Running, a lost answer), the Detach may still take effect: keep the intent, so the in-flight
    window is waited out. Neither forgets `maybe_applied_at`: an earlier call that may
    have been applied outlives any later refusal. A spent budget never fails the request before
    `in_flight_until` (a Detach sent a moment ago may still land): it waits that out, and the
    executor's next Describe decides.
    Returns True when the target will be retried, False when it failed (or was lost).
    """
    target = target_store.get_target(db, target_id)
    if target is None or target.lease_owner != owner:
        return False
    busy_since = target.busy_since or now
    may_still_land = in_flight_until is not None and now < in_flight_until
    if may_still_land:
        assert in_flight_until is not None
        retry_at = max(retry_at, in_flight_until)
    elif (now - busy_since).total_seconds() >= policy.stuck_after:
        record_failure(
            db,
            target_id=target_id,
            expected=(TargetStatus.SENDING,),
            owner=owner,
            code=code,
            message=message,
            ecs_request_id=ecs_request_id,
            policy=policy,
            now=now,
            detail={"busy_for_seconds": round((now - busy_since).total_seconds())},
        )
        return False
    values: dict[str, Any] = {"intent_at": None} if refused else {}
    return target_store.set_target_fields(
        db,
        target_id,
        {
            **values,
            "busy_since": busy_since,
            "error_code": code,
            "error_message": message,
            "next_poll_at": retry_at,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        },
        lease_owner=owner,
    )


def record_failure(
    db: Session,
    *,
    target_id: int,
    expected: Collection[TargetStatus],
    owner: str,
    code: str,
    message: str,
    ecs_request_id: str | None,
    policy: Policy,
    now: datetime,
    actor: str = SYSTEM_EXECUTOR,
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """→ failed, keeping the ECS code, message and request ID for the people who asked.

    Guarded by `owner`'s lease: a worker whose lease lapsed (and was taken over) fails nothing.
    """
    target = move_target(
        db,
        target_id=target_id,
        expected=expected,
        to=TargetStatus.FAILED,
        owner=owner,
        now=now,
        values={"error_code": code, "error_message": message, "ecs_request_id": ecs_request_id},
    )
    if target is None:
        return False
    failed = target_store.count_targets(db, target.request_id, TargetStatus.FAILED)
    if failed > policy.bulk_max_failures:
        # The request's failure budget is spent: what was not sent yet is not sent at all.
        target_store.skip_queued(db, target.request_id, now=now)
    roll_up(
        db,
        request_id=target.request_id,
        actor=actor,
        now=now,
        policy=policy,
        target=target,
        detail={
            "error_code": code,
            "error_message": message,
            "ecs_request_id": ecs_request_id,
            "eni_id": target.eni_id,
            **(detail or {}),
        },
    )
    return True


def note_ecs_trouble(
    db: Session, *, target_id: int, code: str, message: str, now: datetime
) -> bool:
    """Tell the thread once that ECS is not answering; True if this call posted it."""
    target = target_store.get_target(db, target_id, for_update=True)
    if target is None or target.ecs_trouble_reported:
        return False
    request = repository.get(db, target.request_id)
    if request is None or request.state in TERMINAL:
        return False
    request_id = request.id
    target_store.set_target_fields(db, target_id, {"ecs_trouble_reported": True})
    event = repository.add_event(
        db,
        request_id=request_id,
        at=now,
        actor=SYSTEM_POLLER,
        kind="ecs_trouble",
        from_status=request.state,
        to_status=request.state,
        detail={"error_code": code, "error_message": message, "eni_id": target.eni_id},
        target_id=target_id,
    )
    key = outbox.thread_key(request_id)
    outbox.enqueue(
        db,
        kind=MessageKind.THREAD_REPLY,
        request_id=request_id,
        payload={
            "status": request.status,
            "actor": SYSTEM_POLLER,
            "detail": {"ecs_trouble": True, "error_code": code, "error_message": message},
        },
        ordering_key=key,
        dedupe_key=f"{key}:event:{event.id}:reply",
        now=now,
    )
    return True
