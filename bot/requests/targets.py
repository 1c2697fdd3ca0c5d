"""A target's move, and its request following it: the roll-up, its replies, its card.

A request of one ENI reads exactly as in 0.1: every change of the request is a reply in its
thread. A request of several ENIs keeps its thread readable (CONTRACT "Several ENIs in one
request"): a reply when it starts detaching and when it finishes, one per ENI that fails or gets
stuck, none per ENI that simply becomes Available; its card shows the progress, edited at most
about every `CARD_PROGRESS_EVERY` seconds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository, target_store
from bot.requests.models import RequestTarget
from bot.requests.schemas import Policy, TransitionResult
from bot.requests.states import (
    TARGET_TERMINAL,
    IllegalTransitionError,
    Status,
    TargetStatus,
    can_move_target,
)
from bot.requests.states import roll_up as roll_up_status
from bot.requests.transition import transition

__all__ = ["BULK_REPLIES", "CARD_PROGRESS_EVERY", "move_target", "roll_up"]

# The changes of a several-ENI request that get a reply of their own (the rest: card only).
BULK_REPLIES = frozenset(
    {Status.DETACHING, Status.DETACHED, Status.ATTACHING, Status.ATTACHED, Status.FAILED}
)
# Target outcomes that get a reply of their own in a several-ENI request.
_TARGET_REPLIES = frozenset({TargetStatus.FAILED, TargetStatus.STUCK})
# Slack edits of one card for progress alone: at most one per this many seconds.
CARD_PROGRESS_EVERY = 3.0


def move_target(
    db: Session,
    *,
    target_id: int,
    expected: TargetStatus | Collection[TargetStatus],
    to: TargetStatus,
    owner: str | None,
    now: datetime,
    values: Mapping[str, Any] | None = None,
) -> RequestTarget | None:
    """Compare-and-swap one target's status under `owner`'s lease; None when the move was lost.

    The caller rolls the request up afterwards (`roll_up`), in the same transaction.
    """
    froms = {expected} if isinstance(expected, TargetStatus) else set(expected)
    for source in froms:
        if not can_move_target(source, to):
            raise IllegalTransitionError(source, to)
    new_values: dict[str, Any] = {"status": to.value, "updated_at": now, **(values or {})}
    if to in TARGET_TERMINAL:
        new_values.update(finished_at=now, lease_owner=None, lease_until=None, next_poll_at=None)
    return target_store.compare_and_set_target(db, target_id, froms, new_values, lease_owner=owner)


def roll_up(
    db: Session,
    *,
    request_id: int,
    actor: str,
    now: datetime,
    policy: Policy,
    detail: Mapping[str, Any] | None = None,
    reply: bool = True,
    target: RequestTarget | None = None,
) -> TransitionResult | None:
    """Move the request to where its targets now put it; None when that is where it is.

    `target` is the target whose move this follows, when there is one: in a request of several
    ENIs its failure or its getting stuck is a reply of its own, and its progress shows on the
    card. The request row is locked first (PostgreSQL) so that two targets finishing at once in
    two transactions cannot both read the other as still in flight; SQLite's write lock, taken
    at BEGIN, does the same.
    """
    locked = repository.lock_status(db, request_id)
    if locked is None:
        return None
    current, operation = locked
    statuses = target_store.target_statuses(db, request_id)
    several = len(statuses) > 1
    if several and target is not None:
        _audit_target(db, target, actor=actor, now=now, detail=detail)
    wanted = roll_up_status(current, statuses, operation)
    if wanted is current:
        if several and target is not None:
            _progress(db, request_id, now=now)
        return None
    return transition(
        db,
        request_id=request_id,
        expected=current,
        target=wanted,
        actor=actor,
        now=now,
        policy=policy,
        detail={**(detail or {}), "enis": len(statuses)} if several else detail,
        reply=reply and (not several or wanted in BULK_REPLIES),
        current=current,
    )


def _audit_target(
    db: Session,
    target: RequestTarget,
    *,
    actor: str,
    now: datetime,
    detail: Mapping[str, Any] | None,
) -> None:
    """The target's move in the audit trail, and a reply when it failed or got stuck."""
    facts = {
        **(detail or {}),
        "eni_id": target.eni_id,
        "target_status": target.status,
        "ecs_request_id": target.ecs_request_id,
        "error_code": target.error_code,
        "error_message": target.error_message,
    }
    event = repository.add_event(
        db,
        request_id=target.request_id,
        target_id=target.id,
        at=now,
        actor=actor,
        kind="target",
        detail=facts,
    )
    if target.state not in _TARGET_REPLIES:
        return
    key = outbox.thread_key(target.request_id)
    outbox.enqueue(
        db,
        kind=MessageKind.THREAD_REPLY,
        request_id=target.request_id,
        payload={"target": facts, "actor": actor},
        ordering_key=key,
        dedupe_key=f"{key}:event:{event.id}:reply",
        now=now,
    )


def _progress(db: Session, request_id: int, *, now: datetime) -> None:
    """One card update for progress alone, coalesced (see `outbox.enqueue_card_progress`)."""
    outbox.enqueue_card_progress(
        db,
        request_id=request_id,
        ordering_key=outbox.thread_key(request_id),
        now=now,
        every=CARD_PROGRESS_EVERY,
    )
