"""The outbox's port: what the relay hands its Sender, what it gets back, and how a send fails.

The relay knows the chat service only through this module. A `Sender` (the Slack adapter,
bot.slack.notifier.OutboxNotifier) raises these errors, and the relay decides what comes next
from their types alone:

    DeliveryError            the send did not succeed
    ├── RateLimitedError     nothing applied; wait `retry_after` seconds (the lane waits too)
    ├── UnreachableError     no usable answer; `applied_maybe`: look for the post before resending
    └── RejectedError        the service refused the message itself (`error` is its code);
                             `permanent`: resending cannot help; `conclusive`: the first such
                             answer gives the row up (the conversation takes no posts at all)
    LeaseLostError           the row is no longer ours: nothing was posted, nothing to record

Any other exception is a fault of ours or of the database: retried, as if it may have posted.

A delivery names its subject (the row's `request_id`) and nothing of the domain: the Sender loads
what it renders through its own loader. What becomes of a thread's root message (the card) is
told to the domain through `CardHooks`, plugged in by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.outbox.models import MessageKind

__all__ = [
    "CardHooks",
    "CardPosted",
    "CardUndeliverable",
    "Delivery",
    "DeliveryError",
    "LeaseLostError",
    "RateLimitedError",
    "RejectedError",
    "Sender",
    "Sent",
    "UnreachableError",
]


class DeliveryError(Exception):
    """A send did not succeed; the subclass says why. The message never holds a token."""


class RateLimitedError(DeliveryError):
    """The service asks to wait `retry_after` seconds; nothing was applied."""

    def __init__(self, retry_after: float, reason: str = "") -> None:
        super().__init__(reason or f"rate limited, retry after {retry_after:g} s")
        self.retry_after = retry_after


class UnreachableError(DeliveryError):
    """No usable answer (refused, reset, timeout, 5xx); if `applied_maybe`, the post may be in."""

    def __init__(self, reason: str, *, applied_maybe: bool) -> None:
        super().__init__(reason)
        self.applied_maybe = applied_maybe


class RejectedError(DeliveryError):
    """The service answered with error code `error`.

    `permanent`: the same message cannot succeed (bad blocks, no such channel…); retried a few
    times, then given up. `conclusive` (implies permanent): the conversation will not take the
    bot's posts, so the first answer gives up. Only a permanent refusal is known to have applied
    nothing; any other (`fatal_error`, `internal_error`…) may have, so the next try looks first.
    """

    def __init__(
        self, error: str, *, permanent: bool, conclusive: bool = False, reason: str = ""
    ) -> None:
        super().__init__(reason or f"refused: {error}")
        self.error = error
        self.permanent = permanent or conclusive
        self.conclusive = conclusive

    @property
    def applied_maybe(self) -> bool:
        return not self.permanent


class LeaseLostError(Exception):
    """The row's lease is no longer ours (it ran out and another relay took it): do not post."""


# Called in the transaction that records a thread's root message (session, subject ID, channel,
# ts): the domain keeps where its card is (bot.requests.cards.card_posted).
CardPosted = Callable[[Session, int, str, str], None]
# Called in the transaction that gives up on a card (session, subject ID, the service's error
# code, now): nobody can approve a card that is not there, so the domain decides what becomes of it.
CardUndeliverable = Callable[[Session, int, str, datetime], None]


@dataclass(frozen=True)
class CardHooks:
    """What the relay tells the domain about cards. The outbox never imports the domain
    (DESIGN.md: bot/outbox imports bot/db only; bot/requests imports the outbox), so the
    composition root plugs the domain's functions in here; None: nobody is told (tests)."""

    posted: CardPosted | None = None
    undeliverable: CardUndeliverable | None = None


def _always_ours() -> bool:
    return True


@dataclass(frozen=True)
class Delivery:
    """One outbox row, with where it goes and what the Sender needs; outlives the session."""

    outbox_id: int
    kind: MessageKind
    channel: str
    payload: Mapping[str, Any]
    subject_id: int | None  # the row's request ID: the Sender loads what it renders by it
    thread_ts: str | None = None  # thread replies: the root's (card's) ts
    target_ts: str | None = None  # card updates: the card's ts
    started_at: datetime | None = None  # an earlier send began here and its outcome is unknown
    digest: Sequence[tuple[int, int, Mapping[str, Any]]] = ()  # (outbox_id, subject_id, payload)
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
    """The chat side (bot.slack.notifier.OutboxNotifier implements it)."""

    def deliver(self, job: Delivery) -> Sent:
        """Post or update; raises the DeliveryError subclasses above, or LeaseLostError."""
        ...
