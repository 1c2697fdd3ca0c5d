"""SQL for requests: inserts, compare-and-swap updates, approvals, the audit trail, queries.

No use-case logic here; the use cases decide what should happen and call these. The SQL of a
request's targets (claims, leases, their compare-and-swap) is in `target_store`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.requests.models import Approval, DetachRequest, RequestEvent, RequestTarget
from bot.requests.states import TARGET_OPEN, Status, TargetStatus


@dataclass(frozen=True)
class OpenRequestRef:
    """Enough of an open request to tell someone who holds the ENI (outlives the session)."""

    id: int
    eni_id: str
    requester_id: str
    channel_id: str
    card_ts: str | None
    status: str


class OpenRequestExistsError(Exception):
    """The ENI already has an open request; `existing` describes it."""

    def __init__(self, existing: OpenRequestRef) -> None:
        super().__init__(f"ENI {existing.eni_id} already has open request {existing.id}")
        self.existing = existing


def get(db: Session, request_id: int, *, for_update: bool = False) -> DetachRequest | None:
    """The request, re-read from the database (`for_update` locks it where the dialect can)."""
    stmt = select(DetachRequest).where(DetachRequest.id == request_id)
    if for_update:
        stmt = stmt.with_for_update()
    return db.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def lock_status(db: Session, request_id: int) -> tuple[Status, str] | None:
    """The request's status and operation, its row locked until commit (PostgreSQL; SQLite's
    write lock is taken at BEGIN). None when there is no such request."""
    stmt = (
        select(DetachRequest.status, DetachRequest.operation)
        .where(DetachRequest.id == request_id)
        .with_for_update()
    )
    found = db.execute(stmt).first()
    return (Status(found.status), str(found.operation)) if found is not None else None


def find_open_for_eni(db: Session, eni_id: str) -> DetachRequest | None:
    """The request holding this ENI (through one of its open targets), if any."""
    stmt = (
        select(DetachRequest)
        .join(RequestTarget, RequestTarget.request_id == DetachRequest.id)
        .where(
            RequestTarget.eni_id == eni_id,
            RequestTarget.status.in_([s.value for s in TARGET_OPEN]),
        )
    )
    return db.scalars(stmt).first()


def latest_for_eni(db: Session, eni_id: str) -> DetachRequest | None:
    """The newest request with this ENI among its targets, open or not."""
    newest = (
        select(RequestTarget.request_id)
        .where(RequestTarget.eni_id == eni_id)
        .order_by(RequestTarget.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return db.scalars(select(DetachRequest).where(DetachRequest.id == newest)).first()


def last_detached_from(db: Session, eni_ids: Collection[str]) -> dict[str, str]:
    """The instance this bot last detached each of these ENIs from, by ENI (those it ever did).

    The newest target per ENI among those of a detach that reached done (ix_request_target_eni
    holds eni_id then id, so the newest is found without a sort of the table).
    """
    if not eni_ids:
        return {}
    newest = (
        select(func.max(RequestTarget.id))
        .where(
            RequestTarget.eni_id.in_(list(eni_ids)),
            RequestTarget.operation == "detach",
            RequestTarget.status == TargetStatus.DONE.value,
        )
        .group_by(RequestTarget.eni_id)
    )
    stmt = select(RequestTarget.eni_id, RequestTarget.instance_id).where(
        RequestTarget.id.in_(newest)
    )
    return {row[0]: row[1] for row in db.execute(stmt)}


def find_open_for_enis(db: Session, eni_ids: Collection[str]) -> dict[str, DetachRequest]:
    """The requests holding any of these ENIs through an open target, by ENI (one query)."""
    if not eni_ids:
        return {}
    stmt = (
        select(RequestTarget.eni_id, DetachRequest)
        .join(DetachRequest, RequestTarget.request_id == DetachRequest.id)
        .where(
            RequestTarget.eni_id.in_(list(eni_ids)),
            RequestTarget.status.in_([s.value for s in TARGET_OPEN]),
        )
    )
    return {row[0]: row[1] for row in db.execute(stmt)}


def list_requests(
    db: Session,
    *,
    requester_id: str | None = None,
    statuses: Collection[Status] | None = None,
    limit: int = 20,
) -> list[DetachRequest]:
    """Newest first, optionally by requester and status."""
    stmt = select(DetachRequest).order_by(DetachRequest.id.desc()).limit(limit)
    if requester_id is not None:
        stmt = stmt.where(DetachRequest.requester_id == requester_id)
    if statuses is not None:
        stmt = stmt.where(DetachRequest.status.in_([s.value for s in statuses]))
    return list(db.scalars(stmt))


def due_to_expire(db: Session, *, now: datetime, limit: int) -> list[int]:
    """IDs of pending requests whose approval deadline has passed."""
    stmt = (
        select(DetachRequest.id)
        .where(DetachRequest.status == Status.PENDING.value, DetachRequest.expires_at <= now)
        .order_by(DetachRequest.expires_at)
        .limit(limit)
    )
    return list(db.scalars(stmt))


def insert(db: Session, request: DetachRequest) -> DetachRequest:
    """Insert with its targets; OpenRequestExistsError when another open request holds an ENI."""
    try:
        with db.begin_nested():
            db.add(request)
            db.flush()
    except IntegrityError:
        held = next(
            (
                (target.eni_id, found)
                for target in request.targets
                if (found := find_open_for_eni(db, target.eni_id)) is not None
            ),
            None,
        )
        if held is None:
            raise
        eni_id, existing = held
        raise OpenRequestExistsError(
            OpenRequestRef(
                id=existing.id,
                eni_id=eni_id,
                requester_id=existing.requester_id,
                channel_id=existing.channel_id,
                card_ts=existing.card_ts,
                status=existing.status,
            )
        ) from None
    return request


def compare_and_set(
    db: Session, request_id: int, expected: Collection[Status], values: Mapping[str, Any]
) -> DetachRequest | None:
    """`UPDATE … WHERE id AND status IN expected RETURNING *`; None if lost.

    The row comes back from the UPDATE itself (one round trip), as it now stands.
    """
    stmt = (
        update(DetachRequest)
        .where(
            DetachRequest.id == request_id,
            DetachRequest.status.in_([s.value for s in expected]),
        )
        .values(**values)
        .returning(DetachRequest)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return db.scalars(stmt).one_or_none()


def add_event(
    db: Session,
    *,
    request_id: int,
    at: datetime,
    actor: str,
    kind: str,
    from_status: Status | None = None,
    to_status: Status | None = None,
    detail: Mapping[str, Any] | None = None,
    target_id: int | None = None,
) -> RequestEvent:
    """Append one audit row (`target_id` when it is about one of the request's ENIs)."""
    row = RequestEvent(
        request_id=request_id,
        target_id=target_id,
        at=at,
        actor=actor,
        kind=kind,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        detail=dict(detail or {}),
    )
    db.add(row)
    db.flush()
    return row


def events(db: Session, request_id: int) -> list[RequestEvent]:
    """The request's audit trail, oldest first."""
    stmt = (
        select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
    )
    return list(db.scalars(stmt))


def approvals(db: Session, request_id: int) -> list[Approval]:
    """Decisions recorded for the request, oldest first."""
    stmt = select(Approval).where(Approval.request_id == request_id).order_by(Approval.id)
    return list(db.scalars(stmt))


def add_approval(
    db: Session, *, request_id: int, approver_id: str, decision: str, at: datetime
) -> bool:
    """Record a decision; False when this approver already decided on this request."""
    try:
        with db.begin_nested():
            db.add(
                Approval(request_id=request_id, approver_id=approver_id, decision=decision, at=at)
            )
            db.flush()
    except IntegrityError:
        return False
    return True


def record_rejection(db: Session, *, request_id: int, approver_id: str, at: datetime) -> str | None:
    """Make the approver's one decision a rejection; returns the decision it replaced, if any.

    One row per approver per request holds their decision as it stands: an approver who
    approved and then rejects has rejected, and the card, thread and `/eni status` say so.
    """
    if add_approval(db, request_id=request_id, approver_id=approver_id, decision="reject", at=at):
        return None
    row = db.scalars(
        select(Approval).where(
            Approval.request_id == request_id, Approval.approver_id == approver_id
        )
    ).one()
    previous = row.decision
    row.decision, row.at = "reject", at
    db.flush()
    return previous


def set_fields(db: Session, request_id: int, values: Mapping[str, Any]) -> bool:
    """Update a request's fields without a status change (its card's ts, for one)."""
    stmt = (
        update(DetachRequest)
        .where(DetachRequest.id == request_id)
        .values(**values)
        .returning(DetachRequest.id)
        .execution_options(synchronize_session=False)
    )
    return db.execute(stmt).first() is not None
