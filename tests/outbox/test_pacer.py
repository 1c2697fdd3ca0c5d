"""Slack's per-channel pace: short bursts, then one message per second, shared by every relay."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.outbox.pacer import (
    DatabasePaceStore,
    MemoryPaceStore,
    Pace,
    Pacer,
    PaceStore,
    next_tat,
    wait_for,
)

from support.clock import Clock

LANE = ("post", "C1")
PACE = Pace(interval=1.0, burst=3)


def _pacer(clock: Clock, store: PaceStore | None = None, pace: Pace = PACE) -> Pacer:
    return Pacer(pace, store or MemoryPaceStore(), clock, clock.monotonic)


def _send(pacer: Pacer) -> bool:
    """Take a slot and settle it at once (an instant answer), as the relay does around a post."""
    if pacer.wait(LANE) > 0:
        return False
    slot = pacer.reserve(LANE)
    if slot is None:
        return False
    pacer.settle(slot)
    return True


def test_burst_then_one_per_interval() -> None:
    clock = Clock()
    pacer = _pacer(clock)
    assert [_send(pacer) for _ in range(4)] == [True, True, True, False]
    assert pacer.wait(LANE) == 1.0
    clock.advance(0.5)
    assert not _send(pacer)
    clock.advance(0.5)
    assert _send(pacer)
    assert not _send(pacer)
    assert pacer.wait(LANE) == 1.0


def test_long_run_rate_is_one_per_interval() -> None:
    clock = Clock()
    pacer = _pacer(clock)
    start, sent = clock.now, 0
    while (clock.now - start).total_seconds() < 60:
        if _send(pacer):
            sent += 1
        else:
            clock.advance(max(0.01, pacer.wait(LANE)))
    assert sent <= 60 + 3


def test_retry_after_blocks_the_lane_for_every_relay_even_with_slots_left() -> None:
    clock, store = Clock(), MemoryPaceStore()
    one, other = _pacer(clock, store), _pacer(clock, store)
    assert _send(one)
    one.block(LANE, 7.0)
    assert one.wait(LANE) == 7.0
    assert not _send(other)  # it learns of the block from the shared value
    assert other.wait(LANE) == pytest.approx(7.0)
    assert one.wait(("post", "C2")) == 0.0


def test_a_slow_answer_is_counted_when_it_came_so_the_next_message_waits_for_it() -> None:
    """Slack counts a post when it arrives; the pace must not run ahead of Slack's count."""
    clock = Clock()
    pacer = _pacer(clock, pace=Pace(interval=1.0, burst=1))
    slot = pacer.reserve(LANE)
    assert slot is not None
    clock.advance(0.8)  # the post takes 0.8 s to be answered
    pacer.settle(slot)
    clock.advance(0.3)  # 1.1 s after the start, 0.3 s after the answer
    assert pacer.reserve(LANE) is None
    clock.advance(0.7)
    assert pacer.reserve(LANE) is not None


def test_a_slot_given_back_is_free_again_unless_a_later_one_was_taken() -> None:
    clock, store = Clock(), MemoryPaceStore()
    pace = Pace(interval=1.0, burst=1)
    one, other = _pacer(clock, store, pace), _pacer(clock, store, pace)
    slot = one.reserve(LANE)
    assert slot is not None
    clock.advance(1.0)
    taken = one.reserve(LANE)
    assert taken is not None
    one.release(taken)  # e.g. a coalesced card update: nothing was posted
    assert other.reserve(LANE) is not None


def test_gcra_functions() -> None:
    clock = Clock()
    now = clock.now
    assert wait_for(None, now, PACE) == 0.0
    tat = next_tat(None, now, PACE)
    tat = next_tat(tat, now, PACE)
    assert wait_for(tat, now, PACE) == 0.0  # two of three in the burst
    tat = next_tat(tat, now, PACE)
    assert wait_for(tat, now, PACE) == 1.0


def test_relays_racing_on_one_database_take_each_slot_once(
    sessions: sessionmaker[Session],
) -> None:
    """Eight relays, each with its own store object, hammer one lane at one instant."""
    clock = Clock()
    granted: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def race(n: int) -> None:
        pacer = _pacer(clock, DatabasePaceStore(sessions))
        start.wait()
        for _ in range(5):
            pacer.resting_until.clear()  # ask the database every time, not the local rest
            slot = pacer.reserve(LANE)
            if slot is not None:
                with lock:
                    granted.append(n)

    for _round in range(2):
        threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        expected = PACE.burst if _round == 0 else PACE.burst + 1
        assert len(granted) == expected  # the burst, then one per interval: across all eight
        clock.advance(PACE.interval)


def test_a_long_slack_outage_keeps_backing_off_at_the_cap() -> None:
    # One unreachable answer per capped wait: 5 s × 1,100 is about an hour and a half of outage.
    pacer = _pacer(Clock())
    delays = [pacer.unreachable(0.5, 5.0) for _ in range(1100)]
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert set(delays[4:]) == {5.0}
    pacer.reachable()
    assert pacer.unreachable(0.5, 5.0) == 0.5
