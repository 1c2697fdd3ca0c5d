"""How long to wait between attempts: bounded exponential backoff with full jitter."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.backoff import capped_backoff

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits for retryable ECS failures; `sleep`/`random`/`clock` are test seams."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    # Upper bound on the whole call, attempts and waits together (seconds since the first send).
    max_total: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total <= 0:
            raise ValueError("delays must be non-negative and max_total positive")

    def backoff(self, attempt: int) -> float:
        """Full-jitter delay after failed attempt number `attempt` (1-based)."""
        ceiling = capped_backoff(attempt, base=self.base_delay, cap=self.max_delay)
        return float(self.random()) * ceiling

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before the next attempt: the server's hint wins when it asks for longer."""
        delay = self.backoff(attempt)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from an `x-acs-retry-after` header, which the official SDK reads as milliseconds."""
    if value is None:
        return None
    try:
        millis = float(value.strip())
    except ValueError:
        return None
    if millis != millis or millis <= 0 or millis == float("inf"):  # NaN, negative, infinite
        return None
    return millis / 1000.0
