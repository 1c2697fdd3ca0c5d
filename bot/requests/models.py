"""ORM: requests, their targets (one per ENI), approvals and the append-only audit trail."""

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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, JsonDict, utcnow
from bot.requests.states import OPEN, TARGET_OPEN, Status, TargetStatus

_STATUS_VALUES = ", ".join(f"'{s.value}'" for s in Status)
_OPEN_VALUES = ", ".join(f"'{s.value}'" for s in sorted(OPEN))
OPEN_PREDICATE = f"status IN ({_OPEN_VALUES})"
_TARGET_VALUES = ", ".join(f"'{s.value}'" for s in TargetStatus)
_TARGET_OPEN_VALUES = ", ".join(f"'{s.value}'" for s in sorted(TARGET_OPEN))
TARGET_OPEN_PREDICATE = f"status IN ({_TARGET_OPEN_VALUES})"


class DetachRequest(Base):
    """One operator's request: what to do, who asked, the approvals; its ENIs are `targets`.

    The name (and the table's) is 0.1's; since 0.2 `operation` says what the request does.
    """

    __tablename__ = "detach_request"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_valid"),
        CheckConstraint("approvals_needed >= 1", name="approvals_needed_positive"),
        Index("ix_detach_request_status_expires", "status", "expires_at"),
        Index("ix_detach_request_requester", "requester_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(16), default="detach")
    region: Mapped[str] = mapped_column(String(32))
    requester_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING.value)
    approvals_needed: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]
    # How a selection chose the ENIs ("tag:app=web i-…"), and what it found but left out:
    # [{"eni_id", "problem", "facts"}], shown on the card.
    selector: Mapped[str | None] = mapped_column(Text)
    left_out: Mapped[list[dict[str, Any]]] = mapped_column(JsonDict, default=list)
    # An attach request made to undo a detach request: that request's ID (its card names it).
    undo_of: Mapped[int | None] = mapped_column(Integer)
    # The approval-policy rule that governs the request (None: stored before 0.2's policy), and
    # what it asked at submission (`bot.requests.governing.snapshot`): shown on the card.
    rule_name: Mapped[str | None] = mapped_column(String(80))
    rule: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    # Loaded with the request (one more SELECT for any number of rows), in submission order.
    targets: Mapped[list[RequestTarget]] = relationship(
        order_by="RequestTarget.position", lazy="selectin", back_populates="request"
    )

    @property
    def state(self) -> Status:
        """The status as the enum."""
        return Status(self.status)

    @property
    def target(self) -> RequestTarget:
        """The first target: the only one of a one-ENI request."""
        return self.targets[0]


class RequestTarget(Base):
    """One ENI of a request: its own status, its ECS calls, the marks that make them once-only.

    Workers claim and lease targets, not requests; the request's status rolls up from these.
    """

    __tablename__ = "request_target"
    __table_args__ = (
        CheckConstraint(f"status IN ({_TARGET_VALUES})", name="target_status_valid"),
        UniqueConstraint("request_id", "position", name="uq_request_target_position"),
        # At most one open target per ENI across every request, enforced by the database.
        Index(
            "uq_request_target_open_eni",
            "eni_id",
            unique=True,
            postgresql_where=text(TARGET_OPEN_PREDICATE),
            sqlite_where=text(TARGET_OPEN_PREDICATE),
        ),
        Index("ix_request_target_status_due", "status", "next_poll_at"),
        Index("ix_request_target_request", "request_id", "status"),
        # `/eni status <eni>`: the newest target of an ENI, open or not (no scan, no sort).
        Index("ix_request_target_eni", "eni_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("detach_request.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The request's region and operation, copied (they never change): workers group targets
    # by region and know which call to make without a join.
    region: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(16), default="detach")
    eni_id: Mapped[str] = mapped_column(String(64))
    # Detach: the instance it is detached from; attach: the instance it goes to.
    instance_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=TargetStatus.QUEUED.value)
    # Live ENI details captured at pre-flight, shown on the card (name, IPs, VPC, tags...).
    eni_snapshot: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    ecs_request_id: Mapped[str | None] = mapped_column(String(64))
    eni_status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set just before the call is sent: if the process dies before the answer is recorded,
    # whoever takes over asks ECS (Describe) before sending again.
    intent_at: Mapped[datetime | None]
    # Set when a call may have been applied without a definite answer (lost, a server error,
    # or an intent no answer ever cleared). Never cleared by a later refusal: a Describe that
    # finds the ENI where the call takes it then means this target's call did it.
    maybe_applied_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    busy_since: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    poll_count: Mapped[int] = mapped_column(Integer, default=0)
    ecs_trouble_reported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]
    request: Mapped[DetachRequest] = relationship(back_populates="targets", lazy="raise")

    @property
    def state(self) -> TargetStatus:
        """The status as the enum."""
        return TargetStatus(self.status)


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
    # The ENI this event is about, when it is about one (a call, a target's move).
    target_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
