"""Every AttachNetworkInterface code, made by the simulator and read by the bot's HTTP client.

Codes with a natural trigger come from the world (a cross-VPC instance, a full instance type, a
Starting instance, a key whose account is in arrears …); codes no world condition causes come
from the forced-error fault. Each case checks what the bot will show: the code, ECS's HTTP
status and RequestId, and the catalogue's attach meaning and remedy; and that nothing was
attached and the call was sent once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from attach_world import FREE, KEY_ID, REGION, RUNNING, SECRET, attach_world

from bot.ecs.catalogue import ATTACH, ATTACH_CODES, CONFLICT_CODES, Reaction, lookup
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import EcsSimulator, FaultSpec
from bot.sim.ecs.codes import ATTACH_CODES as SIM_ATTACH_CODES
from bot.sim.ecs.codes import info

from support.clock import Clock

# The contract's busy codes (retried within ENIBOT_STUCK_AFTER); every other attach code fails.
BUSY = {*CONFLICT_CODES, "InvalidOperation.InvalidEniState", "InvalidOperation.InvalidEcsState"}
REQUEST_ID = re.compile(r"^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$")


@dataclass(frozen=True)
class Case:
    """How to make ECS answer one code on an attach."""

    eni: str = FREE
    instance: str = RUNNING
    region: str = REGION
    key: str | None = None  # a fixture key (its secret is "<id>-secret"); None: the test key
    forced: bool = False  # answered by the forced-error fault


CASES: dict[str, Case] = {
    "InvalidUserType.NotSupported": Case(key="odd-account"),
    "Abs.InvalidAccount.NotFound": Case(key="gone-account"),
    "MissingParameter": Case(instance=""),
    "Forbidden.NotSupportRAM": Case(key="main-only"),
    "UnsupportedParameter": Case(forced=True),  # natural trigger: test_sim_attach.py
    "Forbidden.SubUser": Case(key="sub-user"),
    "InvalidParameter": Case(forced=True),  # natural trigger: test_sim_attach.py
    "InvalidInstanceID.Malformed": Case(instance="instance-1"),
    "InvalidOperation.InvalidRegion": Case(region="cn-nowhere-1"),
    "InvalidOperation.InvalidEcsState": Case(instance="i-start0001"),
    "InvalidOperation.InvalidEniState": Case(eni="eni-inuse0001"),
    "InvalidOperation.DetachPrimaryEniNotAllowed": Case(eni="eni-prim00001"),
    "InvalidEcsId.NotFound": Case(instance="i-ghost00001"),
    "InvalidEniId.NotFound": Case(eni="eni-ghost0001"),
    "InvalidVSwitchId.NotFound": Case(forced=True),
    "InvalidSecurityGroupId.NotFound": Case(forced=True),
    "MaxEniCountExceeded": Case(forced=True),
    "EniPerInstanceLimitExceeded": Case(instance="i-tiny00001"),
    "InvalidOperation.AvailabilityZoneMismatch": Case(instance="i-zone00001"),
    "InvalidOperation.VpcMismatch": Case(instance="i-vpc200001"),
    "SecurityGroupInstanceLimitExceed": Case(forced=True),
    "InvalidSecurityGroupId.NotVpc": Case(forced=True),
    "InvalidOperation.InvalidEniType": Case(eni="eni-memb00001"),
    "Forbidden.RegionId": Case(region="cn-beijing"),
    "InvalidInstanceId.NotFound": Case(instance="i-sha000001"),
    "InvalidOperation.InvalidGeneration": Case(instance="i-old000001"),
    "InvalidParams.EniId": Case(eni="eni_BAD!"),
    "InvalidOperation.Ipv4CountExceeded": Case(eni="eni-ips000001", instance="i-narrow001"),
    "InvalidOperation.EniServiceManaged": Case(eni="eni-svc000001"),
    "InvalidOperation.Ipv6NotSupport": Case(eni="eni-v6000001", instance="i-narrow001"),
    "InvalidOperation.HasMemberEniAttached": Case(eni="eni-trunk0001"),
    "Forbidden.RAM": Case(key="ram-denied"),
    "Forbidden.Unauthorized": Case(key="unauthorized"),
    "InvalidAccountStatus.NotEnoughBalance": Case(key="broke"),
    "InvalidAccountStatus.SnapshotServiceUnavailable": Case(key="no-snapshots"),
    "OperationConflict": Case(forced=True),
    "InvalidOperation.Conflict": Case(forced=True),
    "Operation.Conflict": Case(forced=True),
}


def test_the_cases_cover_every_attach_code_of_the_catalogue_and_the_simulator() -> None:
    assert list(CASES) == list(ATTACH_CODES) == list(SIM_ATTACH_CODES)


@pytest.mark.parametrize("code", ATTACH_CODES)
def test_simulator_and_catalogue_agree_on_the_status(code: str) -> None:
    assert info(code).http_status == lookup(code, action=ATTACH).http_status


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[EcsSimulator]:
    with EcsSimulator(attach_world(clock), keys={KEY_ID: SECRET}, sleep=lambda _s: None) as s:
        yield s


@pytest.mark.parametrize("code", list(CASES))
def test_attach_code_through_the_client(sim: EcsSimulator, code: str) -> None:
    case = CASES[code]
    if case.forced:
        sim.faults.add(FaultSpec(kind="error", action=ATTACH, code=code))
    key = (case.key, f"{case.key}-secret") if case.key else (KEY_ID, SECRET)
    with (
        EcsClient(
            credentials=StaticCredentials(*key),
            endpoint=sim.url,
            retry=RetryPolicy(sleep=lambda _s: None),
        ) as client,
        pytest.raises(EcsError) as caught,
    ):
        client.attach_network_interface(case.region, case.eni, case.instance)
    error = caught.value
    expected = lookup(code, action=ATTACH)
    assert not isinstance(error, OutcomeUnknownError)  # a refusal: ECS surely did nothing
    assert (error.code, error.http_status, error.action) == (code, expected.http_status, ATTACH)
    assert error.request_id and REQUEST_ID.match(error.request_id)
    assert error.recommend and f"q={code}" in error.recommend
    # What the person sees: the attach meaning and remedy, never the 0.1 detach wording.
    assert error.entry == expected
    assert (error.entry.meaning, error.entry.remedy) == (expected.meaning, expected.remedy)
    assert error.reaction is (Reaction.RETRY_LATER if code in BUSY else Reaction.FAIL)
    # Sent once (the client re-sends only throttling), and nothing was attached.
    assert sim.calls.total(ATTACH) == 1
    assert sim.calls.count(ATTACH, code) == 1
    assert sim.calls.snapshot()["accepted_attaches"] == {}
    eni = sim.world.network_interface(case.eni)
    if eni is not None and case.eni == FREE:
        assert (eni.status, eni.instance_id) == ("Available", None)
