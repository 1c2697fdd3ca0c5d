"""How often an unchanged Detaching ENI is described again: ×1.5 from 2 s, capped."""

from __future__ import annotations

from bot.requests.schedule import next_poll_delay


def test_polls_slow_down_by_half_each_time_up_to_the_poll_interval() -> None:
    assert [next_poll_delay(n, 5.0) for n in range(5)] == [2.0, 3.0, 4.5, 5.0, 5.0]
    assert next_poll_delay(10_000, 5.0) == 5.0
    assert next_poll_delay(0, 1.0) == 1.0
