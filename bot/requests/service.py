"""Use cases that move detach requests: submit, decide, cancel, expire, execute, poll.

Every status change goes through `transition()`: one compare-and-swap, its audit row and its
outbox rows in the caller's transaction. A lost race comes back as `ok=False` (that is how a
double click becomes a no-op). Callers own the transaction (`bot.db.transaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository
from bot.requests.models import DetachRequest
from bot.requests.repository import OpenRequestExistsError
from bot.requests.states import TERMINAL, IllegalTransitionError, Status, can_move

__all__ = [
    "Decision",
    "EniObservation",
    "NewRequest",
    "OpenRequestExistsError",
    "Outcome",
    "Policy",
    "Refusal",
    "TransitionResult",
]

SYSTEM_EXECUTOR = "system:executor"
SYSTEM_POLLER = "system:poller"
SYSTEM_EXPIRY = "system:expiry"
SYSTEM_RELAY = "system:relay"


@dataclass(frozen=True)
class Policy:
    """The settings the use cases need (from ENIBOT_* variables)."""

    approvals_needed: int = 1
    approval_ttl: float = 1800.0
    stuck_after: float = 300.0
    incident_channel: str | None = None


@dataclass(frozen=True)
class NewRequest:
    """A validated, pre-flighted request, ready to store."""

    region: str
    eni_id: str
    instance_id: str
    requester_id: str
    channel_id: str
    reason: str
    eni_snapshot: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransitionResult:
    """Whether the move happened, and the request as it now stands (None if unknown ID)."""

    ok: bool
    request: DetachRequest | None


class Outcome(StrEnum):
    """What a person's click or command achieved."""

    APPROVED = "approved"  # quorum reached: the request moves to execution
    RECORDED = "recorded"  # approval counted, more approvals needed
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RETRYING = "retrying"
    REFUSED = "refused"


class Refusal(StrEnum):
    """Why a decision was refused; the Slack layer turns these into words."""

    NOT_FOUND = "not_found"
    OWN_REQUEST = "own_request"
    ALREADY_DECIDED_BY_YOU = "already_decided_by_you"
    NOT_PENDING = "not_pending"
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_STUCK = "not_stuck"


@dataclass(frozen=True)
class Decision:
    """The result of approve/reject/cancel/retry."""

    outcome: Outcome
    request: DetachRequest | None
    refusal: Refusal | None = None
    approvals: int = 0
    needed: int = 0


@dataclass(frozen=True)
class EniObservation:
    """What a Describe said about the ENI (None instead of this means: it no longer exists)."""

    status: str
    instance_id: str | None


# ---------------------------------------------------------------------------- the one move


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
    lease_owner: str | None = None,
    reply: bool = True,
) -> TransitionResult:
    """Compare-and-swap the status, append the audit row, enqueue the messages."""
    froms = {expected} if isinstance(expected, Status) else set(expected)
    for source in froms:
        if not can_move(source, target):
            raise IllegalTransitionError(source, target)
    before = repository.get(db, request_id)
    if before is None:
        return TransitionResult(False, None)
    source_status = before.state
    new_values: dict[str, Any] = {"status": target.value, "updated_at": now, **(values or {})}
    if target in TERMINAL:
        new_values.update(finished_at=now, lease_owner=None, lease_until=None, next_poll_at=None)
    won = repository.compare_and_set(db, request_id, froms, new_values, lease_owner=lease_owner)
    request = repository.get(db, request_id)
    if not won or request is None:
        return TransitionResult(False, request)
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
    _announce(db, request, event_id=event.id, actor=actor, detail=detail, now=now, reply=reply)
    if target in TERMINAL and policy.incident_channel:
        _summarise(db, request, event_id=event.id, channel=policy.incident_channel, now=now)
    return TransitionResult(True, request)


def _announce(
    db: Session,
    request: DetachRequest,
    *,
    event_id: int,
    actor: str,
    detail: Mapping[str, Any] | None,
    now: datetime,
    reply: bool,
) -> None:
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
    outbox.enqueue(
        db,
        kind=MessageKind.INCIDENT_SUMMARY,
        request_id=request.id,
        payload={
            "channel": channel,
            "status": request.status,
            "eni_id": request.eni_id,
            "instance_id": request.instance_id,
            "region": request.region,
            "requester_id": request.requester_id,
            "error_code": request.error_code,
            "ecs_request_id": request.ecs_request_id,
        },
        ordering_key=outbox.channel_key(channel),
        dedupe_key=f"{outbox.thread_key(request.id)}:event:{event_id}:summary",
        now=now,
    )


# ---------------------------------------------------------------------------- people


def submit(db: Session, *, new: NewRequest, policy: Policy, now: datetime) -> DetachRequest:
    """Store a pending request and queue its approval card; raises OpenRequestExistsError."""
    request = repository.insert(
        db,
        DetachRequest(
            region=new.region,
            eni_id=new.eni_id,
            instance_id=new.instance_id,
            requester_id=new.requester_id,
            channel_id=new.channel_id,
            reason=new.reason,
            status=Status.PENDING.value,
            approvals_needed=policy.approvals_needed,
            expires_at=now + timedelta(seconds=policy.approval_ttl),
            eni_snapshot=dict(new.eni_snapshot),
            attempts=0,
            poll_count=0,
            ecs_trouble_reported=False,
            created_at=now,
            updated_at=now,
        ),
    )
    repository.add_event(
        db,
        request_id=request.id,
        at=now,
        actor=new.requester_id,
        kind="transition",
        to_status=Status.PENDING,
        detail={"reason": new.reason, "region": new.region, "instance_id": new.instance_id},
    )
    key = outbox.thread_key(request.id)
    outbox.enqueue(
        db,
        kind=MessageKind.CARD,
        request_id=request.id,
        payload={"channel": new.channel_id},
        ordering_key=key,
        dedupe_key=f"{key}:card",
        now=now,
    )
    return request


def approve(
    db: Session,
    *,
    request_id: int,
    approver_id: str,
    is_approver: Callable[[str], bool],
    policy: Policy,
    now: datetime,
) -> Decision:
    """Count one approver's approval; move to approved when distinct approvals reach quorum.

    The caller has already checked that `approver_id` is an approver. Every earlier approval is
    counted only if its approver still is one now (`is_approver`, resolved before the
    transaction so no Slack call runs under the lock): someone removed from the approvers since
    their click no longer counts, though their decision stays on record. The row lock
    (PostgreSQL) or the write lock (SQLite) makes concurrent approvals count each other.
    """
    request = repository.get(db, request_id, for_update=True)
    refusal = _pending_refusal(db, request, now=now, policy=policy)
    if refusal is not None or request is None:
        return Decision(Outcome.REFUSED, request, refusal)
    if approver_id == request.requester_id:
        return Decision(Outcome.REFUSED, request, Refusal.OWN_REQUEST)
    if not repository.add_approval(
        db, request_id=request_id, approver_id=approver_id, decision="approve", at=now
    ):
        return Decision(Outcome.REFUSED, request, Refusal.ALREADY_DECIDED_BY_YOU)
    count = sum(
        1
        for a in repository.approvals(db, request_id)
        if a.decision == "approve" and (a.approver_id == approver_id or is_approver(a.approver_id))
    )
    needed = request.approvals_needed
    if count < needed:
        event = repository.add_event(
            db,
            request_id=request_id,
            at=now,
            actor=approver_id,
            kind="approval",
            from_status=Status.PENDING,
            to_status=Status.PENDING,
            detail={"approvals": count, "needed": needed},
        )
        _announce(
            db,
            request,
            event_id=event.id,
            actor=approver_id,
            detail={"approvals": count, "needed": needed, "partial": True},
            now=now,
            reply=True,
        )
        return Decision(Outcome.RECORDED, request, approvals=count, needed=needed)
    result = transition(
        db,
        request_id=request_id,
        expected=Status.PENDING,
        target=Status.APPROVED,
        actor=approver_id,
        now=now,
        policy=policy,
        values={"next_poll_at": now},
        detail={"approvals": count, "needed": needed},
    )
    if not result.ok:
        return Decision(Outcome.REFUSED, result.request, Refusal.NOT_PENDING)
    return Decision(Outcome.APPROVED, result.request, approvals=count, needed=needed)


def reject(
    db: Session,
    *,
    request_id: int,
    approver_id: str,
    policy: Policy,
    now: datetime,
    note: str | None = None,
) -> Decision:
    """One approver's rejection ends a pending request (it replaces their own approval)."""
    request = repository.get(db, request_id, for_update=True)
    refusal = _pending_refusal(db, request, now=now, policy=policy)
    if refusal is not None or request is None:
        return Decision(Outcome.REFUSED, request, refusal)
    previous = repository.record_rejection(
        db, request_id=request_id, approver_id=approver_id, at=now
    )
    detail: dict[str, Any] = {"note": note} if note else {}
    if previous == "approve":
        detail["withdrew_approval"] = True
    result = transition(
        db,
        request_id=request_id,
        expected=Status.PENDING,
        target=Status.REJECTED,
        actor=approver_id,
        now=now,
        policy=policy,
        detail=detail or None,
    )
    if not result.ok:
        return Decision(Outcome.REFUSED, result.request, Refusal.NOT_PENDING)
    return Decision(Outcome.REJECTED, result.request)


def cancel(
    db: Session,
    *,
    request_id: int,
    actor_id: str,
    actor_is_approver: bool,
    policy: Policy,
    now: datetime,
) -> Decision:
    """The requester or an approver withdraws a pending or approved request."""
    request = repository.get(db, request_id, for_update=True)
    if request is None:
        return Decision(Outcome.REFUSED, None, Refusal.NOT_FOUND)
    if actor_id != request.requester_id and not actor_is_approver:
        return Decision(Outcome.REFUSED, request, Refusal.NOT_ALLOWED)
    result = transition(
        db,
        request_id=request_id,
        expected=(Status.PENDING, Status.APPROVED),
        target=Status.CANCELLED,
        actor=actor_id,
        now=now,
        policy=policy,
    )
    if not result.ok:
        return Decision(Outcome.REFUSED, result.request, Refusal.NOT_CANCELLABLE)
    return Decision(Outcome.CANCELLED, result.request)


def retry(
    db: Session, *, request_id: int, actor_id: str, policy: Policy, now: datetime
) -> Decision:
    """Re-initiate a stuck detach: back to the executor, which sends Detach again."""
    request = repository.get(db, request_id, for_update=True)
    if request is None:
        return Decision(Outcome.REFUSED, None, Refusal.NOT_FOUND)
    result = transition(
        db,
        request_id=request_id,
        expected=Status.STUCK,
        target=Status.EXECUTING,
        actor=actor_id,
        now=now,
        policy=policy,
        values={"lease_owner": None, "lease_until": None, "next_poll_at": now, "busy_since": None},
        detail={"retry": True},
    )
    if not result.ok:
        return Decision(Outcome.REFUSED, result.request, Refusal.NOT_STUCK)
    return Decision(Outcome.RETRYING, result.request)


def card_undeliverable(
    db: Session, *, request_id: int, problem: str, policy: Policy, now: datetime
) -> bool:
    """The approval card can never be posted: cancel the request, and tell the requester why.

    Called by the relay in the transaction that gives the card up (`problem` is Slack's error,
    e.g. `channel_not_found`). Nobody can approve a card that is not there, and the requester
    was told it was waiting for approval. True when the request was cancelled; a request that
    has moved past approval is left to run, and the requester is told that instead.
    """
    result = transition(
        db,
        request_id=request_id,
        expected=(Status.PENDING, Status.APPROVED),
        target=Status.CANCELLED,
        actor=SYSTEM_RELAY,
        now=now,
        policy=policy,
        detail={"card_undeliverable": problem},
        reply=False,  # there is no thread to reply in
    )
    request = result.request
    if request is None or (not result.ok and request.state in TERMINAL):
        return False  # gone, or already ended (cancelled, expired…): nothing left to say
    key = outbox.thread_key(request.id)
    outbox.enqueue(
        db,
        kind=MessageKind.REQUESTER_NOTICE,
        request_id=request.id,
        payload={"user": request.requester_id, "problem": problem, "cancelled": result.ok},
        ordering_key=key,
        dedupe_key=f"{key}:card_undeliverable",
        now=now,
    )
    return result.ok


def _pending_refusal(
    db: Session, request: DetachRequest | None, *, now: datetime, policy: Policy
) -> Refusal | None:
    if request is None:
        return Refusal.NOT_FOUND
    if request.state is Status.EXPIRED:
        return Refusal.EXPIRED
    if request.state is not Status.PENDING:
        return Refusal.NOT_PENDING
    if request.expires_at <= now:
        # The sweeper has not got to it yet; expire it now rather than act on it.
        _expire_one(db, request.id, now=now, policy=policy)
        return Refusal.EXPIRED
    return None


def expire_due(db: Session, *, now: datetime, policy: Policy, limit: int = 100) -> list[int]:
    """Move pending requests past their approval deadline to expired."""
    due = repository.due_to_expire(db, now=now, limit=limit)
    return [rid for rid in due if _expire_one(db, rid, now=now, policy=policy)]


def _expire_one(db: Session, request_id: int, *, now: datetime, policy: Policy) -> bool:
    return transition(
        db,
        request_id=request_id,
        expected=Status.PENDING,
        target=Status.EXPIRED,
        actor=SYSTEM_EXPIRY,
        now=now,
        policy=policy,
    ).ok


# ---------------------------------------------------------------------------- workers


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


def start_execution(
    db: Session, *, request_id: int, owner: str, policy: Policy, now: datetime
) -> bool:
    """approved → executing for a request this worker has leased (card shows it, no reply)."""
    return transition(
        db,
        request_id=request_id,
        expected=Status.APPROVED,
        target=Status.EXECUTING,
        actor=SYSTEM_EXECUTOR,
        now=now,
        policy=policy,
        lease_owner=owner,
        reply=False,
    ).ok


def mark_detach_intent(db: Session, *, request_id: int, owner: str, now: datetime) -> bool:
    """Record that a Detach is about to be sent; commit this before sending.

    An intent still set from an earlier attempt was never answered definitely (its holder died,
    or its answer was lost): that Detach may have been applied, and that is kept.
    """
    request = repository.get(db, request_id)
    if request is None:
        return False
    values: dict[str, Any] = {
        "detach_intent_at": now,
        "attempts": request.attempts + 1,
        "updated_at": now,
    }
    if request.detach_intent_at is not None and request.detach_maybe_applied_at is None:
        values["detach_maybe_applied_at"] = request.detach_intent_at
    return repository.compare_and_set(db, request_id, {Status.EXECUTING}, values, lease_owner=owner)


def record_outcome_unknown(db: Session, *, request_id: int, owner: str, now: datetime) -> bool:
    """The Detach just sent may have been applied (lost answer, server error): never forget it."""
    request = repository.get(db, request_id)
    if request is None or request.detach_maybe_applied_at is not None:
        return request is not None
    return repository.compare_and_set(
        db,
        request_id,
        {Status.EXECUTING},
        {"detach_maybe_applied_at": request.detach_intent_at or now, "updated_at": now},
        lease_owner=owner,
    )


def may_have_detached(request: DetachRequest) -> bool:
    """Whether a Detach of this request was accepted, or may have been applied unanswered."""
    return (
        request.detach_sent_at is not None
        or request.detach_intent_at is not None
        or request.detach_maybe_applied_at is not None
    )


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
) -> bool:
    """ECS said "busy, try later": stay executing and retry, or fail once the budget is spent.

    `refused` means ECS answered this Detach with a refusal, so this call was not applied and
    its intent is answered. When the wait comes from anything else (the instance is not yet
    Running, a lost answer), the Detach may still take effect: keep the intent, so the in-flight
    window is waited out. Neither forgets `detach_maybe_applied_at`: an earlier call that may
    have been applied outlives any later refusal.
    Returns True when the request will be retried, False when it failed (or was lost).
    """
    request = repository.get(db, request_id)
    if request is None or request.lease_owner != owner:
        return False
    busy_since = request.busy_since or now
    if (now - busy_since).total_seconds() >= policy.stuck_after:
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


def release(db: Session, *, request_id: int, owner: str, retry_at: datetime | None = None) -> bool:
    """Give a lease back (clean shutdown, or a retry later)."""
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
    if retry_at is not None:
        values["next_poll_at"] = retry_at
    return repository.set_fields(db, request_id, values, lease_owner=owner)
