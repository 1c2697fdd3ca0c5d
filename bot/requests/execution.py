"""What the executor records: claims, the Detach intent, its answer (or its absence), waits.

A Detach is sent at most once per initiation: the intent is committed before the call, an
answer that may have been applied is remembered until a Describe settles it, and every write
that ends an execution is guarded by the executor's lease.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal
from sqlalchemy.orm import Session

from bot.db import UtcDateTime
from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository
from bot.requests.models import DetachRequest
from bot.requests.rules import Marks
from bot.requests.schemas import SYSTEM_EXECUTOR, SYSTEM_POLLER, Policy
from bot.requests.states import TERMINAL, Status
from bot.requests.transition import transition


def claim_for_execution(
    db: Session, *, owner: str, now: datetime, lease_seconds: float, limit: int = 20
) -> list[DetachRequest]:
    """Lease approved requests, and executing ones whose holder died or whose retry is due."""
    ids = repository.claim(
        db,
        statuses=(Status.APPROVED, Status.EXECUTING),
        owner=owner,
        now=now,
        lease_until=now + timedelta(seconds=lease_seconds),
        limit=limit,
    )
    return repository.get_many(db, ids)


def start_execution(
    db: Session,
    *,
    request_id: int,
    owner: str,
    policy: Policy,
    now: datetime,
    lease_seconds: float | None = None,
) -> DetachRequest | None:
    """approved → executing for a request this worker has leased (card shows it, no reply).

    Returns the row as it now stands (None when the move was lost), its lease extended by
    `lease_seconds` in the same UPDATE.
    """
    values = (
        {} if lease_seconds is None else {"lease_until": now + timedelta(seconds=lease_seconds)}
    )
    result = transition(
        db,
        request_id=request_id,
        expected=Status.APPROVED,
        target=Status.EXECUTING,
        actor=SYSTEM_EXECUTOR,
        now=now,
        policy=policy,
        lease_owner=owner,
        reply=False,
        values=values,
    )
    return result.request if result.ok else None


def mark_detach_intent(
    db: Session,
    *,
    request_id: int,
    owner: str,
    now: datetime,
    lease_seconds: float | None = None,
) -> bool:
    """Record that a Detach is about to be sent (and extend the lease); commit before sending.

    One UPDATE, computed from the row as it stands: an intent still set from an earlier attempt
    was never answered definitely (its holder died, or its answer was lost), so that Detach may
    have been applied, and that is kept in `detach_maybe_applied_at`.
    """
    row = DetachRequest
    values: dict[str, Any] = {
        "detach_intent_at": now,
        "attempts": row.attempts + 1,
        "detach_maybe_applied_at": func.coalesce(row.detach_maybe_applied_at, row.detach_intent_at),
        "updated_at": now,
    }
    if lease_seconds is not None:
        values["lease_until"] = now + timedelta(seconds=lease_seconds)
    found = repository.compare_and_set(
        db, request_id, {Status.EXECUTING}, values, lease_owner=owner
    )
    return found is not None


def record_outcome_unknown(db: Session, *, request_id: int, owner: str, now: datetime) -> bool:
    """The Detach just sent may have been applied (lost answer, server error): never forget it."""
    row = DetachRequest
    values = {
        "detach_maybe_applied_at": func.coalesce(
            row.detach_maybe_applied_at, row.detach_intent_at, literal(now, UtcDateTime())
        ),
        "updated_at": now,
    }
    found = repository.compare_and_set(
        db, request_id, {Status.EXECUTING}, values, lease_owner=owner
    )
    return found is not None


def marks_of(request: DetachRequest) -> Marks:
    """The request's exactly-once marks, as the pure rules take them."""
    return Marks(
        eni_id=request.eni_id,
        instance_id=request.instance_id,
        region=request.region,
        intent_at=request.detach_intent_at,
        maybe_applied_at=request.detach_maybe_applied_at,
        sent_at=request.detach_sent_at,
        busy_since=request.busy_since,
        last_code=request.error_code,
        last_message=request.error_message,
    )


def may_have_detached(request: DetachRequest) -> bool:
    """Whether a Detach of this request was accepted, or may have been applied unanswered."""
    return marks_of(request).may_have_detached


def record_ecs_call(
    db: Session,
    *,
    request_id: int,
    action: str,
    code: str,
    ecs_request_id: str | None,
    now: datetime,
    actor: str = SYSTEM_EXECUTOR,
    message: str | None = None,
) -> None:
    """Audit one ECS call (the `/eni status` history shows these with their request IDs)."""
    detail: dict[str, Any] = {"action": action, "code": code, "ecs_request_id": ecs_request_id}
    if message:
        detail["message"] = message
    repository.add_event(
        db, request_id=request_id, at=now, actor=actor, kind="ecs_call", detail=detail
    )


def record_detach_sent(
    db: Session,
    *,
    request_id: int,
    owner: str,
    ecs_request_id: str | None,
    policy: Policy,
    now: datetime,
    first_poll_at: datetime,
    reconciled: bool = False,
) -> bool:
    """executing → detaching once ECS accepted the Detach (or a Describe showed it happened)."""
    return transition(
        db,
        request_id=request_id,
        expected=Status.EXECUTING,
        target=Status.DETACHING,
        actor=SYSTEM_EXECUTOR,
        now=now,
        policy=policy,
        lease_owner=owner,
        values={
            "ecs_request_id": ecs_request_id,
            "detach_sent_at": now,
            # Settled: the ENI shows the Detach took effect.
            "detach_intent_at": None,
            "detach_maybe_applied_at": None,
            "busy_since": None,
            "eni_status": "Detaching",
            "lease_owner": None,
            "lease_until": None,
            "next_poll_at": first_poll_at,
            "poll_count": 0,
        },
        detail={"ecs_request_id": ecs_request_id, "reconciled": reconciled},
    ).ok


def record_busy(
    db: Session,
    *,
    request_id: int,
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
    """ECS said "busy, try later": stay executing and retry, or fail once the budget is spent.

    `refused` means ECS answered this Detach with a refusal, so this call was not applied and
    its intent is answered. When the wait comes from anything else (the instance is not yet
    Running, a lost answer), the Detach may still take effect: keep the intent, so the in-flight
    window is waited out. Neither forgets `detach_maybe_applied_at`: an earlier call that may
    have been applied outlives any later refusal. A spent budget never fails the request before
    `in_flight_until` (a Detach sent a moment ago may still land): it waits that out, and the
    executor's next Describe decides.
    Returns True when the request will be retried, False when it failed (or was lost).
    """
    request = repository.get(db, request_id)
    if request is None or request.lease_owner != owner:
        return False
    busy_since = request.busy_since or now
    may_still_land = in_flight_until is not None and now < in_flight_until
    if may_still_land:
        assert in_flight_until is not None
        retry_at = max(retry_at, in_flight_until)
    elif (now - busy_since).total_seconds() >= policy.stuck_after:
        record_failure(
            db,
            request_id=request_id,
            expected=(Status.EXECUTING,),
            owner=owner,
            code=code,
            message=message,
            ecs_request_id=ecs_request_id,
            policy=policy,
            now=now,
            detail={"busy_for_seconds": round((now - busy_since).total_seconds())},
        )
        return False
    values: dict[str, Any] = {"detach_intent_at": None} if refused else {}
    return repository.set_fields(
        db,
        request_id,
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
    request_id: int,
    expected: Collection[Status],
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
    return transition(
        db,
        request_id=request_id,
        expected=expected,
        target=Status.FAILED,
        actor=actor,
        now=now,
        policy=policy,
        lease_owner=owner,
        values={"error_code": code, "error_message": message, "ecs_request_id": ecs_request_id},
        detail={
            "error_code": code,
            "error_message": message,
            "ecs_request_id": ecs_request_id,
            **(detail or {}),
        },
    ).ok


def note_ecs_trouble(
    db: Session, *, request_id: int, code: str, message: str, now: datetime
) -> bool:
    """Tell the thread once that ECS is not answering; True if this call posted it."""
    request = repository.get(db, request_id, for_update=True)
    if request is None or request.ecs_trouble_reported or request.state in TERMINAL:
        return False
    repository.set_fields(db, request_id, {"ecs_trouble_reported": True})
    event = repository.add_event(
        db,
        request_id=request_id,
        at=now,
        actor=SYSTEM_POLLER,
        kind="ecs_trouble",
        from_status=request.state,
        to_status=request.state,
        detail={"error_code": code, "error_message": message},
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


def release(
    db: Session,
    *,
    request_id: int,
    owner: str,
    retry_at: datetime | None = None,
    answered: bool = False,
) -> bool:
    """Give a lease back (clean shutdown, or a retry later).

    `answered`: ECS refused the Detach just sent (throttling, no connection), so its intent is
    answered and no in-flight window needs waiting out.
    """
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
    if answered:
        values["detach_intent_at"] = None
    if retry_at is not None:
        values["next_poll_at"] = retry_at
    return repository.set_fields(db, request_id, values, lease_owner=owner)
