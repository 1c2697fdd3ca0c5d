"""Slack's Web API rate limits: the per-channel posting limit and the per-method tiers.

What Slack documents (https://docs.slack.dev/apis/web-api/rate-limits, "Rate limits"):

    Tier 1   1+ per minute     a small amount of burst behaviour is tolerated
    Tier 2  20+ per minute     occasional bursts
    Tier 3  50+ per minute     sporadic bursts are welcome            (chat.update, chat.delete)
    Tier 4 100+ per minute     generous bursts
    Special: chat.postMessage  "generally allows posting one message per second per channel",
                               short bursts over 1 allowed, plus a workspace-wide limit

Tiers apply "per API method per workspace per app", so one stand-in (one workspace, one app)
keeps one bucket per method; the posting limit keeps one per channel. chat.update's tier is on
its method page (https://api.slack.com/methods/chat.update: "Rate limits: Tier 3"; likewise
https://api.slack.com/methods/chat.delete). Over a
limit Slack answers HTTP 429 `ratelimited` with `Retry-After` in whole seconds.

Each limit is a token bucket (refill at the documented rate, `burst` deep) on an injectable
clock, so tests need not sleep. Every limit is off until switched on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import IntEnum

POST_METHOD = "chat.postMessage"
# The posting limit: one a second per channel; Slack leaves the burst size unsaid.
POST_PER_SECOND = 1.0
POST_BURST = 3


class Tier(IntEnum):
    """A Web API rate-limit tier; the value is the documented floor in calls per minute."""

    TIER_1 = 1
    TIER_2 = 20
    TIER_3 = 50
    TIER_4 = 100


# The tiers of the methods the bot calls while it keeps a card up to date (their method pages).
METHOD_TIERS = {"chat.update": Tier.TIER_3, "chat.delete": Tier.TIER_3}
# How many calls of a tiered method may come back to back; Slack says only "sporadic bursts".
TIER_BURST = 5


class TokenBuckets:
    """One token bucket per key: `burst` deep, refilled at `per_second`."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float]) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, key: str) -> int | None:
        """None when a call may go through now, else the whole seconds to wait (Retry-After)."""
        tokens = self._refill(key)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.per_second))

    def take(self, key: str) -> None:
        """Spend one token (after `wait` said there is one)."""
        tokens = self._refill(key)
        self._buckets[key] = (tokens - 1.0, self._buckets[key][1])

    def _refill(self, key: str) -> float:
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        self._buckets[key] = (tokens, now)
        return tokens


class RateLimits:
    """The limits switched on for one stand-in; asked once per call, before the method runs."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._per_channel: TokenBuckets | None = None
        self._per_method: dict[str, TokenBuckets] = {}

    def set_channel_limit(self, per_second: float | None, burst: int) -> None:
        """Limit `chat.postMessage` per channel; None switches the limit off."""
        self._per_channel = (
            None if per_second is None else TokenBuckets(per_second, burst, self._clock)
        )

    def set_method_limit(self, method: str, per_minute: float | None, burst: int) -> None:
        """Limit every call of `method` together (its tier); None switches the limit off."""
        if per_minute is None:
            self._per_method.pop(method, None)
        else:
            self._per_method[method] = TokenBuckets(per_minute / 60.0, burst, self._clock)

    def use_documented(self) -> None:
        """Switch on what Slack documents: the posting limit and the tiers in METHOD_TIERS."""
        self.set_channel_limit(POST_PER_SECOND, POST_BURST)
        for method, tier in METHOD_TIERS.items():
            self.set_method_limit(method, float(tier), TIER_BURST)

    def admit(self, method: str, channel: str) -> int | None:
        """None when the call may run, else Retry-After; a refused call spends no token."""
        gates: list[tuple[TokenBuckets, str]] = []
        if (tiered := self._per_method.get(method)) is not None:
            gates.append((tiered, method))
        if method == POST_METHOD and self._per_channel is not None:
            gates.append((self._per_channel, channel))
        waits = [w for bucket, key in gates if (w := bucket.wait(key)) is not None]
        if waits:
            return max(waits)
        for bucket, key in gates:
            bucket.take(key)
        return None
