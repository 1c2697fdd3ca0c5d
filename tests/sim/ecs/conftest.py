"""Fixtures for the ECS simulator tests: a running simulator over a small world, a raw caller."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# sim_helpers sits beside this file; make it importable under any pytest import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sim_helpers import KEY_ID, SECRET, RawCaller, small_world

from bot.sim.ecs import EcsSimulator

from support.clock import Clock


@pytest.fixture
def clock() -> Clock:
    """The small world's time (the simulator reads it as monotonic seconds)."""
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[EcsSimulator]:
    with EcsSimulator(small_world(clock), keys={KEY_ID: SECRET}, sleep=lambda _s: None) as s:
        yield s


@pytest.fixture
def raw(sim: EcsSimulator) -> Iterator[RawCaller]:
    caller = RawCaller(sim.url)
    yield caller
    caller.close()
