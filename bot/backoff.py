"""Capped exponential backoff: the one formula every retry loop of the bot waits by.

Stdlib only and pure, so the ECS client, the outbox and the workers share it without importing
each other. Callers add what is theirs on top (the ECS client's full jitter, a server's hint).
"""

from __future__ import annotations

__all__ = ["capped_backoff"]


def capped_backoff(attempt: int, *, base: float, cap: float, factor: float = 2.0) -> float:
    """`base · factor^(attempt − 1)` seconds, never more than `cap` (`attempt` counts from 1)."""
    try:
        delay = base * factor ** max(0, attempt - 1)
    except OverflowError:  # a long outage: the growth left float's range long after the cap
        return float(cap)
    return float(min(cap, delay))
