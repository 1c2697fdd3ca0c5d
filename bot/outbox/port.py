"""What the relay needs from the Slack side, and what it hands it: the outbox's port.

`Sender.deliver(Delivery) -> Sent` is implemented by bot.slack.notifier.OutboxNotifier; its
errors carry `retry_after`, `applied_maybe`, `permanent` and `channel_problem`, which the relay
reads to decide what comes next. `CardUndeliverable` is the domain's say when a card is given up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.outbox.models import MessageKind
from bot.requests.models import DetachRequest

__all__ = ["CardUndeliverable", "Delivery", "LeaseLostError", "Sender", "Sent"]


# Called in the transaction that gives up on a request's card (session, request ID, Slack's error,
# now): nobody can approve a card that is not there, so the domain decides what becomes of it.
CardUndeliverable = Callable[[Session, int, str, datetime], None]


class LeaseLostError(Exception):
    """The row's lease is no longer ours (it ran out and another relay took it): do not post."""


def _always_ours() -> bool:
    return True


@dataclass(frozen=True)
class Delivery:
    """One outbox row, with what is needed to render and place it; outlives the session."""

    outbox_id: int
    kind: MessageKind
    channel: str
    payload: Mapping[str, Any]
    request: DetachRequest | None
    approvals: Sequence[tuple[str, str]] = ()  # (approver_id, decision), oldest first
    thread_ts: str | None = None  # thread replies: the card's ts
    target_ts: str | None = None  # card updates: the card's ts
    started_at: datetime | None = None  # an earlier send began here and its outcome is unknown
    digest: Sequence[tuple[int, int, Mapping[str, Any]]] = ()  # (outbox_id, request_id, payload)
    # Extends the lease; False when the row is no longer ours. Call it right before posting.
    keep: Callable[[], bool] = _always_ours
    marked: Sequence[int] = ()  # covered digest rows this send marked "started" (undone on 429)

    @property
    def outcome_unknown(self) -> bool:
        """A previous send may have reached Slack: look before sending again."""
        return self.started_at is not None


@dataclass(frozen=True)
class Sent:
    """Where the row's message is in Slack, and which rows it covered (digests: several)."""

    channel: str
    ts: str
    covers: Sequence[int] = ()


class Sender(Protocol):
    """The Slack side (bot.slack.notifier.OutboxNotifier implements it)."""

    def deliver(self, job: Delivery) -> Sent:
        """Post or update; raises bot.slack.delivery_errors.DeliveryError subclasses on failure."""
        ...
