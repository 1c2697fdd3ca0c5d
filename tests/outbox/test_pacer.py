"""The relay's per-channel pace: short bursts, then Slack's one message per second."""

from __future__ import annotations

from bot.outbox.relay import _Pacer

LANE = ("chat.postMessage", "C1")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_one_per_interval() -> None:
    clock = Clock()
    pacer = _Pacer(1.0, clock, burst=3)
    for _ in range(3):
        assert pacer.wait(LANE) == 0.0
        pacer.used(LANE)
    assert pacer.wait(LANE) == 1.0
    clock.now += 0.5
    assert pacer.wait(LANE) == 0.5
    clock.now += 0.5
    assert pacer.wait(LANE) == 0.0
    pacer.used(LANE)
    assert pacer.wait(LANE) == 1.0


def test_long_run_rate_is_one_per_interval() -> None:
    clock = Clock()
    pacer = _Pacer(1.0, clock, burst=3)
    sent = 0
    start = clock.now
    while clock.now - start < 60:
        wait = pacer.wait(LANE)
        if wait:
            clock.now += wait
            continue
        pacer.used(LANE)
        sent += 1
    assert sent <= 60 + 3


def test_retry_after_blocks_the_lane_even_with_tokens_left() -> None:
    clock = Clock()
    pacer = _Pacer(1.0, clock, burst=3)
    pacer.block(LANE, 7.0)
    assert pacer.wait(LANE) == 7.0
    assert pacer.wait(("chat.postMessage", "C2")) == 0.0
