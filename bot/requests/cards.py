"""A request's approval card as the outbox sees it: what is rendered, and where it was posted.

The outbox never imports the domain (DESIGN.md: bot/outbox imports bot/db only, and the domain
enqueues into it), so it names a request only by ID. The composition root (bot.bootstrap)
plugs these in: `load` into the Slack Sender, which renders the card, thread replies and the
requester's notice from it; `card_posted` into the relay's CardHooks, so the request keeps its
card's ts (read by `/eni status` and pre-flight's "already requested" link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import repository
from bot.requests.models import DetachRequest

__all__ = ["CardView", "card_posted", "load"]


@dataclass(frozen=True)
class CardView:
    """A request as its messages show it, read in one transaction; outlives the session."""

    request: DetachRequest
    approvals: Sequence[tuple[str, str]] = ()  # (approver_id, decision), oldest first


def load(
    sessions: sessionmaker[Session], request_id: int, *, approvals: bool = False
) -> CardView | None:
    """The request's current state (and its decisions, for the card); None when it is gone."""
    with db.read(sessions) as s:
        request = repository.get(s, request_id)
        if request is None:
            return None
        decided = (
            [(a.approver_id, a.decision) for a in repository.approvals(s, request_id)]
            if approvals
            else []
        )
        return CardView(request, tuple(decided))


def card_posted(session: Session, request_id: int, channel: str, ts: str) -> None:
    """The relay posted the request's card (in its transaction recording the post).

    The request keeps the channel it was asked in; only the ts is new.
    """
    repository.set_fields(session, request_id, {"card_ts": ts})
