"""A Detach whose outcome is unknown is never followed by a second one while it may be in flight.

These drive the executor directly with a clock the test moves, against the real ECS simulator:
a holder that died (or is slow) after committing its intent, a lost answer followed by a busy
instance, and answers that keep getting lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import DetachOutcomeUnknownError
from bot.requests import service
from bot.requests.service import Policy
from bot.sim.ecs import EcsSimulator
from bot.workers.executor import Executor, ExecutorConfig

from support.workers_env import (
    FAST_RETRY,
    SIM_KEY,
    SIM_SECRET,
    eni_id,
    instance_id,
    make_world,
    request,
    submit_and_approve,
)

POLICY = Policy(stuck_after=300)
CONFIG = ExecutorConfig(lease_seconds=45, in_flight_window=60, busy_base=1, busy_cap=5)


class Clock:
    def __init__(self) -> None:
        self.now = db.utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    sessions: sessionmaker[Session]
    sim: EcsSimulator
    clock: Clock
    executor: Executor

    def detaches(self) -> int:
        return self.sim.calls.total("DetachNetworkInterface")


@pytest.fixture
def rig(sqlite_url: str) -> Iterator[Rig]:
    db.upgrade(sqlite_url)
    engine = db.make_engine(sqlite_url)
    sessions = db.session_factory(engine)
    with EcsSimulator(make_world(3, detach_delay=3600)) as sim:
        ecs = EcsClient(
            credentials=StaticCredentials(SIM_KEY, SIM_SECRET), endpoint=sim.url, retry=FAST_RETRY
        )
        clock = Clock()
        executor = Executor(
            sessions=sessions, ecs=ecs, policy=POLICY, owner="B", config=CONFIG, clock=clock
        )
        yield Rig(sessions, sim, clock, executor)
        ecs.close()
    engine.dispose()


def _intent_committed_by_a_holder_that_died(rig: Rig, rid: int) -> None:
    rig.clock.now = db.utcnow() + timedelta(seconds=1)  # after the approval
    now = rig.clock()
    with db.transaction(rig.sessions) as s:
        assert service.claim_for_execution(s, owner="A", now=now, lease_seconds=45)
        assert service.start_execution(s, request_id=rid, owner="A", policy=POLICY, now=now)
        assert service.mark_detach_intent(s, request_id=rid, owner="A", now=now)


def test_no_second_detach_while_the_first_may_still_be_in_flight(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [0])
    _intent_committed_by_a_holder_that_died(rig, rid)
    rig.clock.advance(46)  # A's lease has expired; its Detach may still be on the wire
    rig.executor.run_once()
    assert rig.detaches() == 0
    assert request(rig.sessions, rid).status == "executing"
    rig.clock.advance(15)  # past intent + 60 s: nothing can still be in flight
    rig.executor.run_once()
    assert rig.detaches() == 1
    assert request(rig.sessions, rid).status == "detaching"


def test_lost_answer_then_busy_instance_keeps_the_intent(rig: Rig) -> None:
    """The late-applied first Detach is recognised, not called a changed world."""
    [rid] = submit_and_approve(rig.sessions, POLICY, [1])
    _intent_committed_by_a_holder_that_died(rig, rid)
    rig.sim.world.update_instance(instance_id(1), {"status": "Stopping"})
    rig.clock.advance(61)
    rig.executor.run_once()
    assert request(rig.sessions, rid).status == "executing"
    assert request(rig.sessions, rid).detach_intent_at is not None
    # The first Detach took effect after all; the instance settles.
    rig.sim.world.update_network_interface(eni_id(1), {"status": "Available"})
    rig.sim.world.update_instance(instance_id(1), {"status": "Running"})
    rig.clock.advance(10)
    rig.executor.run_once()
    final = request(rig.sessions, rid)
    assert final.status == "detaching"
    assert rig.detaches() == 0


class LosingClient(EcsClient):
    """Every Detach's answer is lost before ECS applied it (the ENI stays InUse)."""

    sent = 0

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        self.sent += 1
        raise DetachOutcomeUnknownError("Transport.DetachOutcomeUnknown", "read timed out")


def test_answers_that_keep_getting_lost_end_in_failure_not_a_loop(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [2])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    losing = LosingClient(
        credentials=StaticCredentials(SIM_KEY, SIM_SECRET), endpoint=rig.sim.url, retry=FAST_RETRY
    )
    executor = Executor(
        sessions=rig.sessions, ecs=losing, policy=POLICY, owner="B", config=CONFIG, clock=rig.clock
    )
    try:
        for _ in range(40):
            executor.run_once()
            if request(rig.sessions, rid).status == "failed":
                break
            rig.clock.advance(61)
    finally:
        losing.close()
    final = request(rig.sessions, rid)
    assert final.status == "failed"
    assert final.error_code == "Transport.DetachOutcomeUnknown"
    # One send per in-flight window at most, for at most stuck_after.
    assert 1 < losing.sent <= POLICY.stuck_after // CONFIG.in_flight_window + 1
