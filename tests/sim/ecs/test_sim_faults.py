"""Every fault kind, set through the control API, seen through the real client and its retries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sim_helpers import KEY_ID, SECRET, RawCaller, small_world

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import EcsSimulator, FaultSpec
from bot.sim.ecs.faults import Faults

from support.clock import Clock

DETACH, ENIS, INSTANCES = "DetachNetworkInterface", "DescribeNetworkInterfaces", "DescribeInstances"
REGION, ENI, INSTANCE = "cn-hangzhou", "eni-sec000001", "i-run000001"


@pytest.fixture
def sleeps() -> Clock:
    """The client's backoff waits, recorded instead of slept (not the world's clock)."""
    return Clock()


@pytest.fixture
def client(sim: EcsSimulator, sleeps: Clock) -> Iterator[EcsClient]:
    with EcsClient(
        credentials=StaticCredentials(KEY_ID, SECRET),
        endpoint=sim.url,
        timeout=2.0,
        retry=RetryPolicy(max_attempts=4, sleep=sleeps.sleep),
    ) as made:
        yield made


def control(sim: EcsSimulator, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, f"{sim.url}/_sim/{path}", json=body, timeout=5)


def test_throttled_detach_is_retried_then_succeeds(
    sim: EcsSimulator, client: EcsClient, sleeps: Clock
) -> None:
    fault = {"kind": "throttle", "action": DETACH, "times": 2, "retry_after_ms": 1500}
    added = control(sim, "POST", "faults", fault)
    assert added.status_code == 201
    assert client.detach_network_interface(REGION, ENI, INSTANCE)
    assert sim.calls.results(DETACH) == {"Throttling.User": 2, "OK": 1}
    assert sim.calls.accepted_detaches(ENI) == 1
    # The x-acs-retry-after hint (milliseconds) was honoured by every wait.
    assert len(sleeps.slept) == 2 and all(w >= 1.5 for w in sleeps.slept)
    assert control(sim, "GET", "faults").json()["faults"] == []


def test_throttle_answer_on_the_wire(sim: EcsSimulator, raw: RawCaller) -> None:
    sim.faults.add(FaultSpec(kind="throttle", retry_after_ms=200))
    answer = raw.v3(INSTANCES, {"RegionId": REGION})
    assert (answer.status, answer.code) == (400, "Throttling.User")
    assert answer.headers["x-acs-retry-after"] == "200"
    assert raw.v3(INSTANCES, {"RegionId": REGION}).status == 200


@pytest.mark.parametrize(("code", "status"), [("ServiceUnavailable", 503), ("InternalError", 500)])
def test_5xx_on_describe_is_retried_then_succeeds(
    sim: EcsSimulator, client: EcsClient, code: str, status: int, raw: RawCaller
) -> None:
    sim.faults.add(FaultSpec(kind="server_error", action=ENIS, code=code, times=3))
    enis = client.describe_network_interfaces(REGION, [ENI])
    assert [e.eni_id for e in enis] == [ENI]
    assert sim.calls.results(ENIS) == {code: 3, "OK": 1}
    sim.faults.add(FaultSpec(kind="server_error", action=ENIS, code=code))
    assert raw.v3(ENIS, {"RegionId": REGION}).status == status


def test_retries_are_bounded(sim: EcsSimulator, client: EcsClient) -> None:
    sim.faults.add(FaultSpec(kind="throttle", action=INSTANCES, times=None))
    with pytest.raises(EcsError) as caught:
        client.describe_instances(REGION, [INSTANCE])
    assert caught.value.code == "Throttling.User"
    assert sim.calls.results(INSTANCES) == {"Throttling.User": 4}


def test_non_retryable_code_fails_at_once(sim: EcsSimulator, client: EcsClient) -> None:
    sim.faults.add(FaultSpec(kind="error", action=DETACH, code="Forbidden.RAM", times=5))
    with pytest.raises(EcsError) as caught:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert (caught.value.code, caught.value.http_status) == ("Forbidden.RAM", 403)
    assert sim.calls.total(DETACH) == 1


def test_forced_error_fires_only_for_its_action_and_count(
    sim: EcsSimulator, client: EcsClient
) -> None:
    sim.faults.add(
        FaultSpec(kind="error", action=DETACH, code="OperationConflict", http_status=409)
    )
    client.describe_instances(REGION, [INSTANCE])  # other actions unaffected
    with pytest.raises(EcsError) as caught:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert (caught.value.code, caught.value.http_status) == ("OperationConflict", 409)
    assert client.detach_network_interface(REGION, ENI, INSTANCE)  # the next one goes through


def test_per_eni_fault_only_hits_that_eni(sim: EcsSimulator, client: EcsClient) -> None:
    sim.faults.add(FaultSpec(kind="error", eni_id="eni-sec000002", code="InternalError", times=None,
                             http_status=500))  # fmt: skip
    assert client.detach_network_interface(REGION, ENI, INSTANCE)
    with pytest.raises(EcsError):
        client.detach_network_interface(REGION, "eni-sec000002", INSTANCE)
    assert sim.calls.accepted_detaches("eni-sec000002") == 0


def test_dropped_detach_is_applied_and_reported_as_unknown(
    sim: EcsSimulator, client: EcsClient
) -> None:
    sim.faults.add(FaultSpec(kind="drop_connection", action=DETACH))
    with pytest.raises(OutcomeUnknownError):
        client.detach_network_interface(REGION, ENI, INSTANCE)
    # The client did not re-send; the ENI shows the detach happened.
    assert sim.calls.results(DETACH) == {"ConnectionDropped": 1}
    assert sim.calls.accepted_detaches(ENI) == 1
    (eni,) = client.describe_network_interfaces(REGION, [ENI])
    assert eni.status == "Detaching"


@pytest.mark.parametrize(("code", "status"), [(None, 500), ("ServiceUnavailable", 503)])
def test_error_after_apply_applies_the_detach_then_answers_the_error(
    sim: EcsSimulator, client: EcsClient, code: str | None, status: int
) -> None:
    sim.faults.add(FaultSpec(kind="error_after_apply", action=DETACH, code=code))
    with pytest.raises(OutcomeUnknownError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == (code or "InternalError")
    assert info.value.http_status == status
    assert info.value.request_id
    assert sim.calls.accepted_detaches(ENI) == 1
    (eni,) = client.describe_network_interfaces(REGION, [ENI])
    assert eni.status == "Detaching"


def test_latency_delays_the_answer(clock: object) -> None:
    waits = Clock()
    with EcsSimulator(small_world(), keys={KEY_ID: SECRET}, sleep=waits.sleep) as sim:
        sim.faults.add(FaultSpec(kind="latency", action=ENIS, seconds=1.25, times=2))
        caller = RawCaller(sim.url)
        for _ in range(3):
            assert caller.v3(ENIS, {"RegionId": REGION}).status == 200
        caller.close()
    assert waits.slept == [1.25, 1.25]


def test_describe_timeout_is_retried(sim: EcsSimulator) -> None:
    real = EcsSimulator(small_world(), keys={KEY_ID: SECRET})  # real sleeps for this one
    credentials = StaticCredentials(KEY_ID, SECRET)
    retry = RetryPolicy(sleep=lambda _s: None)
    with real, EcsClient(credentials=credentials, endpoint=real.url, timeout=0.6, retry=retry) as c:
        real.faults.add(FaultSpec(kind="latency", action=ENIS, seconds=0.5, times=1))
        assert [e.eni_id for e in c.describe_network_interfaces(REGION, [ENI])] == [ENI]
        # The slow first call is counted when its (abandoned) handler finishes.
        deadline = time.monotonic() + 5
        while real.calls.total(ENIS) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert real.calls.results(ENIS) == {"OK": 2}


def test_stuck_detaching_set_at_run_time(sim: EcsSimulator, clock: Any, client: EcsClient) -> None:
    response = control(
        sim, "POST", "faults", {"kind": "stuck_detaching", "eni_id": ENI, "times": 1}
    )
    assert response.status_code == 201
    client.detach_network_interface(REGION, ENI, INSTANCE)
    clock.advance(60)
    assert client.describe_network_interfaces(REGION, [ENI])[0].status == "Detaching"
    client.detach_network_interface(REGION, ENI, INSTANCE)
    clock.advance(2)
    assert client.describe_network_interfaces(REGION, [ENI])[0].status == "Available"
    assert sim.calls.accepted_detaches(ENI) == 2


def test_faults_registry_order_and_consumption() -> None:
    faults = Faults()
    faults.add(FaultSpec(kind="drop_connection", action=DETACH))
    faults.add(FaultSpec(kind="throttle", action=DETACH))
    faults.add(FaultSpec(kind="latency", seconds=0.5, times=None))
    first = faults.fire(DETACH, [ENI])
    # An error answer wins and the drop waits for a call that is applied.
    assert first.error is not None and not first.drop_connection and first.latency == 0.5
    second = faults.fire(DETACH, [ENI])
    assert second.error is None and second.drop_connection
    third = faults.fire(DETACH, [ENI])
    assert third.error is None and not third.drop_connection
    assert [f["kind"] for f in faults.list()] == ["latency"]
