"""SQL for detach requests: inserts, compare-and-swap updates, claims with leases, queries.

No use-case logic here; `service` decides what should happen and calls these.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from bot.db import claim_leases
from bot.requests.models import Approval, DetachRequest, RequestEvent
from bot.requests.states import OPEN, Status


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


def get_many(
    db: Session, request_ids: Sequence[int], *, for_workers: bool = False
) -> list[DetachRequest]:
    """The requests with these IDs, freshly read, in ID order (one query, not one per ID).

    `for_workers` loads only what the poller reads: a poll cycle over thousands of requests
    should not decode their ENI snapshots or convert a dozen timestamps each.
    """
    if not request_ids:
        return []
    stmt = (
        select(DetachRequest)
        .where(DetachRequest.id.in_(list(request_ids)))
        .order_by(DetachRequest.id)
        .execution_options(populate_existing=True)
    )
    if for_workers:
        # What the poller reads; anything else still loads on first access.
        stmt = stmt.options(
            load_only(
                DetachRequest.region,
                DetachRequest.eni_id,
                DetachRequest.instance_id,
                DetachRequest.status,
                DetachRequest.poll_count,
                DetachRequest.detach_sent_at,
                DetachRequest.updated_at,
                DetachRequest.lease_owner,
            )
        )
    return list(db.scalars(stmt))


def find_open_for_eni(db: Session, eni_id: str) -> DetachRequest | None:
    """The open (non-terminal) request for this ENI, if any."""
    stmt = select(DetachRequest).where(
        DetachRequest.eni_id == eni_id, DetachRequest.status.in_([s.value for s in OPEN])
    )
    return db.scalars(stmt).first()


def latest_for_eni(db: Session, eni_id: str) -> DetachRequest | None:
    """The newest request for this ENI, open or not."""
    stmt = (
        select(DetachRequest)
        .where(DetachRequest.eni_id == eni_id)
        .order_by(DetachRequest.id.desc())
        .limit(1)
    )
    return db.scalars(stmt).first()


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
    """Insert; a second open request for the ENI raises OpenRequestExistsError."""
    try:
        with db.begin_nested():
            db.add(request)
            db.flush()
    except IntegrityError:
        existing = find_open_for_eni(db, request.eni_id)
        if existing is None:
            raise
        raise OpenRequestExistsError(
            OpenRequestRef(
                id=existing.id,
                eni_id=existing.eni_id,
                requester_id=existing.requester_id,
                channel_id=existing.channel_id,
                card_ts=existing.card_ts,
                status=existing.status,
            )
        ) from None
    return request


def compare_and_set(
    db: Session,
    request_id: int,
    expected: Collection[Status],
    values: Mapping[str, Any],
    *,
    lease_owner: str | None = None,
) -> DetachRequest | None:
    """`UPDATE … WHERE id AND status IN expected [AND lease_owner] RETURNING *`; None if lost.

    The row comes back from the UPDATE itself (one round trip), as it now stands. `values` may
    hold SQL expressions over the old row (`DetachRequest.attempts + 1`).
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
    if lease_owner is not None:
        stmt = stmt.where(DetachRequest.lease_owner == lease_owner)
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
) -> RequestEvent:
    """Append one audit row."""
    row = RequestEvent(
        request_id=request_id,
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


def claim(
    db: Session,
    *,
    statuses: Collection[Status],
    owner: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> Sequence[int]:
    """Lease up to `limit` due requests in `statuses` whose lease is free or expired."""
    due = or_(DetachRequest.next_poll_at.is_(None), DetachRequest.next_poll_at <= now)
    in_status = DetachRequest.status.in_([s.value for s in statuses])
    return claim_leases(
        db,
        DetachRequest,
        where=[in_status, due],
        recheck=[in_status],
        order_by=[DetachRequest.next_poll_at, DetachRequest.id],
        owner=owner,
        now=now,
        until=lease_until,
        limit=limit,
    )


def set_fields(
    db: Session, request_id: int, values: Mapping[str, Any], *, lease_owner: str | None = None
) -> bool:
    """Update fields without a status change (guarded by the lease when `lease_owner` is given)."""
    stmt = (
        update(DetachRequest)
        .where(DetachRequest.id == request_id)
        .values(**values)
        .returning(DetachRequest.id)
        .execution_options(synchronize_session=False)
    )
    if lease_owner is not None:
        stmt = stmt.where(DetachRequest.lease_owner == lease_owner)
    won = db.execute(stmt).first() is not None
    if won:
        get(db, request_id)
    return won


def extend_leases(
    db: Session,
    request_ids: Collection[int],
    *,
    owner: str,
    statuses: Collection[Status],
    lease_until: datetime,
) -> set[int]:
    """Push `owner`'s leases on many rows forward in one UPDATE; returns the IDs still ours."""
    if not request_ids:
        return set()
    stmt = (
        update(DetachRequest)
        .where(
            DetachRequest.id.in_(list(request_ids)),
            DetachRequest.lease_owner == owner,
            DetachRequest.status.in_([s.value for s in statuses]),
        )
        .values(lease_until=lease_until)
        .returning(DetachRequest.id)
        .execution_options(synchronize_session=False)
    )
    return set(db.scalars(stmt))
