"""Write outbox rows in the caller's transaction, so a change and its messages commit together."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outbox.models import MessageKind, OutboxMessage


def thread_key(request_id: int) -> str:
    """Ordering key of everything posted about one request (its card and its thread)."""
    return f"request:{request_id}"


def channel_key(channel_id: str) -> str:
    """Ordering key of standalone posts to one channel (incident summaries)."""
    return f"channel:{channel_id}"


def enqueue(
    db: Session,
    *,
    kind: MessageKind,
    request_id: int | None,
    payload: dict[str, Any],
    ordering_key: str,
    dedupe_key: str,
    now: datetime,
) -> OutboxMessage:
    """Add one message; the relay delivers it after commit, in ordering-key order.

    A thread's root (a CARD) names its channel in `payload["channel"]`, and so does a summary;
    every other row of a thread goes where its root went (the relay's OutboxThread record).
    """
    row = OutboxMessage(
        kind=kind.value,
        request_id=request_id,
        payload=payload,
        ordering_key=ordering_key,
        dedupe_key=dedupe_key,
        scheduled_for=now,
        created_at=now,
    )
    db.add(row)
    return row


def enqueue_card_progress(
    db: Session, *, request_id: int, ordering_key: str, now: datetime, every: float
) -> OutboxMessage | None:
    """A card update for progress alone, coalesced; None when one is already waiting.

    A card update renders the request as it is when sent, so one waiting update shows every
    change made before it goes: a second would only edit the card twice. A new one is due
    `every` seconds after the thread's last card update (sent, or scheduled), so a card of many
    ENIs is edited at most that often for progress. The caller holds the request's lock, so two
    transactions cannot both find none waiting.
    """
    last = db.execute(
        select(OutboxMessage.scheduled_for, OutboxMessage.send_started_at, OutboxMessage.sent_at)
        .where(
            OutboxMessage.request_id == request_id,
            OutboxMessage.kind == MessageKind.CARD_UPDATE.value,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.sent_at is None and last.send_started_at is None:
        return None
    at = now
    if last is not None:
        at = max(now, (last.sent_at or last.scheduled_for) + timedelta(seconds=every))
    row = enqueue(
        db,
        kind=MessageKind.CARD_UPDATE,
        request_id=request_id,
        payload={"progress": True},
        ordering_key=ordering_key,
        dedupe_key=f"{ordering_key}:progress:{at.isoformat()}",
        now=now,
    )
    row.scheduled_for = at
    return row
