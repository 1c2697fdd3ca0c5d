"""Fixture files: the demo world loads, and bad files fail with errors that say where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import SMALL_WORLD

from bot.sim.ecs import FixtureError, demo_world, load_world
from bot.sim.ecs.world import EniStatus, EniType, InstanceStatus


def _write(tmp_path: Path, data: Any, name: str = "world.yaml") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else _yaml(data))
    return path


def _yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data)


def test_demo_world_has_what_the_console_needs() -> None:
    world = demo_world()
    assert set(world.regions) == {"cn-hangzhou", "cn-shanghai"}
    enis = world.network_interfaces("cn-hangzhou") + world.network_interfaces("cn-shanghai")
    kinds = {e.type for e in enis}
    assert kinds == {EniType.PRIMARY, EniType.SECONDARY, EniType.TRUNK, EniType.MEMBER}
    assert any(e.service_managed for e in enis)
    assert any(e.linked for e in enis)
    assert sum(e.stuck_left == 1 for e in enis) == 1
    statuses = {i.status for r in world.regions for i in world.instances(r)}
    assert {InstanceStatus.RUNNING, InstanceStatus.STOPPED, InstanceStatus.STARTING} <= statuses
    assert any(not world.hot_plug(i.instance_type) for i in world.instances("cn-hangzhou"))
    assert world.detach_delay == pytest.approx(2.0)
    for eni in enis:
        prefix = "eni-bp1" if eni.region_id == "cn-hangzhou" else "eni-uf6"
        assert eni.eni_id.startswith(prefix) and len(eni.eni_id) == 22
        assert eni.private_ip and eni.security_group_ids and eni.name and eni.vpc_id
    secondaries_in_use = [
        e for e in enis if e.type is EniType.SECONDARY and e.status is EniStatus.IN_USE
    ]
    assert len(secondaries_in_use) >= 4


def test_yaml_and_json_files_load(tmp_path: Path) -> None:
    for name in ("w.yaml", "w.json"):
        world = load_world(_write(tmp_path, SMALL_WORLD, name))
        assert world.network_interface("eni-sec000001") is not None


def test_missing_file_is_a_fixture_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read fixture"):
        load_world(tmp_path / "nope.yaml")


def test_broken_yaml_is_a_fixture_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("regions: [cn-hangzhou\n")
    with pytest.raises(FixtureError, match="not valid yaml"):
        load_world(path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(FixtureError, match="mapping at the top level"):
        load_world(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"regions": []}, "regions: List should have at least 1 item"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
        (
            {"instances": [{"id": "i-abc123456", "region": "cn-hangzhou", "status": "Sleeping"}]},
            "instances[0].status",
        ),
        (
            {
                "network_interfaces": [
                    {
                        "id": "eni-abc123456",
                        "region": "cn-hangzhou",
                        "status": "InUse",
                        "instance_id": "i-ghost0001",
                    }
                ]
            },
            "network_interfaces[0].instance_id: i-ghost0001 is not an instance",
        ),
        (
            {
                "network_interfaces": [
                    {"id": "eni-abc123456", "region": "cn-hangzhou", "status": "InUse"}
                ]
            },
            "a InUse ENI needs instance_id",
        ),
        (
            {
                "network_interfaces": [
                    {
                        "id": "eni-abc123456",
                        "region": "cn-hangzhou",
                        "type": "Member",
                        "status": "Available",
                        "trunk_id": "eni-nope00001",
                    }
                ]
            },
            "trunk_id: eni-nope00001 is not a Trunk ENI",
        ),
        (
            {
                "instances": [
                    {"id": "i-abc123456", "region": "cn-hangzhou"},
                    {"id": "i-abc123456", "region": "cn-hangzhou"},
                ]
            },
            "instances: duplicate id i-abc123456",
        ),
        ({"instances": [{"id": "not-an-id", "region": "cn-hangzhou"}]}, "instances[0].id"),
        ({"faults": [{"kind": "error"}]}, "an 'error' fault needs a code"),
        ({"faults": [{"kind": "latency", "seconds": 0}]}, "needs seconds > 0"),
    ],
)
def test_invalid_fixtures_name_the_bad_entry(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    data = {"regions": [{"id": "cn-hangzhou"}], **change}
    path = _write(tmp_path, data)
    with pytest.raises(FixtureError) as caught:
        load_world(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_fixture_faults_and_stuck_faults_are_applied(tmp_path: Path) -> None:
    data = {
        **SMALL_WORLD,
        "faults": [
            {"kind": "throttle", "action": "DescribeInstances", "times": 2},
            {"kind": "stuck_detaching", "eni_id": "eni-sec000001", "times": 3},
        ],
    }
    world = load_world(_write(tmp_path, data))
    assert [f.kind for f in world.faults] == ["throttle"]
    eni = world.network_interface("eni-sec000001")
    assert eni is not None and eni.stuck_left == 3


def test_defaults_fill_mac_zone_and_network_from_the_instance(tmp_path: Path) -> None:
    data = {
        "regions": [{"id": "cn-hangzhou", "zones": ["cn-hangzhou-k"]}],
        "instances": [{"id": "i-abc123456", "region": "cn-hangzhou", "vpc_id": "vpc-1",
                       "vswitch_id": "vsw-1"}],
        "network_interfaces": [{"id": "eni-abc123456", "region": "cn-hangzhou",
                                "status": "InUse", "instance_id": "i-abc123456"}],
    }  # fmt: skip
    eni = load_world(_write(tmp_path, data)).network_interface("eni-abc123456")
    assert eni is not None
    assert eni.zone_id == "cn-hangzhou-k" and eni.vpc_id == "vpc-1" and eni.vswitch_id == "vsw-1"
    assert eni.mac.startswith("00:16:3e:") and len(eni.mac) == 17
    assert eni.device_index == 1
