"""The outbox's SQL: claiming heads of ordering keys, guarded lease writes, finishing rows,
digests, and the thread record (ordering key -> channel, root ts).

Every write about a row in flight is one guarded statement (owner, lease, not yet sent), so a
relay whose lease ran out cannot start, post or record a row another relay has taken.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased

from bot import db
from bot.outbox.models import MessageKind, OutboxMessage, OutboxThread

__all__ = [
    "channel_of",
    "claim_heads",
    "digest_members",
    "extend_lease",
    "extend_leases",
    "finish",
    "mark_started",
    "newer_card_update",
    "record_root",
    "release",
    "reschedule",
    "rows",
    "take",
    "threads",
    "unmark_started",
    "unsent",
    "unsent_count",
]

_SUMMARY = MessageKind.INCIDENT_SUMMARY.value
_CARD_UPDATE = MessageKind.CARD_UPDATE.value


def claim_heads(s: Session, *, owner: str, now: datetime, until: datetime, limit: int) -> list[int]:
    """Lease due rows that are first unsent in their ordering key (SKIP LOCKED where it exists)."""
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        earlier.ordering_key == OutboxMessage.ordering_key,
        earlier.sent_at.is_(None),
        earlier.id < OutboxMessage.id,
    )
    unsent = OutboxMessage.sent_at.is_(None)
    return db.claim_leases(
        s,
        OutboxMessage,
        where=[unsent, OutboxMessage.scheduled_for <= now, ~blocked],
        recheck=[unsent],
        order_by=[OutboxMessage.id],
        owner=owner,
        now=now,
        until=until,
        limit=limit,
    )


def extend_lease(s: Session, outbox_id: int, *, owner: str, now: datetime, until: datetime) -> bool:
    """Extend a running lease of ours on an unsent row, in one guarded UPDATE (locks the row)."""
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.lease_owner == owner,
            OutboxMessage.lease_until > now,
            OutboxMessage.sent_at.is_(None),
        )
        .values(lease_until=until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return s.scalar(stmt) is not None


def take(s: Session, outbox_id: int, *, owner: str) -> bool:
    """Lock an unsent row we still own (a lapsed lease nobody took is still ours to write)."""
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.lease_owner == owner,
            OutboxMessage.sent_at.is_(None),
        )
        .values(lease_owner=owner)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return s.scalar(stmt) is not None


def newer_card_update(s: Session, row: OutboxMessage) -> bool:
    newer = s.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.ordering_key == row.ordering_key,
            OutboxMessage.kind == _CARD_UPDATE,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.id > row.id,
        )
        .limit(1)
    )
    return newer is not None


def rows(s: Session, ids: Collection[int]) -> list[OutboxMessage]:
    """The rows with these IDs, in ID order."""
    found = s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return sorted(found, key=lambda r: r.id)


def unsent_count(s: Session) -> int:
    count = s.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    )
    return int(count or 0)


def extend_leases(s: Session, ids: Collection[int], *, owner: str, until: datetime | None) -> None:
    """Extend (or, with `until` None, give back) the leases we hold on these rows."""
    s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
        .values(lease_owner=owner if until is not None else None, lease_until=until)
    )


def release(s: Session, ids: Collection[int], *, owner: str) -> None:
    """Give back the rows we hold (clean shutdown)."""
    extend_leases(s, ids, owner=owner, until=None)


# ---- threads: where an ordering key's messages go ----


def threads(s: Session, keys: Collection[str]) -> dict[str, OutboxThread]:
    """The thread records of these ordering keys (those that have one), in one query."""
    if not keys:
        return {}
    found = s.scalars(select(OutboxThread).where(OutboxThread.ordering_key.in_(keys)))
    return {t.ordering_key: t for t in found}


def record_root(
    s: Session, key: str, *, channel: str, ts: str | None, now: datetime
) -> OutboxThread:
    """Say where the root of `key`'s thread went (`ts` None: it never will be posted).

    Only the relay holding the root row writes this, under its lease, so get-then-write does
    not race; a row back-filled by the migration (0.1's card_ts) is updated in place.
    """
    thread = s.get(OutboxThread, key, populate_existing=True)
    if thread is None:
        thread = OutboxThread(ordering_key=key, channel=channel, created_at=now)
        s.add(thread)
    thread.channel = channel
    thread.root_ts = ts
    thread.updated_at = now
    return thread


def channel_of(row: OutboxMessage, thread: OutboxThread | None) -> str:
    """Where a row goes: a summary to the channel it names; the rest to its thread's channel.

    A root (card) names its channel in its payload, and is claimed before its thread exists.
    """
    payload = row.payload or {}
    channel = payload.get("channel") if isinstance(payload, Mapping) else None
    if row.kind == _SUMMARY and channel:
        return str(channel)
    return str((thread.channel if thread is not None else None) or channel or "")


# ---- digests of incident summaries ----


def digest_members(
    s: Session, head: OutboxMessage, *, since: datetime, threshold: int, limit: int
) -> list[tuple[int, int, Mapping[str, Any]]]:
    """The head and the summaries queued behind it, when more than `threshold` were created
    for its channel since `since` (a burst); empty otherwise."""
    recent = s.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.ordering_key == head.ordering_key,
            OutboxMessage.kind == _SUMMARY,
            OutboxMessage.created_at >= since,
        )
    )
    if int(recent or 0) <= threshold:
        return []
    queued = s.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.ordering_key == head.ordering_key,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.id >= head.id,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    members: list[tuple[int, int, Mapping[str, Any]]] = []
    for row in queued:
        if row.kind != _SUMMARY:
            break  # keep order: a different kind of row ends the digest
        members.append((row.id, row.request_id or 0, dict(row.payload or {})))
    return members


def mark_started(s: Session, ids: Collection[int], *, now: datetime) -> list[int]:
    """Mark covered rows "send started" (those not already): which this call marked."""
    if not ids:
        return []
    marked = s.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.send_started_at.is_(None))
        .values(send_started_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(marked)


def unmark_started(s: Session, ids: Collection[int]) -> None:
    """Undo `mark_started` on rows still unsent: the send applied nothing."""
    s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
        .values(send_started_at=None)
        .execution_options(synchronize_session=False)
    )


def unsent(s: Session, ids: Collection[int]) -> list[OutboxMessage]:
    """Those of these rows not yet sent, in ID order."""
    return list(
        s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
        )
    )


def reschedule(s: Session, row: OutboxMessage, *, at: datetime) -> None:
    """Give a row back, due again at `at`."""
    row.scheduled_for = at
    row.lease_owner = None
    row.lease_until = None


def finish(
    s: Session,
    row: OutboxMessage,
    *,
    now: datetime,
    ts: str | None,
    channel: str,
    note: str | None,
) -> None:
    row.sent_at = now
    row.slack_ts = ts
    row.slack_channel = channel
    row.lease_owner = None
    row.lease_until = None
    row.last_error = note[:500] if note is not None else None
