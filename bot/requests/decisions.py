"""What people do to a request: submit, approve, reject, cancel, retry; and expiry.

Callers own the transaction (`bot.db.transaction`); every status change is one `transition()`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.policy import ClickCheck, Governed
from bot.requests import governing, repository
from bot.requests.governing import Judge
from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.schemas import (
    CARD_LISTS_AT_MOST,
    SYSTEM_EXPIRY,
    Decision,
    NewRequest,
    Outcome,
    Policy,
    Refusal,
)
from bot.requests.states import Status, TargetStatus
from bot.requests.targets import move_target
from bot.requests.transition import announce, transition


def submit(
    db: Session,
    *,
    new: NewRequest,
    policy: Policy,
    now: datetime,
    governed: Governed | None = None,
) -> DetachRequest:
    """Store a pending request and queue its card; raises OpenRequestExistsError.

    `governed` (`governing.govern`) is stored with it and sets the approvals needed; an
    auto-approving rule approves it here, by the move a click makes. Without one (tests), a
    click is judged under the rule the policy gives its ENIs then.
    """
    needed = governed.approvals if governed is not None else policy.approvals_needed
    request = repository.insert(
        db,
        DetachRequest(
            operation=new.operation,
            undo_of=new.undo_of,
            selector=new.selector,
            left_out=[
                {"eni_id": x.eni_id, "problem": x.problem, "facts": dict(x.facts)}
                for x in new.left_out
            ],
            region=new.region,
            requester_id=new.requester_id,
            channel_id=new.channel_id,
            reason=new.reason,
            status=Status.PENDING.value,
            approvals_needed=needed,
            rule_name=governed.rule if governed is not None else None,
            rule=governing.snapshot(governed) if governed is not None else {},
            expires_at=now + timedelta(seconds=policy.approval_ttl),
            created_at=now,
            updated_at=now,
            targets=[
                RequestTarget(
                    position=n,
                    region=new.region,
                    operation=new.operation,
                    eni_id=t.eni_id,
                    instance_id=t.instance_id,
                    status=TargetStatus.QUEUED.value,
                    eni_snapshot=dict(t.eni_snapshot),
                    attempts=0,
                    poll_count=0,
                    ecs_trouble_reported=False,
                    created_at=now,
                    updated_at=now,
                )
                for n, t in enumerate(new.targets)
            ],
        ),
    )
    repository.add_event(
        db,
        request_id=request.id,
        at=now,
        actor=new.requester_id,
        kind="transition",
        to_status=Status.PENDING,
        detail={
            "reason": new.reason,
            "region": new.region,
            "instance_id": new.targets[0].instance_id,
            "enis": [t.eni_id for t in new.targets],
            **({"rule": governed.rule} if governed is not None else {}),
        },
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
    if len(new.targets) > CARD_LISTS_AT_MOST:
        # The card names the first ones; the full list is the first reply in its thread.
        outbox.enqueue(
            db,
            kind=MessageKind.THREAD_REPLY,
            request_id=request.id,
            payload={"eni_list": True},
            ordering_key=key,
            dedupe_key=f"{key}:eni_list",
            now=now,
        )
    if governed is not None and governed.auto_approve:
        # The card is rendered at send time, so it goes out approved (without buttons); the
        # move's thread reply names the rule that approved it.
        result = transition(
            db,
            request_id=request.id,
            expected=Status.PENDING,
            target=Status.APPROVED,
            actor=governing.auto_approver(governed.rule),
            now=now,
            policy=policy,
            detail={"auto_approved": True, "rule": governed.rule},
            current=Status.PENDING,
        )
        if result.request is not None:
            request = result.request
    return request


def approve(
    db: Session,
    *,
    request_id: int,
    approver_id: str,
    judge: Judge,
    policy: Policy,
    now: datetime,
) -> Decision:
    """Count one approval; move to approved when distinct approvals reach the quorum.

    `judge` (the policy at the click, its user groups read before the transaction) says whether
    a click counts: an approver of the governing rule or of a freeze in force now, not the
    requester unless the rule allows it. Earlier approvals are recounted by the same judge, so
    one by someone no longer an approver (or outside a freeze begun since) stays on record but
    does not count. The row lock (PostgreSQL) or write lock (SQLite) serialises the counting.
    """
    request = repository.get(db, request_id, for_update=True)
    refusal = _pending_refusal(db, request, now=now, policy=policy)
    if refusal is not None or request is None:
        return Decision(Outcome.REFUSED, request, refusal)
    check = judge.approval(request, approver_id)
    if not check.counts:
        return Decision(Outcome.REFUSED, request, _refused_click(check), check=check)
    if not repository.add_approval(
        db, request_id=request_id, approver_id=approver_id, decision="approve", at=now
    ):
        return Decision(Outcome.REFUSED, request, Refusal.ALREADY_DECIDED_BY_YOU)
    count = sum(
        1
        for a in repository.approvals(db, request_id)
        if a.decision == "approve"
        and (a.approver_id == approver_id or judge.approval(request, a.approver_id).counts)
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
        announce(
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
    judge: Judge,
    policy: Policy,
    now: datetime,
    note: str | None = None,
) -> Decision:
    """One approver's rejection ends a pending request (it replaces their own approval).

    `judge.rejection`: an approver now (who may be the requester) may reject."""
    request = repository.get(db, request_id, for_update=True)
    refusal = _pending_refusal(db, request, now=now, policy=policy)
    if refusal is not None or request is None:
        return Decision(Outcome.REFUSED, request, refusal)
    check = judge.rejection(request, approver_id)
    if not check.counts:
        return Decision(Outcome.REFUSED, request, _refused_click(check), check=check)
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
        current=request.state,  # read (and locked) above: no second read
    )
    if not result.ok:
        return Decision(Outcome.REFUSED, result.request, Refusal.NOT_CANCELLABLE)
    return Decision(Outcome.CANCELLED, result.request)


def retry(
    db: Session, *, request_id: int, actor_id: str, policy: Policy, now: datetime
) -> Decision:
    """Re-initiate a stuck request's stuck ENIs: back to the executor, which looks again and
    sends the call again (the request follows: executing)."""
    request = repository.get(db, request_id, for_update=True)
    if request is None:
        return Decision(Outcome.REFUSED, None, Refusal.NOT_FOUND)
    if request.state is not Status.STUCK:
        return Decision(Outcome.REFUSED, request, Refusal.NOT_STUCK)
    stuck = [t for t in request.targets if t.state is TargetStatus.STUCK]
    for target in stuck:
        # Taken from whoever watches it (the poller's lease, if any, is void from here on).
        move_target(
            db,
            target_id=target.id,
            expected=TargetStatus.STUCK,
            to=TargetStatus.SENDING,
            owner=None,
            now=now,
            values={
                "lease_owner": None,
                "lease_until": None,
                "next_poll_at": now,
                "busy_since": None,
            },
        )
    result = transition(
        db,
        request_id=request_id,
        expected=Status.STUCK,
        target=Status.EXECUTING,
        actor=actor_id,
        now=now,
        policy=policy,
        detail={"retry": True, "enis": [t.eni_id for t in stuck]},
        current=request.state,
    )
    if not result.ok:
        return Decision(Outcome.REFUSED, result.request, Refusal.NOT_STUCK)
    return Decision(Outcome.RETRYING, result.request)


def _refused_click(check: ClickCheck) -> Refusal:
    """The policy's reason for not counting a click, as the decision's refusal."""
    return Refusal(check.refusal.value) if check.refusal is not None else Refusal.NOT_APPROVER


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
