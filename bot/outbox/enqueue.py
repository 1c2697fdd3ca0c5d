"""Write outbox rows in the caller's transaction, so a change and its messages commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
