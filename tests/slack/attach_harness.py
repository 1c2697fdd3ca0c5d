"""A world for attach and undo through the Slack surface, and the stack built on it.

Three web instances (one Stopped) in vpc-a / cn-hangzhou-h, each with a secondary ENI to detach
and put back; two free ENIs there; and what attach's pre-flight refuses: an instance that is
Starting, one in another VPC, one in another zone, a service-managed free ENI, a primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.sim.ecs import World
from bot.sim.ecs.fixture import build_world, parse_world

from support.stack import (
    APPROVER,
    APPROVER_GROUP,
    CHANNEL,
    GROUP_APPROVER,
    INCIDENTS,
    Stack,
    build_stack,
)

REGION = "cn-hangzhou"
WEB_A, WEB_B, WEB_C = "i-weba000001", "i-webb000001", "i-webc000001"  # WEB_C is Stopped
STARTING = "i-start00001"
OTHER_VPC = "i-othervpc01"
OTHER_ZONE = "i-otherzone1"
SEC_A, SEC_B, SEC_C = "eni-seca00001", "eni-secb00001", "eni-secc00001"  # on WEB_A, B, C
FREE, FREE_2 = "eni-free00001", "eni-free00002"
MANAGED_FREE = "eni-svcfree001"
PRIMARY = "eni-prima00001"
UNKNOWN = "eni-zzzz00001"
SHANGHAI_FREE = "eni-shafree01"


def _instance(instance_id: str, **fields: Any) -> dict[str, Any]:
    base = {"id": instance_id, "region": REGION, "zone": "cn-hangzhou-h", "vpc_id": "vpc-a"}
    return {**base, "status": "Running", "instance_type": "ecs.g7.large", **fields}


def _free(eni_id: str, **fields: Any) -> dict[str, Any]:
    base = {"id": eni_id, "region": REGION, "zone": "cn-hangzhou-h", "vpc_id": "vpc-a"}
    return {**base, "type": "Secondary", "status": "Available", "vswitch_id": "vsw-a", **fields}


def _on(eni_id: str, instance_id: str, device_index: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": eni_id,
        "region": REGION,
        "type": "Secondary",
        "status": "InUse",
        "instance_id": instance_id,
        "device_index": device_index,
        "vswitch_id": "vsw-a",
        **fields,
    }


ATTACH_SURFACE_WORLD: dict[str, Any] = {
    "detach_delay": 0.3,
    "attach_delay": 0.3,
    "regions": [
        {"id": REGION, "zones": ["cn-hangzhou-h", "cn-hangzhou-i"]},
        {"id": "cn-shanghai", "zones": ["cn-shanghai-l"]},
    ],
    "instance_types": [{"name": "ecs.g7.large", "eni_limit": 4, "ipv4_per_eni": 10}],
    "instances": [
        _instance(WEB_A, name="web-a"),
        _instance(WEB_B, name="web-b"),
        _instance(WEB_C, name="web-c", status="Stopped"),
        _instance(STARTING, status="Starting"),
        _instance(OTHER_VPC, vpc_id="vpc-b"),
        _instance(OTHER_ZONE, zone="cn-hangzhou-i"),
    ],
    "network_interfaces": [
        {**_on(PRIMARY, WEB_A, 0), "type": "Primary"},
        _on(SEC_A, WEB_A, 1, name="web-a-app", private_ip="10.0.1.11"),
        _on(SEC_B, WEB_B, 1, name="web-b-app", private_ip="10.0.1.12"),
        _on(SEC_C, WEB_C, 1, name="web-c-app", private_ip="10.0.1.13"),
        _free(FREE, name="spare-1", private_ip="10.0.1.50"),
        _free(FREE_2, name="spare-2", private_ip="10.0.1.51"),
        _free(MANAGED_FREE, service_managed=True, service_id="42"),
        {"id": SHANGHAI_FREE, "region": "cn-shanghai", "status": "Available", "vpc_id": "vpc-s"},
    ],
}


def attach_surface_world() -> World:
    """ATTACH_SURFACE_WORLD as a live World."""
    return build_world(parse_world(ATTACH_SURFACE_WORLD))


@contextmanager
def attach_stack(tmp_path: Path, name: str = "attach.db", **settings: Any) -> Iterator[Stack]:
    """The Slack surface served on this world (no workers unless a test starts them)."""
    with build_stack(
        f"sqlite:///{tmp_path / name}",
        world=attach_surface_world(),
        usergroups={APPROVER_GROUP: [GROUP_APPROVER]},
        channels=[CHANNEL, INCIDENTS],
        settings={
            "approvers": f"{APPROVER},{APPROVER_GROUP}",
            "allowed_regions": "cn-hangzhou,cn-shanghai",
            "poll_interval": 0.2,
            "incident_channel": INCIDENTS,
            **settings,
        },
    ) as stack:
        yield stack
