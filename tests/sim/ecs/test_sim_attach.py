"""AttachNetworkInterface in the simulator: Attaching → InUse, the fall-back to Available, the
faults every write knows, and the natural triggers the code table leaves to raw calls."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from attach_world import ATTACH_DELAY, FREE, KEY_ID, REGION, RUNNING, SECRET, attach_world
from sim_helpers import RawCaller

from bot.ecs.catalogue import ATTACH
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError, Reaction
from bot.ecs.models import EniStatus
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import EcsSimulator, FaultSpec

from support.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[EcsSimulator]:
    with EcsSimulator(attach_world(clock), keys={KEY_ID: SECRET}, sleep=lambda _s: None) as s:
        yield s


@pytest.fixture
def client(sim: EcsSimulator) -> Iterator[EcsClient]:
    with EcsClient(
        credentials=StaticCredentials(KEY_ID, SECRET),
        endpoint=sim.url,
        retry=RetryPolicy(sleep=lambda _s: None),
    ) as c:
        yield c


@pytest.fixture
def raw(sim: EcsSimulator) -> Iterator[RawCaller]:
    caller = RawCaller(sim.url)
    yield caller
    caller.close()


def _status(client: EcsClient, eni_id: str) -> tuple[EniStatus, str | None]:
    [eni] = client.describe_network_interfaces(REGION, [eni_id])
    return eni.status, eni.instance_id


def test_attach_goes_attaching_then_in_use_on_that_instance(
    sim: EcsSimulator, client: EcsClient, clock: Clock
) -> None:
    request_id = client.attach_network_interface(REGION, FREE, "i-stop00001")
    assert request_id
    assert _status(client, FREE) == (EniStatus.ATTACHING, "i-stop00001")
    clock.advance(ATTACH_DELAY - 0.1)
    assert _status(client, FREE) == (EniStatus.ATTACHING, "i-stop00001")
    clock.advance(0.1)
    assert _status(client, FREE) == (EniStatus.IN_USE, "i-stop00001")
    [eni] = client.describe_network_interfaces(REGION, [FREE])
    assert eni.device_index == 1  # the instance had no ENI: the first free slot after 0
    [instance] = client.describe_instances(REGION, ["i-stop00001"])
    assert FREE in instance.network_interface_ids
    assert sim.calls.accepted_attaches(FREE) == 1


def test_an_attached_eni_can_be_detached_again(client: EcsClient, clock: Clock) -> None:
    client.attach_network_interface(REGION, FREE, RUNNING)
    clock.advance(ATTACH_DELAY)
    client.detach_network_interface(REGION, FREE, RUNNING)
    clock.advance(2.0)
    assert _status(client, FREE) == (EniStatus.AVAILABLE, None)


def test_attach_is_not_resent_while_attaching(sim: EcsSimulator, client: EcsClient) -> None:
    client.attach_network_interface(REGION, FREE, RUNNING)
    with pytest.raises(EcsError) as caught:
        client.attach_network_interface(REGION, FREE, RUNNING)
    assert caught.value.code == "InvalidOperation.InvalidEniState"
    assert sim.calls.accepted_attaches(FREE) == 1


def test_a_failing_attach_falls_back_to_available(
    sim: EcsSimulator, client: EcsClient, clock: Clock
) -> None:
    client.attach_network_interface(REGION, "eni-flaky0001", RUNNING)
    assert _status(client, "eni-flaky0001") == (EniStatus.ATTACHING, RUNNING)
    clock.advance(ATTACH_DELAY)
    assert _status(client, "eni-flaky0001") == (EniStatus.AVAILABLE, None)
    # Only the next attach fails: the second one lands.
    client.attach_network_interface(REGION, "eni-flaky0001", RUNNING)
    clock.advance(ATTACH_DELAY)
    assert _status(client, "eni-flaky0001") == (EniStatus.IN_USE, RUNNING)
    assert sim.calls.accepted_attaches("eni-flaky0001") == 2


def test_attach_fails_fault_through_the_control_api(
    sim: EcsSimulator, client: EcsClient, clock: Clock
) -> None:
    answer = httpx.post(
        f"{sim.url}/_sim/faults", json={"kind": "attach_fails", "eni_id": FREE, "times": 1}
    )
    assert answer.status_code == 201
    client.attach_network_interface(REGION, FREE, RUNNING)
    clock.advance(ATTACH_DELAY)
    assert _status(client, FREE) == (EniStatus.AVAILABLE, None)


def test_an_eni_own_attach_delay_keeps_it_attaching(client: EcsClient, clock: Clock) -> None:
    client.attach_network_interface(REGION, "eni-slow00001", RUNNING)
    clock.advance(59)
    assert _status(client, "eni-slow00001") == (EniStatus.ATTACHING, RUNNING)
    clock.advance(1)
    assert _status(client, "eni-slow00001") == (EniStatus.IN_USE, RUNNING)


def test_types_that_need_stopped_refuse_a_running_instance_only(
    client: EcsClient, clock: Clock
) -> None:
    with pytest.raises(EcsError) as caught:
        client.attach_network_interface(REGION, FREE, "i-small0001")
    assert caught.value.code == "InvalidOperation.InvalidEcsState"
    assert "stopped" in caught.value.entry.remedy
    client.attach_network_interface(REGION, FREE, "i-smalls0001")
    clock.advance(ATTACH_DELAY)
    assert _status(client, FREE) == (EniStatus.IN_USE, "i-smalls0001")


def test_cross_vpc_attach_is_refused_in_plain_words(sim: EcsSimulator, client: EcsClient) -> None:
    with pytest.raises(EcsError) as caught:
        client.attach_network_interface(REGION, FREE, "i-vpc200001")
    error = caught.value
    assert (error.code, error.http_status) == ("InvalidOperation.VpcMismatch", 403)
    assert "vpc-1" in error.message and "vpc-2" in error.message
    assert "different private networks" in error.entry.meaning
    assert error.entry.remedy == "Choose a server in the ENI's VPC."
    assert sim.world.network_interface(FREE).status == "Available"  # type: ignore[union-attr]


def test_the_instance_type_limit_counts_every_attached_eni(client: EcsClient, clock: Clock) -> None:
    # i-tiny00001 (limit 2) holds 2; one leaves, one may come.
    client.detach_network_interface(REGION, "eni-tsec00001", "i-tiny00001")
    with pytest.raises(EcsError) as caught:
        client.attach_network_interface(REGION, FREE, "i-tiny00001")
    assert caught.value.code == "EniPerInstanceLimitExceeded"  # still Detaching: still counted
    clock.advance(2.0)
    client.attach_network_interface(REGION, FREE, "i-tiny00001")
    [eni] = client.describe_network_interfaces(REGION, [FREE])
    assert (eni.status, eni.device_index) == (EniStatus.ATTACHING, 1)


# ---- the faults of every write ----


def test_server_error_after_apply_is_an_unknown_outcome(
    sim: EcsSimulator, client: EcsClient
) -> None:
    sim.faults.add(FaultSpec(kind="error_after_apply", action=ATTACH))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.attach_network_interface(REGION, FREE, RUNNING)
    assert (caught.value.code, caught.value.http_status) == ("InternalError", 500)
    assert caught.value.request_id
    assert caught.value.reaction is Reaction.CHECK_FIRST
    # It happened (a Describe says Attaching on that instance), and it was sent once.
    assert _status(client, FREE) == (EniStatus.ATTACHING, RUNNING)
    assert sim.calls.total(ATTACH) == 1


def test_503_before_apply_is_an_unknown_outcome_too(sim: EcsSimulator, client: EcsClient) -> None:
    sim.faults.add(FaultSpec(kind="server_error", action=ATTACH))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.attach_network_interface(REGION, FREE, RUNNING)
    assert caught.value.code == "ServiceUnavailable"
    assert _status(client, FREE) == (EniStatus.AVAILABLE, None)
    assert sim.calls.total(ATTACH) == 1


def test_dropped_answer_is_an_attach_outcome_unknown(sim: EcsSimulator, client: EcsClient) -> None:
    sim.faults.add(FaultSpec(kind="drop_connection", action=ATTACH))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.attach_network_interface(REGION, FREE, RUNNING)
    assert caught.value.code == "Transport.AttachOutcomeUnknown"
    assert _status(client, FREE) == (EniStatus.ATTACHING, RUNNING)
    assert sim.calls.total(ATTACH) == 1


def test_throttled_attach_is_retried_and_lands_once(sim: EcsSimulator, client: EcsClient) -> None:
    sim.faults.add(FaultSpec(kind="throttle", action=ATTACH, times=2))
    assert client.attach_network_interface(REGION, FREE, RUNNING)
    assert sim.calls.total(ATTACH) == 3
    assert sim.calls.accepted_attaches(FREE) == 1


# ---- natural triggers the client cannot send ----


def _attach_params(**extra: str) -> dict[str, str]:
    return {"RegionId": REGION, "NetworkInterfaceId": FREE, "InstanceId": RUNNING, **extra}


def test_unsupported_parameter_has_a_natural_trigger(raw: RawCaller) -> None:
    answer = raw.v3(ATTACH, _attach_params(TrunkNetworkInstanceId="eni-x"))
    assert (answer.status, answer.code) == (400, "UnsupportedParameter")


@pytest.mark.parametrize(
    "extra",
    [{"OwnerId": "abc"}, {"NetworkCardIndex": "one"}, {"WaitForNetworkConfigurationReady": "y"}],
)
def test_invalid_parameter_has_natural_triggers(raw: RawCaller, extra: dict[str, str]) -> None:
    answer = raw.v3(ATTACH, _attach_params(**extra))
    assert (answer.status, answer.code) == (400, "InvalidParameter")


def test_optional_parameters_are_accepted(raw: RawCaller) -> None:
    answer = raw.v3(
        ATTACH, _attach_params(NetworkCardIndex="0", WaitForNetworkConfigurationReady="true")
    )
    assert answer.status == 200 and answer.body["RequestId"]


def test_v1_signed_attach_is_served_in_xml(raw: RawCaller) -> None:
    answer = raw.v1(ATTACH, _attach_params(), fmt=None)
    assert answer.status == 200
    assert answer.body["_root"] == "AttachNetworkInterfaceResponse"
