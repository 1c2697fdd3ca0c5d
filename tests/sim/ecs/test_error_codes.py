"""Every code of the seed's DetachNetworkInterface table, made by the simulator, seen by the client.

Codes with a natural trigger are produced by the world (a primary ENI, a stopped region, a
malformed ID, ...); account codes come from a key's configured conditions; codes a detach cannot
cause (quota, vSwitch, trunk-attach codes) and the two parameter codes the client can never send
come from the forced-error fault. Each case asserts the code, the seed's HTTP status, an ECS-like
RequestId, and that the client gave up after exactly one call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sim_helpers import KEY_ID, SECRET, RawCaller, detach_params

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import CATALOGUE, EcsError
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import SEED_CODES, EcsSimulator, FaultSpec

SEED = Path(__file__).resolve().parents[2] / "ecs" / "data" / "seed_detach.txt"
REQUEST_ID = re.compile(r"^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$")
DETACH = "DetachNetworkInterface"
REGION = "cn-hangzhou"


def _seed_table() -> dict[str, int]:
    """Code → HTTP status, read from the seed document itself."""
    rows = re.findall(r"^\| (\d{3}) \| ([A-Za-z.]+) \|", SEED.read_text(), re.M)
    return {code: int(status) for status, code in rows}


SEED_TABLE = _seed_table()


@dataclass(frozen=True)
class Case:
    """How to make ECS answer one code on a detach."""

    eni: str = "eni-sec000001"
    instance: str = "i-run000001"
    region: str = REGION
    key: tuple[str, str] = (KEY_ID, SECRET)
    forced: bool = False  # answered by the forced-error fault


CASES: dict[str, Case] = {
    "MissingParameter": Case(eni=""),
    "UnsupportedParameter": Case(forced=True),  # natural trigger tested below with a raw call
    "InvalidParameter": Case(forced=True),  # natural trigger tested below with a raw call
    "InvalidInstanceID.Malformed": Case(instance="instance-1"),
    "InvalidOperation.InvalidRegion": Case(region="cn-nowhere-1"),
    "InvalidOperation.InvalidEcsState": Case(eni="eni-start0001", instance="i-start0001"),
    "InvalidOperation.InvalidEniState": Case(eni="eni-attach001"),
    "InvalidOperation.DetachPrimaryEniNotAllowed": Case(eni="eni-prim00001"),
    "Forbidden.RegionId": Case(region="cn-beijing"),
    "InvalidParams.EniId": Case(eni="eni_BAD!"),
    "InvalidParameter.EniNotBelongEcs": Case(eni="eni-stop00001"),
    "InvalidUserType.NotSupported": Case(key=("odd-account", "s2")),
    "Abs.InvalidAccount.NotFound": Case(key=("gone-account", "s1")),
    "Forbidden.NotSupportRAM": Case(key=("main-only", "s4")),
    "Forbidden.SubUser": Case(key=("ram-user", "s3")),
    "MaxEniCountExceeded": Case(forced=True),
    "EniPerInstanceLimitExceeded": Case(forced=True),
    "InvalidOperation.AvailabilityZoneMismatch": Case(forced=True),
    "InvalidOperation.VpcMismatch": Case(forced=True),
    "SecurityGroupInstanceLimitExceed": Case(forced=True),
    "InvalidSecurityGroupId.NotVpc": Case(forced=True),
    "InvalidOperation.InvalidEniType": Case(eni="eni-memb00001"),
    "InvalidOperation.EniServiceManaged": Case(eni="eni-svc000001"),
    "InvalidOperation.EniLinked": Case(eni="eni-link00001"),
    "InvalidInstanceId.NotFound": Case(instance="i-sha000001"),
    "InvalidOperation.HotPlugNotSupport": Case(eni="eni-small0001", instance="i-small0001"),
    "InvalidOperation.InvalidTrunkEniStatus": Case(eni="eni-memb00002"),
    "InvalidOperation.InstanceTypeNotSupportEniTrunking": Case(forced=True),
    "InvalidParameter.EniNotBelongTrunk": Case(forced=True),
    "InvalidOperation.EniTypeNotSupportTrunking": Case(forced=True),
    "InvalidOperation.HasMemberEniAttached": Case(eni="eni-trunk0001"),
    "InvalidEcsId.NotFound": Case(instance="i-ghost00001"),
    "InvalidEniId.NotFound": Case(eni="eni-ghost0001"),
    "InvalidVSwitchId.NotFound": Case(forced=True),
    "InvalidSecurityGroupId.NotFound": Case(forced=True),
}


def test_the_cases_cover_exactly_the_seed_table() -> None:
    assert len(SEED_TABLE) == 35
    assert set(CASES) == set(SEED_TABLE) == set(SEED_CODES)


@pytest.fixture
def client_for(sim: EcsSimulator) -> Iterator[Callable[[tuple[str, str]], EcsClient]]:
    made: list[EcsClient] = []

    def make(key: tuple[str, str]) -> EcsClient:
        client = EcsClient(
            credentials=StaticCredentials(*key),
            endpoint=sim.url,
            retry=RetryPolicy(sleep=lambda _s: None),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize("code", list(CASES))
def test_seed_code_through_the_client(
    sim: EcsSimulator, client_for: Callable[[tuple[str, str]], EcsClient], code: str
) -> None:
    case = CASES[code]
    if case.forced:
        sim.faults.add(FaultSpec(kind="error", action=DETACH, code=code))
    client = client_for(case.key)
    with pytest.raises(EcsError) as caught:
        client.detach_network_interface(case.region, case.eni, case.instance)
    error = caught.value
    assert error.code == code
    assert error.http_status == SEED_TABLE[code]
    assert error.request_id and REQUEST_ID.match(error.request_id)
    assert error.recommend and f"q={code}" in error.recommend
    # Not retryable: the client stopped after one call, and nothing was detached.
    assert sim.calls.total(DETACH) == 1
    assert sim.calls.count(DETACH, code) == 1
    assert sim.calls.snapshot()["accepted_detaches"] == {}
    assert code in CATALOGUE


def test_unsupported_parameter_has_a_natural_trigger(raw: RawCaller) -> None:
    params = {**detach_params("eni-sec000001", "i-run000001"), "TrunkNetworkInstanceId": "eni-x"}
    answer = raw.v3(DETACH, params)
    assert (answer.status, answer.code) == (400, "UnsupportedParameter")
    assert "unavailable for use" in answer.body["Message"]


def test_invalid_parameter_has_a_natural_trigger(raw: RawCaller) -> None:
    answer = raw.v3(DETACH, {**detach_params("eni-sec000001", "i-run000001"), "OwnerId": "abc"})
    assert (answer.status, answer.code) == (400, "InvalidParameter")


@pytest.mark.parametrize(
    ("key", "token", "code", "status"),
    [
        ((KEY_ID, "wrong-secret"), None, "SignatureDoesNotMatch", 400),
        (("nobody", "x"), None, "InvalidAccessKeyId.NotFound", 404),
        (("sts-key", "sts-secret"), None, "InvalidSecurityToken.Malformed", 400),
        (("sts-key", "sts-secret"), "other", "InvalidSecurityToken.MismatchWithAccessKey", 400),
        (("old-sts-key", "old-secret"), "old-token", "InvalidSecurityToken.Expired", 400),
    ],
)
def test_gateway_codes_through_the_client(
    sim: EcsSimulator, key: tuple[str, str], token: str | None, code: str, status: int
) -> None:
    with (
        EcsClient(
            credentials=StaticCredentials(key[0], key[1], token),
            endpoint=sim.url,
            retry=RetryPolicy(sleep=lambda _s: None),
        ) as client,
        pytest.raises(EcsError) as caught,
    ):
        client.describe_network_interfaces(REGION, ["eni-sec000001"])
    assert (caught.value.code, caught.value.http_status) == (code, status)
    assert caught.value.request_id
    assert sim.calls.total("DescribeNetworkInterfaces") == 1


def test_sts_credentials_work_through_the_client(sim: EcsSimulator) -> None:
    credentials = StaticCredentials("sts-key", "sts-secret", "CAIS+sts/token==")
    with EcsClient(credentials=credentials, endpoint=sim.url) as client:
        assert client.detach_network_interface(REGION, "eni-sec000001", "i-run000001")
    assert sim.calls.accepted_detaches("eni-sec000001") == 1


def test_forbidden_ram_on_describe_through_the_client(sim: EcsSimulator) -> None:
    client = EcsClient(credentials=StaticCredentials("ram-user", "s3"), endpoint=sim.url)
    with client, pytest.raises(EcsError) as caught:
        client.describe_instances(REGION, ["i-run000001"])
    assert (caught.value.code, caught.value.http_status) == ("Forbidden.RAM", 403)
