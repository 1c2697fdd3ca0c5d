"""The watch use case on its own: a failed Describe records nothing, and its back-off is per region.

Driven directly (no worker loop) with a clock the test moves, against the real ECS simulator:
targets are sent by the execute use case, then watched chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError
from bot.requests import target_store
from bot.requests.executing import ExecutionConfig, TargetExecution
from bot.requests.models import RequestTarget
from bot.requests.ports import DESCRIBE_ENIS
from bot.requests.schemas import Policy
from bot.requests.watching import TargetWatch, WatchConfig
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.faults import FaultSpec

from support.clock import Clock
from support.stack import SIM_KEY, SIM_SECRET
from support.workers_env import FAST_RETRY, REGION, make_world, submit_and_approve

POLICY = Policy(stuck_after=300)
# Back-off steps of 10, 20, 40 s, each longer than the poll interval, so each is visible.
CONFIG = WatchConfig(poll_interval=1.0, lease_seconds=45.0, trouble_base=10.0, trouble_cap=60.0)


@dataclass
class Rig:
    sessions: sessionmaker[Session]
    sim: EcsSimulator
    clock: Clock
    watch: TargetWatch
    ecs: EcsClient

    def in_flight(self, count: int) -> list[int]:
        """Send `count` detaches (the ENIs stay Detaching) and come back when each is due."""
        submit_and_approve(self.sessions, POLICY, range(count))
        self.clock.now = db.utcnow() + timedelta(seconds=1)  # after the approvals
        execution = TargetExecution(
            sessions=self.sessions,
            ecs=self.ecs,
            policy=POLICY,
            owner="E",
            config=ExecutionConfig(),
            clock=self.clock,
        )
        claimed = execution.claim(count)
        for target in claimed:
            execution.run(target)
        self.clock.advance(2)  # past first_poll_after
        return [t.id for t in claimed]

    def target(self, target_id: int) -> RequestTarget:
        with self.sessions() as s:
            found = target_store.get_target(s, target_id)
            assert found is not None
            return found

    def due_in(self, target_id: int) -> float:
        """Seconds from now until the target's next look."""
        due = self.target(target_id).next_poll_at
        assert due is not None
        return (due - self.clock()).total_seconds()


@pytest.fixture
def rig(sqlite_sessions: sessionmaker[Session]) -> Iterator[Rig]:
    with EcsSimulator(make_world(2, detach_delay=3600)) as sim:
        ecs = EcsClient(
            credentials=StaticCredentials(SIM_KEY, SIM_SECRET), endpoint=sim.url, retry=FAST_RETRY
        )
        clock = Clock()
        watch = TargetWatch(
            sessions=sqlite_sessions, ecs=ecs, policy=POLICY, owner="P", config=CONFIG, clock=clock
        )
        yield Rig(sqlite_sessions, sim, clock, watch, ecs)
        ecs.close()


def _refuse_describes(rig: Rig) -> int:
    fault = FaultSpec(
        kind="error", action=DESCRIBE_ENIS, code="Forbidden.RAM", http_status=403, times=None
    )
    return rig.sim.faults.add(fault).fault_id


def _failed_poll(rig: Rig) -> list[RequestTarget]:
    """Claim the due targets, fail their Describe, put them off; the claimed rows."""
    claimed = rig.watch.claim(100)
    assert claimed
    with pytest.raises(EcsError) as failed:
        rig.watch.poll_chunk(REGION, claimed)
    rig.watch.put_off(REGION, claimed, failed.value)
    return claimed


def test_a_failed_describe_records_nothing_until_put_off(rig: Rig) -> None:
    ids = rig.in_flight(2)
    _refuse_describes(rig)
    claimed = rig.watch.claim(100)
    assert sorted(t.id for t in claimed) == sorted(ids)
    with pytest.raises(EcsError):
        rig.watch.poll_chunk(REGION, claimed)
    for target_id in ids:
        row = rig.target(target_id)
        assert (row.status, row.poll_count, row.lease_owner) == ("in_flight", 0, "P")
        assert not row.ecs_trouble_reported


def test_failures_in_a_row_wait_longer_and_an_answer_starts_the_back_off_again(rig: Rig) -> None:
    [target_id, _other] = rig.in_flight(2)
    fault = _refuse_describes(rig)
    waits = []
    for _ in range(3):
        _failed_poll(rig)
        waits.append(rig.due_in(target_id))
        rig.clock.advance(waits[-1])
    assert waits == [10.0, 20.0, 40.0]
    row = rig.target(target_id)
    assert (row.lease_owner, row.ecs_trouble_reported) == (None, True)

    assert rig.sim.faults.remove(fault)
    claimed = rig.watch.claim(100)
    assert rig.watch.poll_chunk(REGION, claimed) == 0  # still Detaching: rescheduled in bulk
    assert rig.target(target_id).poll_count == 1
    rig.clock.advance(rig.due_in(target_id))
    _refuse_describes(rig)
    _failed_poll(rig)
    assert rig.due_in(target_id) == 10.0
