"""A world with one of everything AttachNetworkInterface's rules care about.

Instances and free ENIs sit in vpc-1, zone cn-hangzhou-h, unless a case needs them elsewhere;
instance types carry the limits ECS enforces per type.
"""

from __future__ import annotations

from typing import Any

from bot.sim.ecs import World
from bot.sim.ecs.fixture import build_world, parse_world

from support.clock import Clock

REGION = "cn-hangzhou"
KEY_ID = "test-key"
SECRET = "test-secret"
FREE = "eni-free00001"
RUNNING = "i-run000001"
ATTACH_DELAY = 3.0


def _instance(instance_id: str, **fields: Any) -> dict[str, Any]:
    base = {"id": instance_id, "region": REGION, "zone": "cn-hangzhou-h", "vpc_id": "vpc-1"}
    return {**base, "status": "Running", "instance_type": "ecs.g7.large", **fields}


def _free(eni_id: str, **fields: Any) -> dict[str, Any]:
    base = {"id": eni_id, "region": REGION, "zone": "cn-hangzhou-h", "vpc_id": "vpc-1"}
    return {**base, "status": "Available", "vswitch_id": "vsw-1", **fields}


def _attached(eni_id: str, instance_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": eni_id, "region": REGION, "status": "InUse", "instance_id": instance_id, **fields}


def _key(key_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": key_id, "secret": f"{key_id}-secret", **fields}


ATTACH_WORLD: dict[str, Any] = {
    "detach_delay": 2.0,
    "attach_delay": ATTACH_DELAY,
    "regions": [
        {"id": REGION, "zones": ["cn-hangzhou-h", "cn-hangzhou-i"]},
        {"id": "cn-shanghai", "zones": ["cn-shanghai-l"]},
        {"id": "cn-beijing", "enabled": False},
    ],
    "instance_types": [
        {"name": "ecs.g7.large", "eni_limit": 4, "ipv4_per_eni": 10},
        {"name": "ecs.t5-small", "eni_hot_plug": False},
        {"name": "ecs.tiny", "eni_limit": 2},
        {"name": "ecs.narrow", "ipv4_per_eni": 2, "ipv6": False},
        {"name": "ecs.n1-old", "eni_supported": False},
    ],
    "access_keys": [
        _key("gone-account", account="not_found"),
        _key("odd-account", account="unsupported_user_type"),
        _key("broke", account="not_enough_balance"),
        _key("no-snapshots", account="snapshot_service_unavailable"),
        _key("sub-user", denied_actions={"AttachNetworkInterface": "Forbidden.SubUser"}),
        _key("main-only", denied_actions={"AttachNetworkInterface": "Forbidden.NotSupportRAM"}),
        _key("ram-denied", denied_actions={"AttachNetworkInterface": "Forbidden.RAM"}),
        _key("unauthorized", denied_actions={"AttachNetworkInterface": "Forbidden.Unauthorized"}),
    ],
    "instances": [
        _instance(RUNNING, name="run"),
        _instance("i-stop00001", status="Stopped"),
        _instance("i-start0001", status="Starting"),
        _instance("i-small0001", instance_type="ecs.t5-small"),
        _instance("i-smalls0001", instance_type="ecs.t5-small", status="Stopped"),
        _instance("i-tiny00001", instance_type="ecs.tiny"),
        _instance("i-narrow001", instance_type="ecs.narrow"),
        _instance("i-old000001", instance_type="ecs.n1-old"),
        _instance("i-zone00001", zone="cn-hangzhou-i"),
        _instance("i-vpc200001", vpc_id="vpc-2"),
        {"id": "i-sha000001", "region": "cn-shanghai", "vpc_id": "vpc-9"},
    ],
    "network_interfaces": [
        {**_attached("eni-prim00001", RUNNING), "type": "Primary"},
        _attached("eni-inuse0001", RUNNING),
        {**_attached("eni-tprim0001", "i-tiny00001"), "type": "Primary"},
        _attached("eni-tsec00001", "i-tiny00001"),
        _free(FREE, name="free-1", tags={"team": "web"}),
        _free("eni-free00002"),
        _free("eni-svc000001", service_managed=True, service_id="42"),
        _free("eni-ips000001", secondary_ips=["10.0.0.31", "10.0.0.32"]),
        _free("eni-v6000001", ipv6_addresses=["2408:4005::10"]),
        _free("eni-flaky0001", fail_attaches=1),
        _free("eni-slow00001", attach_delay=60.0),
        # A trunk whose member is still busy, and a free-standing member.
        _free("eni-trunk0001", type="Trunk"),
        {**_attached("eni-memb00001", RUNNING), "type": "Member", "trunk_id": "eni-trunk0001"},
        {
            "id": "eni-sha000001",
            "region": "cn-shanghai",
            "status": "Available",
            "vpc_id": "vpc-9",
        },
    ],
}


def attach_world(clock: Clock | None = None) -> World:
    """ATTACH_WORLD as a live World on `clock`'s time."""
    fixture = parse_world(ATTACH_WORLD)
    return build_world(fixture, clock=clock.monotonic) if clock else build_world(fixture)
