"""Gauges read from the database when /metrics is scraped, so every process reports the truth.

The database is shared by all processes, so request counts and outbox depth are read from it at
scrape time rather than tracked in memory. A scrape never raises: when the database cannot be
read, `eni_bot_database_up` is 0 and the database-derived series are left out (absent, not
stale zeros).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import read
from bot.outbox.models import OutboxMessage
from bot.requests.models import DetachRequest
from bot.requests.states import Status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseSnapshot:
    """What one scrape read: requests per status and the undelivered outbox."""

    requests_by_status: dict[str, int]
    outbox_depth: int
    outbox_oldest: datetime | None


def read_snapshot(sessions: sessionmaker[Session]) -> DatabaseSnapshot:
    """Two small aggregate queries in one short read-only session (no SQLite write lock)."""
    with read(sessions) as session:
        counts = {
            str(status): int(n)
            for status, n in session.execute(
                select(DetachRequest.status, func.count()).group_by(DetachRequest.status)
            )
        }
        depth, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.sent_at.is_(None)
            )
        ).one()
    return DatabaseSnapshot(counts, int(depth or 0), oldest)


class DatabaseCollector(Collector):
    """Requests by state, outbox depth and age, and whether the database answered."""

    def __init__(
        self,
        prefix: str,
        clock: Callable[[], datetime],
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self._prefix = prefix
        self._clock = clock
        self.sessions = sessions

    def describe(self) -> list[Metric]:
        # Declared explicitly so registering never runs a query.
        return [
            GaugeMetricFamily(f"{self._prefix}_database_up", "1 when the last scrape read the DB"),
            GaugeMetricFamily(f"{self._prefix}_requests", "Detach requests by state"),
            GaugeMetricFamily(f"{self._prefix}_outbox_depth", "Outbox messages not yet sent"),
            GaugeMetricFamily(
                f"{self._prefix}_outbox_oldest_undelivered_seconds",
                "Age of the oldest outbox message not yet sent (0 when none)",
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        sessions = self.sessions
        if sessions is None:
            return
        up = GaugeMetricFamily(f"{self._prefix}_database_up", "1 when the last scrape read the DB")
        try:
            snapshot = read_snapshot(sessions)
        except Exception as exc:
            # The type only: driver messages can carry host names and, for some, DSN parts.
            log.warning("metrics scrape could not read the database: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield self._requests(snapshot)
        yield from self._outbox(snapshot)

    def _requests(self, snapshot: DatabaseSnapshot) -> Metric:
        family = GaugeMetricFamily(
            f"{self._prefix}_requests", "Detach requests by state", labels=["state"]
        )
        # Every known state is always present, so a dashboard never sees a series vanish.
        states = [s.value for s in Status]
        states += sorted(set(snapshot.requests_by_status) - set(states))
        for state in states:
            family.add_metric([state], snapshot.requests_by_status.get(state, 0))
        return family

    def _outbox(self, snapshot: DatabaseSnapshot) -> Iterator[Metric]:
        depth = GaugeMetricFamily(f"{self._prefix}_outbox_depth", "Outbox messages not yet sent")
        depth.add_metric([], snapshot.outbox_depth)
        yield depth
        age = 0.0
        if snapshot.outbox_oldest is not None:
            age = max(0.0, (self._clock() - snapshot.outbox_oldest).total_seconds())
        oldest = GaugeMetricFamily(
            f"{self._prefix}_outbox_oldest_undelivered_seconds",
            "Age of the oldest outbox message not yet sent (0 when none)",
        )
        oldest.add_metric([], age)
        yield oldest
