"""A Detach whose outcome is unknown is never followed by a second one while it may be in flight.

These drive the executor directly with a clock the test moves, against the real ECS simulator:
a holder that died (or is slow) after committing its intent, a lost answer followed by a busy
instance, and answers that keep getting lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.client import EcsClient
from bot.ecs.credentials import EnvCredentials, StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError
from bot.ecs.models import Instance, NetworkInterface
from bot.requests import execution
from bot.requests.schemas import Policy
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.faults import FaultKind, FaultSpec
from bot.sim.ecs.fixture import build_world, parse_world
from bot.workers.executor import Executor, ExecutorConfig

from support.clock import Clock
from support.stack import SIM_KEY, SIM_SECRET
from support.workers_env import (
    FAST_RETRY,
    eni_id,
    instance_id,
    make_world,
    request,
    submit_and_approve,
    world_fixture,
)

POLICY = Policy(stuck_after=300)
CONFIG = ExecutorConfig(lease_seconds=45, in_flight_window=60, busy_base=1, busy_cap=5)


@dataclass
class Rig:
    sessions: sessionmaker[Session]
    sim: EcsSimulator
    clock: Clock
    executor: Executor

    def detaches(self) -> int:
        return self.sim.calls.total("DetachNetworkInterface")

    def client_kwargs(self) -> dict[str, Any]:
        """How every client here reaches the simulator."""
        return {
            "credentials": StaticCredentials(SIM_KEY, SIM_SECRET),
            "endpoint": self.sim.url,
            "retry": FAST_RETRY,
        }

    def executor_with(self, ecs: EcsClient, owner: str = "B") -> Executor:
        """An executor on this rig's store and clock that talks to ECS through `ecs`."""
        return Executor(
            sessions=self.sessions,
            ecs=ecs,
            policy=POLICY,
            owner=owner,
            config=CONFIG,
            clock=self.clock,
        )


@pytest.fixture
def rig(sqlite_sessions: sessionmaker[Session]) -> Iterator[Rig]:
    sessions = sqlite_sessions
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


def _intent_committed_by_a_holder_that_died(rig: Rig, rid: int) -> None:
    rig.clock.now = db.utcnow() + timedelta(seconds=1)  # after the approval
    now = rig.clock()
    with db.transaction(rig.sessions) as s:
        [taken] = execution.claim_for_execution(s, owner="A", now=now, lease_seconds=45)
        assert taken.request_id == rid
        assert execution.start_execution(s, target_id=taken.id, owner="A", policy=POLICY, now=now)
        assert execution.mark_intent(s, target_id=taken.id, owner="A", now=now)


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
    assert request(rig.sessions, rid).target.intent_at is not None
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
        raise OutcomeUnknownError("Transport.DetachOutcomeUnknown", "read timed out")


def test_answers_that_keep_getting_lost_end_in_failure_not_a_loop(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [2])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    losing = LosingClient(**rig.client_kwargs())
    executor = rig.executor_with(losing, "B")
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
    assert final.target.error_code == "Transport.DetachOutcomeUnknown"
    # One send per in-flight window at most, for at most stuck_after.
    assert 1 < losing.sent <= POLICY.stuck_after // CONFIG.in_flight_window + 1


# ---- a call that may have been applied is never forgotten (Hardening 0.2) ----


def test_server_error_after_the_detach_applied_is_reconciled_not_resent(rig: Rig) -> None:
    """ECS applied the Detach and answered InternalError: the request goes on as detaching."""
    [rid] = submit_and_approve(rig.sessions, POLICY, [0])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    rig.sim.faults.add(FaultSpec(kind=FaultKind.ERROR_AFTER_APPLY, action="DetachNetworkInterface"))
    rig.executor.run_once()
    assert rig.detaches() == 1
    final = request(rig.sessions, rid)
    assert final.status == "detaching"
    assert final.target.ecs_request_id  # the InternalError answer's RequestId, for people to quote
    # Finishing later changes nothing: the ENI is Available because of this request.
    rig.sim.world.update_network_interface(eni_id(0), {"status": "Available", "instance_id": None})
    rig.clock.advance(10)
    rig.executor.run_once()
    assert rig.detaches() == 1


class LateLandingClient(EcsClient):
    """The first Detach's answer is lost and it lands late: it finishes as the second is sent.

    ECS then refuses the second (the ENI is Available: InvalidEniState, a busy code), which is
    the refusal that used to erase the record of the first.
    """

    def __init__(self, sim: EcsSimulator, eni: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sim = sim
        self.eni = eni
        self.sent = 0

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        self.sent += 1
        if self.sent == 1:
            raise OutcomeUnknownError("Transport.DetachOutcomeUnknown", "read timed out")
        self.sim.world.update_network_interface(
            self.eni, {"status": "Available", "instance_id": None}
        )
        return super().detach_network_interface(region, eni_id, instance_id)


def test_a_later_refusal_never_erases_a_call_that_may_have_applied(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [1])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    late = LateLandingClient(rig.sim, eni_id(1), **rig.client_kwargs())
    executor = rig.executor_with(late, "B")
    try:
        executor.run_once()  # lost answer; the ENI still shows InUse: wait out the window
        assert request(rig.sessions, rid).status == "executing"
        rig.clock.advance(61)
        executor.run_once()  # the second Detach is refused as busy
        assert late.sent == 2
        # The next look finds the ENI Available: this request's doing, not a changed world.
        for _ in range(5):
            rig.clock.advance(10)
            executor.run_once()
    finally:
        late.close()
    final = request(rig.sessions, rid)
    assert final.status == "detaching", (final.status, final.target.error_code)
    assert final.target.error_code != "WorldChanged"
    assert late.sent == 2


class HijackedDescribes(EcsClient):
    """Describe so slow that the lease lapses and replica B takes the request over meanwhile."""

    def __init__(self, rig: Rig, rid: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rig = rig
        self.rid = rid

    def describe_instances(self, region: str, instance_ids: Sequence[str]) -> list[Instance]:
        self.rig.clock.advance(CONFIG.lease_seconds + 1)
        now = self.rig.clock()
        with db.transaction(self.rig.sessions) as s:
            [taken] = execution.claim_for_execution(s, owner="B", now=now, lease_seconds=45)
            assert taken.request_id == self.rid
            assert execution.mark_intent(s, target_id=taken.id, owner="B", now=now)
        return []  # "the instance is gone": A would fail the request B is detaching


def test_a_lapsed_lease_cannot_fail_a_request_another_replica_holds(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [2])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    slow = HijackedDescribes(rig, rid, **rig.client_kwargs())
    executor_a = rig.executor_with(slow, "A")
    try:
        executor_a.run_once()
    finally:
        slow.close()
    final = request(rig.sessions, rid)
    assert final.status == "executing"
    assert final.target.lease_owner == "B"
    assert final.target.error_code is None


# ---- credentials mid-rotation are waited out, within the busy budget ----


def _rotating_world() -> EcsSimulator:
    fixture = world_fixture(1, detach_delay=3600)
    fixture["access_keys"] = [
        {"id": "sts-old", "secret": "old-secret", "security_token": "t-old",
         "security_token_expired": True},
        {"id": "sts-new", "secret": "new-secret", "security_token": "t-new"},
    ]  # fmt: skip
    return EcsSimulator(build_world(parse_world(fixture)))


def test_an_expired_sts_token_during_rotation_is_retried_not_failed(rig: Rig) -> None:
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "sts-old",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "old-secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "t-old",
    }
    [rid] = submit_and_approve(rig.sessions, POLICY, [0])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    with (
        _rotating_world() as sim,
        EcsClient(credentials=EnvCredentials(environ), endpoint=sim.url, retry=FAST_RETRY) as ecs,
    ):
        executor = rig.executor_with(ecs, "B")
        executor.run_once()
        waiting = request(rig.sessions, rid)
        assert waiting.status == "executing"
        assert waiting.target.error_code == "InvalidSecurityToken.Expired"
        # The rotation lands: the next round uses the new token (read per call).
        environ.update(
            ALIBABA_CLOUD_ACCESS_KEY_ID="sts-new",
            ALIBABA_CLOUD_ACCESS_KEY_SECRET="new-secret",
            ALIBABA_CLOUD_SECURITY_TOKEN="t-new",
        )
        rig.clock.advance(CONFIG.busy_cap + 1)
        executor.run_once()
        assert request(rig.sessions, rid).status == "detaching"
        assert sim.calls.total("DetachNetworkInterface") == 1


def test_credentials_that_never_come_back_fail_after_the_budget(rig: Rig) -> None:
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "sts-old",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "old-secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "t-old",
    }
    [rid] = submit_and_approve(rig.sessions, POLICY, [0])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    with (
        _rotating_world() as sim,
        EcsClient(credentials=EnvCredentials(environ), endpoint=sim.url, retry=FAST_RETRY) as ecs,
    ):
        executor = rig.executor_with(ecs, "B")
        rounds = 0
        while request(rig.sessions, rid).status in ("approved", "executing") and rounds < 200:
            executor.run_once()
            rig.clock.advance(CONFIG.busy_cap + 1)
            rounds += 1
        final = request(rig.sessions, rid)
        assert final.status == "failed"
        assert final.target.error_code == "InvalidSecurityToken.Expired"
        assert rounds > POLICY.stuck_after / (CONFIG.busy_cap + 1) - 2
        assert sim.calls.total("DetachNetworkInterface") == 0


# ---- review findings: the busy budget, failing Describes, throttled Detaches ----


def _lose_a_detach_as_the_budget_ends(rig: Rig, executor: Executor, lost: LosingClient) -> None:
    """Wait 300 s on a Starting instance, then send a Detach whose answer is lost."""
    rig.sim.world.update_instance(instance_id(0), {"status": "Starting"})
    executor.run_once()  # busy since now
    rig.clock.advance(295)
    executor.run_once()
    rig.sim.world.update_instance(instance_id(0), {"status": "Running"})
    rig.clock.advance(5)
    executor.run_once()  # sent; the answer is lost; the ENI still shows InUse
    assert lost.sent == 1


def test_a_lost_answer_at_the_end_of_the_busy_budget_waits_out_its_window(rig: Rig) -> None:
    """The budget never ends a request while a Detach sent a moment ago may still land."""
    [rid] = submit_and_approve(rig.sessions, POLICY, [0])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    lost = LosingClient(**rig.client_kwargs())
    executor = rig.executor_with(lost, "B")
    try:
        _lose_a_detach_as_the_budget_ends(rig, executor, lost)
        assert request(rig.sessions, rid).status == "executing"
        # The Detach lands late, within its window: the request is this request's success.
        rig.sim.world.update_network_interface(eni_id(0), {"status": "Detaching"})
        rig.clock.advance(CONFIG.in_flight_window + 1)
        executor.run_once()
    finally:
        lost.close()
    assert request(rig.sessions, rid).status == "detaching"
    assert lost.sent == 1


def test_a_spent_budget_fails_once_no_detach_can_still_land(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [0])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    lost = LosingClient(**rig.client_kwargs())
    executor = rig.executor_with(lost, "B")
    try:
        _lose_a_detach_as_the_budget_ends(rig, executor, lost)
        rig.clock.advance(CONFIG.in_flight_window + 1)
        executor.run_once()  # still InUse past the window: it did not apply; budget spent
    finally:
        lost.close()
    final = request(rig.sessions, rid)
    assert final.status == "failed"
    assert final.target.error_code == "Transport.DetachOutcomeUnknown"
    assert lost.sent == 1  # no second Detach once the budget was spent


class DescribeRefusedAfterDetach(EcsClient):
    """The Detach is applied (its answer lost); every Describe after it is refused (a RAM edit)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.detached = False

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        super().detach_network_interface(region, eni_id, instance_id)
        self.detached = True
        raise OutcomeUnknownError("Transport.DetachOutcomeUnknown", "read timed out")

    def describe_network_interfaces(
        self, region: str, eni_ids: Sequence[str]
    ) -> list[NetworkInterface]:
        if self.detached:
            raise EcsError("Forbidden.RAM", "not allowed", request_id="R-403", http_status=403)
        return super().describe_network_interfaces(region, eni_ids)


def test_a_refused_describe_after_an_unknown_detach_never_fails_the_request(rig: Rig) -> None:
    [rid] = submit_and_approve(rig.sessions, POLICY, [1])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    ecs = DescribeRefusedAfterDetach(**rig.client_kwargs())
    executor = rig.executor_with(ecs, "B")
    try:
        for _ in range(3):
            executor.run_once()
            rig.clock.advance(CONFIG.in_flight_window + 1)
    finally:
        ecs.close()
    assert rig.detaches() == 1
    final = request(rig.sessions, rid)
    assert final.status == "executing", (final.status, final.target.error_code)
    assert final.target.ecs_trouble_reported  # people are told once what keeps it from finishing


def test_a_throttled_detach_answers_its_intent(rig: Rig) -> None:
    """Throttling is a refusal: nothing was applied, so no window is waited and nothing kept."""
    [rid] = submit_and_approve(rig.sessions, POLICY, [2])
    rig.clock.now = db.utcnow() + timedelta(seconds=1)
    rig.sim.faults.add(FaultSpec(kind=FaultKind.THROTTLE, action="DetachNetworkInterface", times=3))
    rig.executor.run_once()  # throttled after the client's own retries
    throttled = request(rig.sessions, rid)
    assert throttled.status == "executing"
    assert throttled.target.intent_at is None
    assert throttled.target.maybe_applied_at is None
    rig.clock.advance(CONFIG.trouble_cap + 1)
    rig.executor.run_once()
    after = request(rig.sessions, rid)
    assert after.status == "detaching"
    assert after.target.maybe_applied_at is None
