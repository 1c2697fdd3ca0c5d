"""When to look at a detaching ENI again: quick at first, since most detaches take seconds."""

from __future__ import annotations

FIRST_POLL_AFTER = 1.0
SECOND_POLL_AFTER = 2.0
GROWTH = 1.5


def first_poll_delay(cap: float) -> float:
    """Seconds from an accepted Detach to its first Describe."""
    return min(FIRST_POLL_AFTER, cap)


def next_poll_delay(polls_done: int, cap: float) -> float:
    """Seconds until the next Describe after `polls_done` answers that showed no change.

    1 s (first), then 2 s, 3 s, 4.5 s … (×1.5 each time), never more than `cap`
    (ENIBOT_POLL_INTERVAL).
    """
    delay = SECOND_POLL_AFTER * GROWTH ** max(0, min(polls_done, 60))
    return min(delay, cap)


def backoff(failures: int, *, base: float, cap: float) -> float:
    """Doubling delay after `failures` consecutive failures (1-based), capped."""
    return float(min(cap, base * 2 ** max(0, min(failures - 1, 30))))
