"""bot.clock.DatabaseClock: the database's time for the price of an addition (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot import db
from bot.clock import DatabaseClock, database_now


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _database_time(engine: Engine) -> datetime:
    with db.read_connection(engine) as conn:
        return database_now(conn)


@pytest.mark.parametrize("skew", [timedelta(hours=1), timedelta(minutes=-7)])
def test_a_skewed_host_gets_the_databases_time(engine: Engine, skew: timedelta) -> None:
    clock = DatabaseClock(engine, host=lambda: db.utcnow() + skew)
    reading = clock()
    truth = _database_time(engine)
    assert abs((reading - truth).total_seconds()) < 1.0
    assert abs((clock.offset + skew).total_seconds()) < 1.0
    assert clock.error is not None and clock.error < timedelta(seconds=1)
    assert reading.tzinfo is not None


def test_between_syncs_a_reading_sends_nothing_to_the_database(engine: Engine) -> None:
    ticks = Ticks()
    clock = DatabaseClock(engine, resync=60.0, monotonic=ticks)
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        clock()
        first_sync = len(sent)
        for _ in range(1000):
            ticks.now += 0.05  # fifty seconds of claims
            clock()
        assert len(sent) == first_sync
        ticks.now += 10.1  # past the resync period: measured again, once
        clock()
        clock()
        assert len(sent) == 2 * first_sync
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert first_sync >= 1


def test_a_scripted_host_clock_stays_scripted_between_syncs(engine: Engine) -> None:
    frozen = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    host = {"now": frozen}
    clock = DatabaseClock(engine, host=lambda: host["now"], monotonic=Ticks())
    first = clock()
    assert clock() == first  # the host clock does not move, nor does the reading
    host["now"] = frozen + timedelta(seconds=90)
    assert clock() - first == timedelta(seconds=90)  # the test's advance is kept


def test_an_unreachable_database_leaves_the_offset_and_raises_nothing(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'bot.db'}")
    ticks = Ticks()
    try:
        host = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        clock = DatabaseClock(engine, host=lambda: host, monotonic=ticks)
        assert clock() == host  # never measured: host time
        assert clock.error is None
        with pytest.raises(Exception, match="unable to open"):
            clock.sync()
    finally:
        engine.dispose()


def test_a_built_runtime_and_its_workers_share_one_database_clock(tmp_path: Path) -> None:
    from bot.bootstrap import build_runtime, build_workers
    from bot.config import load_settings

    runtime = build_runtime(load_settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}"))
    try:
        assert isinstance(runtime.clock, DatabaseClock)
        assert build_workers(runtime).clock is runtime.clock
    finally:
        runtime.close()


def test_between_syncs_readings_move_by_the_monotonic_clock_not_the_wall(engine: Engine) -> None:
    # An NTP step or VM resume moves the wall clock at once; leases must not see it (a reading
    # 40 s ahead would take over a live lease). Only the monotonic clock moves readings.
    ticks = Ticks()
    clock = DatabaseClock(engine, resync=60.0, monotonic=ticks)
    first = clock()
    ticks.now += 1.0
    assert clock() - first == timedelta(seconds=1)
    ticks.now += 30.0
    assert clock() - first == timedelta(seconds=31)
    assert abs((first - db.utcnow()).total_seconds()) < 1.0  # and it is the database's time
