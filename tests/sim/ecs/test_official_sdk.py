"""Alibaba's official Python SDK (alibabacloud-ecs20140526) works against the simulator.

Detach, attach and a tag-filtered DescribeNetworkInterfaces, signed by the SDK itself with its
default V3 signature and with `signature_algorithm="v2"`, and an attach refusal read by the
SDK's own error parsing. Skipped where the SDK is not installed (it is a dev dependency).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from attach_world import ATTACH_DELAY, FREE, KEY_ID, REGION, RUNNING, SECRET, attach_world

from bot.sim.ecs import EcsSimulator

from support.clock import Clock

# The credential chain reads these at import time; never let a test reach a metadata service.
os.environ.setdefault("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
ecs_client = pytest.importorskip("alibabacloud_ecs20140526.client")
ecs_models = pytest.importorskip("alibabacloud_ecs20140526.models")
openapi_config = pytest.importorskip("alibabacloud_tea_openapi.utils_models")
tea_exceptions = pytest.importorskip("Tea.exceptions")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[EcsSimulator]:
    with EcsSimulator(attach_world(clock), keys={KEY_ID: SECRET}, sleep=lambda _s: None) as s:
        yield s


@pytest.fixture(params=["v3", "v2"])
def sdk(sim: EcsSimulator, request: pytest.FixtureRequest) -> Any:
    config = openapi_config.Config(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        endpoint=sim.url.removeprefix("http://"),
        protocol="http",
        region_id=REGION,
    )
    if request.param == "v2":
        config.signature_algorithm = "v2"
    return ecs_client.Client(config)


def _status(sdk: Any, eni_id: str) -> tuple[str, str]:
    answer = sdk.describe_network_interfaces(
        ecs_models.DescribeNetworkInterfacesRequest(region_id=REGION, network_interface_id=[eni_id])
    )
    [eni] = answer.body.network_interface_sets.network_interface_set
    return eni.status, eni.instance_id


def test_sdk_attach_then_detach(sdk: Any, sim: EcsSimulator, clock: Clock) -> None:
    attached = sdk.attach_network_interface(
        ecs_models.AttachNetworkInterfaceRequest(
            region_id=REGION, network_interface_id=FREE, instance_id=RUNNING
        )
    )
    assert attached.status_code == 200 and attached.body.request_id
    assert _status(sdk, FREE) == ("Attaching", RUNNING)
    clock.advance(ATTACH_DELAY)
    assert _status(sdk, FREE) == ("InUse", RUNNING)
    detached = sdk.detach_network_interface(
        ecs_models.DetachNetworkInterfaceRequest(
            region_id=REGION, network_interface_id=FREE, instance_id=RUNNING
        )
    )
    assert detached.body.request_id
    assert _status(sdk, FREE)[0] == "Detaching"
    assert sim.calls.accepted_attaches(FREE) == 1
    assert sim.calls.accepted_detaches(FREE) == 1


def test_sdk_tag_filtered_describe_pages(sdk: Any) -> None:
    request = ecs_models.DescribeNetworkInterfacesRequest(
        region_id=REGION,
        tag=[ecs_models.DescribeNetworkInterfacesRequestTag(key="team", value="web")],
        type="Secondary",
        max_results=10,
    )
    answer = sdk.describe_network_interfaces(request)
    found = answer.body.network_interface_sets.network_interface_set
    assert [e.network_interface_id for e in found] == [FREE]
    assert found[0].tags.tag[0].tag_key == "team"
    assert not answer.body.next_token


def test_sdk_reads_an_attach_refusal(sdk: Any) -> None:
    with pytest.raises(tea_exceptions.TeaException) as caught:
        sdk.attach_network_interface(
            ecs_models.AttachNetworkInterfaceRequest(
                region_id=REGION, network_interface_id=FREE, instance_id="i-vpc200001"
            )
        )
    assert caught.value.code == "InvalidOperation.VpcMismatch"
    assert caught.value.data["statusCode"] == 403
    assert caught.value.data["RequestId"]
