"""ORM: detach requests, their approvals and their append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, JsonDict, utcnow
from bot.requests.states import OPEN, Status

_STATUS_VALUES = ", ".join(f"'{s.value}'" for s in Status)
_OPEN_VALUES = ", ".join(f"'{s.value}'" for s in sorted(OPEN))
OPEN_PREDICATE = f"status IN ({_OPEN_VALUES})"


class DetachRequest(Base):
    """One operator's request to detach one ENI from one instance."""

    __tablename__ = "detach_request"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_valid"),
        CheckConstraint("approvals_needed >= 1", name="approvals_needed_positive"),
        # At most one open request per ENI, enforced by the database, not by a check in Python.
        Index(
            "uq_detach_request_open_eni",
            "eni_id",
            unique=True,
            postgresql_where=text(OPEN_PREDICATE),
            sqlite_where=text(OPEN_PREDICATE),
        ),
        Index("ix_detach_request_status_due", "status", "next_poll_at"),
        Index("ix_detach_request_requester", "requester_id", "created_at"),
        # `/eni status <eni>`: the newest request for an ENI, open or not (no scan, no sort).
        Index("ix_detach_request_eni", "eni_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(32))
    eni_id: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(64))
    requester_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING.value)
    approvals_needed: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime]
    # Live ENI details captured at pre-flight, shown on the card (name, IPs, VPC, tags...).
    eni_snapshot: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    ecs_request_id: Mapped[str | None] = mapped_column(String(64))
    eni_status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set just before a Detach is sent: if the process dies before the answer is recorded,
    # whoever takes over asks ECS (Describe) before sending again.
    detach_intent_at: Mapped[datetime | None]
    # Set when a Detach may have been applied without a definite answer (lost, a server error,
    # or an intent no answer ever cleared). Never cleared by a later refusal: a Describe that
    # finds the ENI Detaching or Available then means this request's Detach did it.
    detach_maybe_applied_at: Mapped[datetime | None]
    detach_sent_at: Mapped[datetime | None]
    busy_since: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    poll_count: Mapped[int] = mapped_column(Integer, default=0)
    ecs_trouble_reported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def state(self) -> Status:
        """The status as the enum."""
        return Status(self.status)


class Approval(Base):
    """One approver's decision on one request as it stands (one row per approver per request).

    A rejection replaces the same approver's earlier approval (the audit trail keeps both).
    """

    __tablename__ = "approval"
    __table_args__ = (
        UniqueConstraint("request_id", "approver_id", name="uq_approval_request_approver"),
        CheckConstraint("decision IN ('approve', 'reject')", name="decision_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("detach_request.id", ondelete="CASCADE"))
    approver_id: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestEvent(Base):
    """Append-only audit trail: every transition, approval and ECS call of a request."""

    __tablename__ = "request_event"
    __table_args__ = (Index("ix_request_event_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("detach_request.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
