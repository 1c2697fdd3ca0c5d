"""The database's clock, read on the host: what lease times and due times are computed with.

A lease written by one process (`lease_until`) is compared with another process's "now", so
both must read one clock: the database's. Asking the database for every claim would cost a
round trip each, so `DatabaseClock` measures the offset between the host's clock and the
database's now and then (every `resync` seconds, best of a few samples, half the round trip
as its error) and returns host time + offset: a subtraction and an addition per call.

Between syncs, time moves by the monotonic clock, not the host's wall clock: an NTP step or a
VM resume moves the wall clock at once, and a reading that followed it would see live leases as
expired (or the in-flight window as over) early. A host clock can be injected instead (tests
skew or script it); readings then follow it, offset by what was measured against it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from bot import db

__all__ = ["DatabaseClock", "database_now"]

log = logging.getLogger(__name__)

_SAMPLES = 3  # per sync: the sample with the shortest round trip is kept
_RETRY_AFTER = 5.0  # seconds before another try when a sync failed
_WARN_OFFSET = timedelta(seconds=2)  # a host this far off the database is worth a log line


def database_now(conn: Connection) -> datetime:
    """The database server's current time (not the transaction's start), timezone-aware."""
    if conn.dialect.name == "sqlite":
        # SQLite runs in this process: its 'now' is this host's clock, to the millisecond.
        raw = conn.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
        return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)
    value = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    if not isinstance(value, datetime):
        raise TypeError(f"clock_timestamp() returned {type(value).__name__}")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class DatabaseClock:
    """A `Callable[[], datetime]` giving the database's time; one per process, thread-safe."""

    def __init__(
        self,
        engine: Engine,
        *,
        host: Callable[[], datetime] | None = None,
        resync: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._scripted = host is not None
        self._host = host or db.utcnow
        # (database time, monotonic reading) at the last sync: readings move by the monotonic
        # clock from there (wall-clock mode only).
        self._anchor: tuple[datetime, float] | None = None
        self._resync = resync
        self._monotonic = monotonic
        self._offset = timedelta(0)
        self._error: timedelta | None = None  # half the round trip of the kept sample
        self._next_sync = float("-inf")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DatabaseClock(offset={self._offset.total_seconds():+.3f}s)"

    def __call__(self) -> datetime:
        """Host time + the last measured offset; measures again when the offset is due."""
        if self._monotonic() >= self._next_sync and self._lock.acquire(blocking=False):
            # One thread measures; the others carry on with the previous offset meanwhile.
            try:
                if self._monotonic() >= self._next_sync:
                    self._sync_or_keep()
            finally:
                self._lock.release()
        anchor = self._anchor
        if self._scripted or anchor is None:
            return self._host() + self._offset
        return anchor[0] + timedelta(seconds=self._monotonic() - anchor[1])

    @property
    def offset(self) -> timedelta:
        """Database time minus host time, as last measured."""
        return self._offset

    @property
    def error(self) -> timedelta | None:
        """How far off the offset may be (half a round trip); None before the first sync."""
        return self._error

    def sync(self) -> timedelta:
        """Measure the offset now (raises when the database cannot be read)."""
        # (half round trip, offset, database time, monotonic reading at that database time)
        best: tuple[timedelta, timedelta, datetime, float] | None = None
        with db.read_connection(self._engine) as conn:
            conn.execute(text("SELECT 1"))  # begin first: the samples time the query alone
            for _ in range(_SAMPLES):
                sent_host, sent = self._host(), self._monotonic()
                remote = database_now(conn)
                seconds = (self._monotonic() - sent) / 2
                half = timedelta(seconds=seconds)
                sample = (half, remote - (sent_host + half), remote, sent + seconds)
                if best is None or sample[0] < best[0]:
                    best = sample
        assert best is not None
        self._error, self._offset = best[0], best[1]
        self._anchor = (best[2], best[3])
        self._next_sync = self._monotonic() + self._resync
        return self._offset

    def _sync_or_keep(self) -> None:
        before = self._offset
        try:
            offset = self.sync()
        except Exception as exc:  # the database is down: its callers will say so themselves
            self._next_sync = self._monotonic() + _RETRY_AFTER
            log.warning("database clock: cannot read the database's time (%s)", type(exc).__name__)
            return
        if abs(offset) >= _WARN_OFFSET and abs(offset - before) >= _WARN_OFFSET:
            log.warning(
                "this host's clock is %+.1f s off the database's; leases use the database's",
                offset.total_seconds(),
            )
