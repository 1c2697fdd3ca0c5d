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
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox import enqueue as outbox
from bot.outbox.models import MessageKind
from bot.requests import repository
from bot.requests.models import DetachRequest
from bot.requests.schemas import SYSTEM_RELAY, Policy
from bot.requests.states import TERMINAL, Status
from bot.requests.transition import transition

__all__ = ["CardView", "card_posted", "card_undeliverable", "load"]


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


def card_undeliverable(
    db: Session, *, request_id: int, problem: str, policy: Policy, now: datetime
) -> bool:
    """The approval card can never be posted: cancel the request, and tell the requester why.

    Called by the relay in the transaction that gives the card up (`problem` is Slack's error,
    e.g. `channel_not_found`). Nobody can approve a card that is not there, and the requester
    was told it was waiting for approval. True when the request was cancelled; a request that
    has moved past approval is left to run, and the requester is told that instead.
    """
    result = transition(
        db,
        request_id=request_id,
        expected=(Status.PENDING, Status.APPROVED),
        target=Status.CANCELLED,
        actor=SYSTEM_RELAY,
        now=now,
        policy=policy,
        detail={"card_undeliverable": problem},
        reply=False,  # there is no thread to reply in
    )
    request = result.request
    if request is None or (not result.ok and request.state in TERMINAL):
        return False  # gone, or already ended (cancelled, expired…): nothing left to say
    key = outbox.thread_key(request.id)
    outbox.enqueue(
        db,
        kind=MessageKind.REQUESTER_NOTICE,
        request_id=request.id,
        payload={"user": request.requester_id, "problem": problem, "cancelled": result.ok},
        ordering_key=key,
        dedupe_key=f"{key}:card_undeliverable",
        now=now,
    )
    return result.ok
