"""The expiry sweeper: pending requests past ENIBOT_APPROVAL_TTL become expired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.requests.expiring import expire_due_batch
from bot.requests.ports import SYSTEM_CLOCK
from bot.requests.schemas import Policy

__all__ = ["ExpirySweeper"]


class ExpirySweeper:
    """Expires due pending requests (their card loses its buttons via the outbox)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        policy: Policy,
        clock: Callable[[], datetime] = SYSTEM_CLOCK,
        batch: int = 100,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._clock = clock
        self._batch = batch

    def run_once(self) -> int:
        """Expire one batch; returns how many requests expired."""
        return expire_due_batch(
            self._sessions, policy=self._policy, clock=self._clock, limit=self._batch
        )
