"""SQL for a request's targets: reads, leased claims, compare-and-swap and lease-guarded writes.

No use-case logic here; `execution`, `polling` and `transition` decide what should happen and
call these. The request rows' own SQL is in `repository`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.db import claim_leases
from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.states import IN_TRANSITION, Status, TargetStatus


def get_target(db: Session, target_id: int, *, for_update: bool = False) -> RequestTarget | None:
    """The target, re-read from the database (`for_update` locks it where the dialect can)."""
    stmt = select(RequestTarget).where(RequestTarget.id == target_id)
    if for_update:
        stmt = stmt.with_for_update()
    return db.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def get_targets(db: Session, target_ids: Sequence[int]) -> list[RequestTarget]:
    """The targets with these IDs, freshly read, in ID order (one query, not one per ID)."""
    if not target_ids:
        return []
    stmt = (
        select(RequestTarget)
        .where(RequestTarget.id.in_(list(target_ids)))
        .order_by(RequestTarget.id)
        .execution_options(populate_existing=True)
    )
    return list(db.scalars(stmt))


def target_statuses(db: Session, request_id: int) -> list[TargetStatus]:
    """The statuses of the request's targets, in order (what its own status rolls up from)."""
    stmt = (
        select(RequestTarget.status)
        .where(RequestTarget.request_id == request_id)
        .order_by(RequestTarget.position)
    )
    return [TargetStatus(v) for v in db.scalars(stmt)]


def claim_targets(
    db: Session,
    *,
    statuses: Collection[TargetStatus],
    request_statuses: Collection[Status],
    owner: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    places: int | None = None,
) -> Sequence[int]:
    """Lease up to `limit` due targets in `statuses`, of requests in `request_statuses`.

    `places`: a queued target is taken only while fewer than that many of its request's
    targets are between their call and their outcome (sending or in flight). The start of each
    one checks again under the request's lock (`in_transition`): a claim may see a stale count.
    """
    due = or_(RequestTarget.next_poll_at.is_(None), RequestTarget.next_poll_at <= now)
    in_status = RequestTarget.status.in_([s.value for s in statuses])
    of_requests = RequestTarget.request_id.in_(
        select(DetachRequest.id).where(
            DetachRequest.status.in_([s.value for s in request_statuses])
        )
    )
    where = [in_status, due, of_requests]
    if places is not None:
        # A queued target goes when its place in the queue is within the request's free
        # places: the targets in transition plus the queued ones before it (by position) are
        # fewer than `places`. So one claim takes the next ENIs in order, never more.
        sibling = aliased(RequestTarget)
        ahead = (
            select(func.count())
            .where(
                sibling.request_id == RequestTarget.request_id,
                or_(
                    sibling.status.in_([s.value for s in IN_TRANSITION]),
                    (sibling.status == TargetStatus.QUEUED.value)
                    & (sibling.position < RequestTarget.position),
                ),
            )
            .scalar_subquery()
        )
        where.append(or_(RequestTarget.status != TargetStatus.QUEUED.value, ahead < places))
    return claim_leases(
        db,
        RequestTarget,
        where=where,
        recheck=[in_status],
        order_by=[RequestTarget.next_poll_at, RequestTarget.id],
        owner=owner,
        now=now,
        until=lease_until,
        limit=limit,
    )


def compare_and_set_target(
    db: Session,
    target_id: int,
    expected: Collection[TargetStatus],
    values: Mapping[str, Any],
    *,
    lease_owner: str | None = None,
) -> RequestTarget | None:
    """`UPDATE … WHERE id AND status IN expected [AND lease_owner] RETURNING *`; None if lost.

    `values` may hold SQL expressions over the old row (`RequestTarget.attempts + 1`).
    """
    stmt = (
        update(RequestTarget)
        .where(
            RequestTarget.id == target_id,
            RequestTarget.status.in_([s.value for s in expected]),
        )
        .values(**values)
        .returning(RequestTarget)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if lease_owner is not None:
        stmt = stmt.where(RequestTarget.lease_owner == lease_owner)
    return db.scalars(stmt).one_or_none()


def set_target_fields(
    db: Session, target_id: int, values: Mapping[str, Any], *, lease_owner: str | None = None
) -> bool:
    """Update a target without a status change (guarded by the lease when `lease_owner`)."""
    stmt = (
        update(RequestTarget)
        .where(RequestTarget.id == target_id)
        .values(**values)
        .returning(RequestTarget.id)
        .execution_options(synchronize_session=False)
    )
    if lease_owner is not None:
        stmt = stmt.where(RequestTarget.lease_owner == lease_owner)
    return db.execute(stmt).first() is not None


def reschedule_targets(
    db: Session,
    target_ids: Collection[int],
    *,
    owner: str,
    statuses: Collection[TargetStatus],
    values: Mapping[str, Any],
) -> None:
    """The same field values for many targets `owner` still holds, in one UPDATE."""
    db.execute(
        update(RequestTarget)
        .where(
            RequestTarget.id.in_(list(target_ids)),
            RequestTarget.lease_owner == owner,
            RequestTarget.status.in_([s.value for s in statuses]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def extend_leases(
    db: Session,
    target_ids: Collection[int],
    *,
    owner: str,
    statuses: Collection[TargetStatus],
    lease_until: datetime,
) -> set[int]:
    """Push `owner`'s leases on many targets forward in one UPDATE; the IDs still ours."""
    if not target_ids:
        return set()
    stmt = (
        update(RequestTarget)
        .where(
            RequestTarget.id.in_(list(target_ids)),
            RequestTarget.lease_owner == owner,
            RequestTarget.status.in_([s.value for s in statuses]),
        )
        .values(lease_until=lease_until)
        .returning(RequestTarget.id)
        .execution_options(synchronize_session=False)
    )
    return set(db.scalars(stmt))


def skip_queued(db: Session, request_id: int, *, now: datetime) -> int:
    """Close the request's targets that were never sent (it ended, or its budget was spent)."""
    stmt = (
        update(RequestTarget)
        .where(
            RequestTarget.request_id == request_id,
            RequestTarget.status == TargetStatus.QUEUED.value,
        )
        .values(
            status=TargetStatus.SKIPPED.value,
            finished_at=now,
            updated_at=now,
            lease_owner=None,
            lease_until=None,
            next_poll_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(db.execute(stmt), "rowcount", 0) or 0)


def in_transition(db: Session, request_id: int) -> int:
    """How many of the request's targets are between their call and their outcome."""
    stmt = select(func.count()).where(
        RequestTarget.request_id == request_id,
        RequestTarget.status.in_([s.value for s in IN_TRANSITION]),
    )
    return int(db.scalar(stmt) or 0)


def count_targets(db: Session, request_id: int, status: TargetStatus) -> int:
    """How many of the request's targets are in `status`."""
    stmt = select(func.count()).where(
        RequestTarget.request_id == request_id, RequestTarget.status == status.value
    )
    return int(db.scalar(stmt) or 0)
