"""When to look at a detaching ENI again: quick at first, since most detaches take seconds."""

from __future__ import annotations

from bot.backoff import capped_backoff

SECOND_POLL_AFTER = 2.0
GROWTH = 1.5


def next_poll_delay(polls_done: int, cap: float) -> float:
    """Seconds until the next Describe after `polls_done` answers that showed no change.

    The first Describe comes `ExecutionConfig.first_poll_after` (1 s) after the Detach; then
    2 s, 3 s, 4.5 s … (×1.5 each time), never more than `cap` (ENIBOT_POLL_INTERVAL).
    """
    return capped_backoff(polls_done + 1, base=SECOND_POLL_AFTER, cap=cap, factor=GROWTH)
