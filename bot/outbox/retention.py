"""Outbox retention: sent rows past ENIBOT_OUTBOX_RETENTION_DAYS are deleted, in batches.

The outbox only grows otherwise (several rows per request). What is never deleted:
- unsent rows (`sent_at` empty), however old: one whose send is in doubt is still to be looked up;
- the audit trail: requests, approvals and `request_event` are other tables, untouched here;
- anything the relay reads: ordering waits only on unsent rows, a thread's channel and ts are
  its `outbox_thread` record (not the card row's), kept for good like the requests (one small
  row each), and the digest's burst check looks back seconds, far less than the shortest
  retention (one day).

Each batch is one short DELETE in its own transaction, with a pause between batches, so on
SQLite the write lock is held for one batch at a time and the other writers get in between.
Several processes may run it at once: each deletes what is left.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox.models import OutboxMessage

__all__ = ["OutboxRetention", "RetentionConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionConfig:
    """How long sent rows are kept and how gently they are deleted."""

    days: float = 30.0
    batch: int = 500  # rows per DELETE (one short transaction)
    pause: float = 0.05  # seconds between batches, for the other writers

    def __post_init__(self) -> None:
        if self.days < 1 or self.batch < 1 or self.pause < 0:
            raise ValueError("retention needs days >= 1, batch >= 1 and pause >= 0")


class OutboxRetention:
    """Deletes sent outbox rows past the retention; `run_once` is one sweep."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        config: RetentionConfig | None = None,
        clock: Callable[[], datetime] = db.utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sessions = sessions
        self.config = config or RetentionConfig()
        self._clock = clock
        self._sleep = sleep

    def run_once(self, *, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Delete every sent row past the retention, batch by batch; returns how many went."""
        cfg = self.config
        cutoff = self._clock() - timedelta(days=cfg.days)
        total = 0
        while not should_stop():
            deleted = self._delete_batch(cutoff)
            total += deleted
            if deleted < cfg.batch:
                break
            self._sleep(cfg.pause)
        if total:
            log.info("outbox retention deleted %d sent rows older than %s", total, cutoff)
        return total

    def _delete_batch(self, cutoff: datetime) -> int:
        # Oldest first along ix_outbox_message_pending (sent_at leads it); the outer WHERE
        # repeats the condition, so a row is deleted only if it is sent and old.
        doomed = (
            select(OutboxMessage.id)
            .where(OutboxMessage.sent_at < cutoff)
            .order_by(OutboxMessage.sent_at)
            .limit(self.config.batch)
        )
        stmt = (
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(doomed.scalar_subquery()), OutboxMessage.sent_at < cutoff)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        with db.transaction(self._sessions) as s:
            return len(s.scalars(stmt).all())
