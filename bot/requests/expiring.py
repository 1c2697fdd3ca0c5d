"""The expire use case in its own transaction: what the expiry sweeper calls once per sweep."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests.decisions import expire_due
from bot.requests.ports import Clock
from bot.requests.schemas import Policy

__all__ = ["expire_due_batch"]


def expire_due_batch(
    sessions: sessionmaker[Session], *, policy: Policy, clock: Clock, limit: int
) -> int:
    """Expire up to `limit` pending requests past their approval deadline; how many did."""
    with db.transaction(sessions) as s:
        return len(expire_due(s, now=clock(), policy=policy, limit=limit))
