"""The outbox's SQL: claiming heads of ordering keys, guarded lease writes, finishing rows.

Every write about a row in flight is one guarded statement (owner, lease, not yet sent), so a
relay whose lease ran out cannot start, post or record a row another relay has taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from bot import db
from bot.outbox.models import MessageKind, OutboxMessage

__all__ = [
    "channel_of",
    "claim_heads",
    "extend_lease",
    "finish",
    "newer_card_update",
    "take",
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


def channel_of(row: OutboxMessage, request_channel: str | None) -> str:
    payload = row.payload or {}
    channel = payload.get("channel") if isinstance(payload, Mapping) else None
    if row.kind == _SUMMARY and channel:
        return str(channel)
    return str(request_channel or channel or "")


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
