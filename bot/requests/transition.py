"""The moves: compare-and-swap the status, append the audit row, enqueue the messages.

Every request status change goes through `transition()`, in the caller's transaction; a
target moves with `targets.move_target()` and its request follows with `targets.roll_up()`.
A lost race comes back as `ok=False` (that is how a double click becomes a no-op).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository, target_store
from bot.requests.models import DetachRequest
from bot.requests.schemas import Policy, TransitionResult
from bot.requests.states import TERMINAL, IllegalTransitionError, Status, TargetStatus, can_move

# How the incident summary counts a finished request's ENIs.
_OUTCOME = {
    TargetStatus.DONE: "available",
    TargetStatus.FAILED: "failed",
    TargetStatus.SKIPPED: "skipped",
    TargetStatus.STUCK: "stuck",
}


def transition(
    db: Session,
    *,
    request_id: int,
    expected: Status | Collection[Status],
    target: Status,
    actor: str,
    now: datetime,
    policy: Policy,
    values: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    reply: bool = True,
    current: Status | None = None,
) -> TransitionResult:
    """Compare-and-swap the status, append the audit row, enqueue the messages.

    One UPDATE when the move has one source status, or when the caller already read the row in
    this transaction and passes its status as `current`; otherwise the row is read first, since
    the audit row names the status it moved from. A lost race reads the row to report it.
    """
    froms = {expected} if isinstance(expected, Status) else set(expected)
    for source in froms:
        if not can_move(source, target):
            raise IllegalTransitionError(source, target)
    if current is None and len(froms) > 1:
        before = repository.get(db, request_id)
        if before is None:
            return TransitionResult(False, None)
        current = before.state
    # The CAS expects exactly the status the audit row will name as the source.
    source_status = current if current is not None else next(iter(froms))
    new_values: dict[str, Any] = {"status": target.value, "updated_at": now, **(values or {})}
    if target in TERMINAL:
        new_values["finished_at"] = now
    request = (
        repository.compare_and_set(db, request_id, {source_status}, new_values)
        if source_status in froms
        else None
    )
    if request is None:
        return TransitionResult(False, repository.get(db, request_id))
    # Rejected, expired, cancelled, or finished with ENIs never sent: free those ENIs.
    if target in TERMINAL and target_store.skip_queued(db, request_id, now=now):
        db.refresh(request, ["targets"])
    event = repository.add_event(
        db,
        request_id=request_id,
        at=now,
        actor=actor,
        kind="transition",
        from_status=source_status,
        to_status=target,
        detail=detail,
    )
    announce(db, request, event_id=event.id, actor=actor, detail=detail, now=now, reply=reply)
    if target in TERMINAL and policy.incident_channel:
        _summarise(db, request, event_id=event.id, channel=policy.incident_channel, now=now)
    return TransitionResult(True, request)


def announce(
    db: Session,
    request: DetachRequest,
    *,
    event_id: int,
    actor: str,
    detail: Mapping[str, Any] | None,
    now: datetime,
    reply: bool,
) -> None:
    """Queue the thread reply (when `reply`) and the card update for one audited change."""
    key = outbox.thread_key(request.id)
    if reply:
        outbox.enqueue(
            db,
            kind=MessageKind.THREAD_REPLY,
            request_id=request.id,
            payload={"status": request.status, "actor": actor, "detail": dict(detail or {})},
            ordering_key=key,
            dedupe_key=f"{key}:event:{event_id}:reply",
            now=now,
        )
    # The card is re-rendered from the request's state when sent, so each update is complete.
    outbox.enqueue(
        db,
        kind=MessageKind.CARD_UPDATE,
        request_id=request.id,
        payload={"status": request.status},
        ordering_key=key,
        dedupe_key=f"{key}:event:{event_id}:card",
        now=now,
    )


def _summarise(
    db: Session, request: DetachRequest, *, event_id: int, channel: str, now: datetime
) -> None:
    first = request.target
    counts: dict[str, int] = {}
    for target in request.targets:
        word = _OUTCOME.get(target.state, target.status)
        counts[word] = counts.get(word, 0) + 1
    outbox.enqueue(
        db,
        kind=MessageKind.INCIDENT_SUMMARY,
        request_id=request.id,
        payload={
            "channel": channel,
            "status": request.status,
            "eni_id": first.eni_id,
            "instance_id": first.instance_id,
            "region": request.region,
            "requester_id": request.requester_id,
            "error_code": first.error_code,
            "ecs_request_id": first.ecs_request_id,
            "enis": len(request.targets),
            "counts": counts,
        },
        ordering_key=outbox.channel_key(channel),
        dedupe_key=f"{outbox.thread_key(request.id)}:event:{event_id}:summary",
        now=now,
    )
