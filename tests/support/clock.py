"""The test clock: wall-clock and monotonic time that a test moves by hand.

Pass the instance as a `clock` (datetime) and `clock.monotonic` as a `monotonic`: both read the
same hand-set time, so leases, paces and local waits agree, and nothing sleeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import db


class Clock:
    """Time that moves only when `advance` is called (every part that reads it agrees)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or db.utcnow()
        self._origin = self.now

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        """Seconds since the clock was made, plus an offset (monotonic clocks start anywhere)."""
        return 1000.0 + (self.now - self._origin).total_seconds()

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)
