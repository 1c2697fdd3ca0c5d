"""Hypothesis plays ECS at its most ambiguous against the real executor and store.

Each Detach may be applied or not, and answered OK, refused, lost, or with a server error;
an applied Detach may land late, and a Detaching ENI finishes at a random later step. ECS
refuses a Detach of an ENI that is not InUse (InvalidEniState, a busy code), which is what makes
a later refusal look like "nothing happened". Whatever the script:

- a request whose ENI was detached by one of its Detaches is never reported failed;
- ECS applies at most one Detach per request (a second is never sent while one may be in
  flight, and is refused once one took effect);
- no Detach is sent within the in-flight window of an earlier one whose outcome is unknown.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import db
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError
from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface
from bot.requests.schemas import Policy
from bot.workers.executor import Executor, ExecutorConfig

from support.clock import Clock
from support.workers_env import REGION, eni_id, instance_id, request, submit_and_approve

POLICY = Policy(stuck_after=300)
CONFIG = ExecutorConfig(lease_seconds=45, in_flight_window=60, busy_base=1, busy_cap=5)

ANSWERS = (
    "ok",  # applied, answered
    "refused",  # not applied, OperationConflict
    "lost_applied",  # applied, the answer never came
    "lost_not_applied",
    "server_error_applied",  # applied, then InternalError
    "server_error_not_applied",
    "late",  # not applied now, lands later (at the latest with the next call); no answer
)


@dataclass
class World:
    """One ENI as ECS holds it, and the script of answers its Detaches get."""

    answers: list[str]
    status: EniStatus = EniStatus.IN_USE
    landing: bool = False  # a late Detach lands at the next tick
    applied: int = 0
    sent_at: list[datetime] = field(default_factory=list)
    unknown_at: list[datetime] = field(default_factory=list)

    def apply(self) -> None:
        self.applied += 1
        self.status = EniStatus.DETACHING

    def land(self) -> None:
        """A late Detach takes effect (between a Describe and the next call, at worst)."""
        if self.landing:
            self.landing = False
            if self.status is EniStatus.IN_USE:
                self.apply()

    def tick(self, finish: bool) -> None:
        if finish and self.status is EniStatus.DETACHING:
            self.status = EniStatus.AVAILABLE
        elif finish:
            self.land()


class ScriptedEcs(EcsClient):
    """The ECS port answered from a World (no HTTP: the ambiguity is what is under test)."""

    def __init__(self, world: World, clock: Clock) -> None:
        super().__init__(credentials=StaticCredentials("k", "s"), endpoint="http://127.0.0.1:9")
        self.world = world
        self.clock = clock

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        world = self.world
        world.sent_at.append(self.clock())
        world.land()
        if world.status is not EniStatus.IN_USE:
            raise EcsError("InvalidOperation.InvalidEniState", "not InUse", request_id="R-busy")
        answer = world.answers.pop(0) if world.answers else "ok"
        if answer in ("ok", "lost_applied", "server_error_applied"):
            world.apply()
        if answer == "late":
            world.landing = True
        if answer == "refused":
            raise EcsError("OperationConflict", "busy", request_id="R-conflict")
        if answer.startswith("server_error"):
            world.unknown_at.append(self.clock())
            raise OutcomeUnknownError("InternalError", "oops", request_id="R-500", http_status=500)
        if answer != "ok":
            world.unknown_at.append(self.clock())
            raise OutcomeUnknownError("Transport.DetachOutcomeUnknown", "read timed out")
        return "R-ok"

    def describe_network_interfaces(
        self, region: str, eni_ids: Sequence[str]
    ) -> list[NetworkInterface]:
        attached = self.world.status is not EniStatus.AVAILABLE
        return [
            NetworkInterface(
                eni_id=eni_id(0),
                status=self.world.status,
                type=EniType.SECONDARY,
                instance_id=instance_id(0) if attached else None,
                region_id=REGION,
            )
        ]

    def describe_instances(self, region: str, instance_ids: Sequence[str]) -> list[Instance]:
        return [
            Instance(instance_id=instance_id(0), status=InstanceStatus.RUNNING, region_id=REGION)
        ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=st.lists(st.sampled_from(ANSWERS), min_size=1, max_size=6),
    steps=st.lists(st.tuples(st.integers(1, 70), st.booleans()), min_size=4, max_size=16),
)
def test_ambiguous_answers_never_fail_a_detached_eni_or_apply_twice(
    answers: list[str], steps: list[tuple[int, bool]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'p.db'}"
        db.upgrade(url)
        engine = db.make_engine(url)
        try:
            sessions = db.session_factory(engine)
            [rid] = submit_and_approve(sessions, POLICY, [0])
            world, clock = World(list(answers)), Clock(db.utcnow() + timedelta(seconds=1))
            ecs = ScriptedEcs(world, clock)
            executor = Executor(
                sessions=sessions, ecs=ecs, policy=POLICY, owner="W", config=CONFIG, clock=clock
            )
            for seconds, finish in steps:
                executor.run_once()
                clock.advance(seconds)
                world.tick(finish)
            ecs.close()
            final = request(sessions, rid)
        finally:
            engine.dispose()
    if world.applied:
        assert final.status != "failed", (final.status, final.target.error_code, answers)
    if final.status == "failed":
        assert world.applied == 0 and not world.landing
    assert world.applied <= 1
    for unknown in world.unknown_at:
        later = [t for t in world.sent_at if unknown < t < unknown + timedelta(seconds=60)]
        assert not later, (answers, world.sent_at, world.unknown_at)
