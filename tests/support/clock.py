"""The test clock: wall-clock and monotonic time that a test moves by hand.

Pass the instance as a `clock` (datetime), `clock.monotonic` as a `monotonic` (or any clock of
float seconds), and `clock.sleep` as a `sleep`: all read the same hand-set time, so leases,
paces, caches and backoffs agree, and nothing sleeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import db


class Clock:
    """Time that moves only when `advance` or `sleep` is called; every part reading it agrees."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or db.utcnow()
        self._origin = self.now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        """Seconds since the clock was made, plus an offset (monotonic clocks start anywhere)."""
        return 1000.0 + (self.now - self._origin).total_seconds()

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        """A `time.sleep` that returns at once: the wait is recorded and time moves by it."""
        self.slept.append(seconds)
        self.advance(seconds)
