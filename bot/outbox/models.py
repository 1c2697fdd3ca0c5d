"""Outbound Slack messages, written in the same transaction as the change they announce."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, JsonDict, utcnow


class MessageKind(StrEnum):
    """What a row asks the relay to do; values are stored."""

    # Post the approval card in payload["channel"]: the root of its ordering key's thread
    # (the relay records where it is in OutboxThread and tells the domain, CardHooks.posted).
    CARD = "card"
    CARD_UPDATE = "card_update"  # chat.update the card from the request's current state
    THREAD_REPLY = "thread_reply"  # one reply in the card's thread per state change
    INCIDENT_SUMMARY = "incident_summary"  # one line per finished request, may be digested
    # To the requester alone (ephemeral, else the App's DM): why their card cannot be posted.
    REQUESTER_NOTICE = "requester_notice"


class OutboxMessage(Base):
    """A semantic message (kind + request + fields), rendered to Block Kit only when sent."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_pending", "sent_at", "ordering_key", "id"),
        Index("ix_outbox_message_request", "request_id"),
        # The relay's burst check: recent incident summaries of one channel, sent or not.
        Index("ix_outbox_message_summaries", "ordering_key", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("detach_request.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    # Rows with the same key are delivered strictly in id order (one thread, one channel).
    ordering_key: Mapped[str] = mapped_column(String(128))
    dedupe_key: Mapped[str] = mapped_column(String(191), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_for: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a send starts; with sent_at still empty it means "outcome unknown": the relay
    # looks for the message in Slack (by metadata) before sending again.
    send_started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackPace(Base):
    """When each Slack lane (method, channel) may next take a message, shared by every relay.

    `tat` is GCRA's theoretical arrival time (bot/outbox/pacer.py): a message may go at `now`
    when `tat - (burst - 1) * interval <= now`. Relays change it by compare-and-swap.
    """

    __tablename__ = "slack_pace"

    lane: Mapped[str] = mapped_column(String(64), primary_key=True)  # "post:C…", "update:C…"
    tat: Mapped[datetime]


class OutboxThread(Base):
    """Where the messages of one ordering key go: the channel, and the ts of the root (the card).

    Written by the relay, in the transaction that records the root message (or gives it up,
    `root_ts` then empty); read for the replies and updates queued behind it, so the outbox
    delivers a thread knowing nothing of the domain's tables.
    """

    __tablename__ = "outbox_thread"

    ordering_key: Mapped[str] = mapped_column(String(128), primary_key=True)  # "request:42"
    channel: Mapped[str] = mapped_column(String(32))
    root_ts: Mapped[str | None] = mapped_column(String(32))  # None: the root was never posted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
