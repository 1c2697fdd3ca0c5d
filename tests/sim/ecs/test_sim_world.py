"""World rules and time-driven moves, driven directly and with a hand-moved clock."""

from __future__ import annotations

import pytest
from sim_helpers import small_world

from bot.sim.ecs.codes import SimError
from bot.sim.ecs.world import EniStatus

from support.clock import Clock

REGION, INSTANCE = "cn-hangzhou", "i-run000001"


def test_detached_eni_goes_detaching_then_available_after_the_delay() -> None:
    clock = Clock()
    world = small_world(clock)
    world.detach(REGION, "eni-sec000001", INSTANCE)
    eni = world.network_interface("eni-sec000001")
    assert eni is not None and eni.status is EniStatus.DETACHING
    assert eni.instance_id == INSTANCE
    clock.advance(1.99)
    assert world.network_interface("eni-sec000001").status is EniStatus.DETACHING  # type: ignore[union-attr]
    clock.advance(0.01)
    eni = world.network_interface("eni-sec000001")
    assert eni is not None and eni.status is EniStatus.AVAILABLE
    assert eni.instance_id is None and eni.device_index is None


def test_per_eni_delay_overrides_the_world_delay() -> None:
    clock = Clock()
    world = small_world(clock)
    world.update_network_interface("eni-sec000002", {"detach_delay": 10.0})
    world.detach(REGION, "eni-sec000002", INSTANCE)
    clock.advance(5)
    assert world.network_interface("eni-sec000002").status is EniStatus.DETACHING  # type: ignore[union-attr]
    clock.advance(5)
    assert world.network_interface("eni-sec000002").status is EniStatus.AVAILABLE  # type: ignore[union-attr]


def test_stuck_eni_needs_that_many_re_detaches_then_the_delay() -> None:
    clock = Clock()
    world = small_world(clock)  # eni-stuck0001 has stuck_detaches: 2
    world.detach(REGION, "eni-stuck0001", INSTANCE)
    clock.advance(100)
    assert world.network_interface("eni-stuck0001").status is EniStatus.DETACHING  # type: ignore[union-attr]
    assert world.detach(REGION, "eni-stuck0001", INSTANCE).stuck_left == 1
    clock.advance(100)
    assert world.network_interface("eni-stuck0001").status is EniStatus.DETACHING  # type: ignore[union-attr]
    assert world.detach(REGION, "eni-stuck0001", INSTANCE).stuck_left == 0
    clock.advance(1.5)
    assert world.network_interface("eni-stuck0001").status is EniStatus.DETACHING  # type: ignore[union-attr]
    clock.advance(0.5)
    assert world.network_interface("eni-stuck0001").status is EniStatus.AVAILABLE  # type: ignore[union-attr]


def test_re_detaching_a_detaching_eni_is_accepted() -> None:
    world = small_world(Clock())
    world.detach(REGION, "eni-sec000001", INSTANCE)
    result = world.detach(REGION, "eni-sec000001", INSTANCE)
    assert result.previous_status is EniStatus.DETACHING


@pytest.mark.parametrize(
    ("eni", "instance", "region", "code"),
    [
        ("eni-sec000001", "i-run000001", "cn-nowhere-1", "InvalidOperation.InvalidRegion"),
        ("eni-sec000001", "i-run000001", "cn-beijing", "Forbidden.RegionId"),
        ("eni-sec000001", "i-nothere001", "cn-hangzhou", "InvalidEcsId.NotFound"),
        ("eni-sha000001", "i-sha000001", "cn-hangzhou", "InvalidInstanceId.NotFound"),
        ("eni-nothere01", "i-run000001", "cn-hangzhou", "InvalidEniId.NotFound"),
        (
            "eni-prim00001",
            "i-run000001",
            "cn-hangzhou",
            "InvalidOperation.DetachPrimaryEniNotAllowed",
        ),
        ("eni-svc000001", "i-run000001", "cn-hangzhou", "InvalidOperation.EniServiceManaged"),
        ("eni-stop00001", "i-run000001", "cn-hangzhou", "InvalidParameter.EniNotBelongEcs"),
        ("eni-link00001", "i-run000001", "cn-hangzhou", "InvalidOperation.EniLinked"),
        ("eni-memb00001", "i-run000001", "cn-hangzhou", "InvalidOperation.InvalidEniType"),
        ("eni-memb00002", "i-run000001", "cn-hangzhou", "InvalidOperation.InvalidTrunkEniStatus"),
        ("eni-trunk0001", "i-run000001", "cn-hangzhou", "InvalidOperation.HasMemberEniAttached"),
        ("eni-start0001", "i-start0001", "cn-hangzhou", "InvalidOperation.InvalidEcsState"),
        ("eni-attach001", "i-run000001", "cn-hangzhou", "InvalidOperation.InvalidEniState"),
        ("eni-free00001", "i-run000001", "cn-hangzhou", "InvalidOperation.InvalidEniState"),
        ("eni-small0001", "i-small0001", "cn-hangzhou", "InvalidOperation.HotPlugNotSupport"),
    ],
)
def test_detach_refusals_name_the_seed_code(
    eni: str, instance: str, region: str, code: str
) -> None:
    world = small_world(Clock())
    before, eni_before = world.snapshot(), world.network_interface(eni)
    with pytest.raises(SimError) as caught:
        world.detach(region, eni, instance)
    assert caught.value.code == code
    # A refusal changes nothing: not the ENI (every field), not anything else in the world.
    assert world.network_interface(eni) == eni_before
    assert world.snapshot() == before


def test_stopped_instance_without_hot_plug_can_detach() -> None:
    world = small_world(Clock())
    world.update_instance("i-small0001", {"status": "Stopped"})
    world.detach(REGION, "eni-small0001", "i-small0001")
    assert world.network_interface("eni-small0001").status is EniStatus.DETACHING  # type: ignore[union-attr]


def test_trunk_detaches_once_its_members_are_gone() -> None:
    world = small_world(Clock())
    world.update_network_interface("eni-memb00001", {"status": "Available"})
    world.detach(REGION, "eni-trunk0001", INSTANCE)
    assert world.network_interface("eni-trunk0001").status is EniStatus.DETACHING  # type: ignore[union-attr]


def test_reads_are_copies() -> None:
    world = small_world(Clock())
    eni = world.network_interface("eni-sec000001")
    assert eni is not None
    eni.tags["team"] = "changed"
    eni.status = EniStatus.DELETING
    again = world.network_interface("eni-sec000001")
    assert again is not None and again.tags["team"] == "net" and again.status is EniStatus.IN_USE
