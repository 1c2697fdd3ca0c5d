"""Fixtures: a scripted loopback ECS and a client pointed at it with instant retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scripted_ecs import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Calls, ScriptedEcs, running

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.retry import RetryPolicy

from support.clock import Clock


@pytest.fixture
def ecs() -> Iterator[ScriptedEcs]:
    with running(ACCESS_KEY_SECRET) as server:
        yield server


@pytest.fixture
def sleeps() -> Clock:
    """The client's waits, recorded and passed on the clock it reads instead of slept."""
    return Clock()


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def policy(sleeps: Clock) -> RetryPolicy:
    # random() == 1.0 makes the full-jitter delay its ceiling, so waits are predictable.
    return RetryPolicy(
        max_attempts=4,
        base_delay=0.1,
        max_delay=1.0,
        max_total=60.0,
        sleep=sleeps.sleep,
        random=lambda: 1.0,
        clock=sleeps.monotonic,
    )


@pytest.fixture
def client(ecs: ScriptedEcs, policy: RetryPolicy, calls: Calls) -> Iterator[EcsClient]:
    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoint=ecs.url,
        timeout=2.0,
        retry=policy,
        observer=calls,
    ) as c:
        yield c
