"""The expiry sweeper: pending requests past ENIBOT_APPROVAL_TTL become expired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import service
from bot.requests.service import Policy

__all__ = ["ExpirySweeper"]


class ExpirySweeper:
    """Expires due pending requests (their card loses its buttons via the outbox)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        policy: Policy,
        clock: Callable[[], datetime] = db.utcnow,
        batch: int = 100,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._clock = clock
        self._batch = batch

    def run_once(self) -> int:
        """Expire one batch; returns how many requests expired."""
        with db.transaction(self._sessions) as s:
            expired = service.expire_due(
                s, now=self._clock(), policy=self._policy, limit=self._batch
            )
        return len(expired)
