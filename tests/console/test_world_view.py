"""`world`'s rows: each ENI's tags as selectors to copy, and what a free ENI is good for."""

from __future__ import annotations

from bot.console.world_view import eni_row, tag_selectors, world_rows
from bot.sim.ecs.fixture import demo_world
from bot.sim.ecs.world import World


def _row(world: World, name: str) -> str:
    for region in world.regions:
        for eni in world.network_interfaces(region):
            if eni.name == name:
                return eni_row(eni).plain
    raise LookupError(name)


def _all_rows(world: World) -> list[str]:
    regions = list(world.regions)
    rows = world_rows(
        regions,
        {r: world.instances(r) for r in regions},
        {r: world.network_interfaces(r) for r in regions},
    )
    return [row.plain for row in rows]


def test_tags_read_as_the_selectors_eni_detach_takes() -> None:
    assert tag_selectors({"team": "web", "env": "prod"}) == "tag:team=web tag:env=prod"
    assert tag_selectors({}) == ""


def test_each_eni_row_shows_its_tags_and_an_untagged_one_none() -> None:
    world = demo_world()
    assert "web-1-app  tag:team=web tag:env=prod" in _row(world, "web-1-app")
    assert "reports-alb  tag:app=reports  (managed by a cloud service)" in _row(
        world, "reports-alb"
    )
    assert "tag:" not in _row(world, "k8s-node-1-linked")


def test_every_tag_of_the_world_is_shown() -> None:
    world = demo_world()
    text = "\n".join(_all_rows(world))
    for region in world.regions:
        for eni in world.network_interfaces(region):
            for key, value in eni.tags.items():
                assert f"tag:{key}={value}" in text, eni.name


def test_a_free_eni_says_it_can_be_attached_and_where() -> None:
    world = demo_world()
    spare = _row(world, "spare")
    assert "Available" in spare
    assert "(free: can be attached to an instance in cn-hangzhou-h)" in spare
    assert "can be attached" not in _row(world, "web-1-app")


def test_an_eni_freed_by_a_detach_is_listed_as_free() -> None:
    now = [0.0]
    world = demo_world(clock=lambda: now[0])
    world.detach("cn-hangzhou", "eni-bp1d7r2k9m4x6c3v5n", "i-bp1a3f9k2m7x4q8w6e")
    assert "Detaching" in _row(world, "web-1-app")
    now[0] += world.detach_delay + 0.1
    rows = _all_rows(world)
    free_from = rows.index("  (not attached)")
    (freed,) = [n for n, row in enumerate(rows) if "web-1-app" in row]
    assert freed > free_from
    assert "Available" in rows[freed] and "tag:team=web tag:env=prod" in rows[freed]
    assert "free: can be attached to an instance in cn-hangzhou-h" in rows[freed]
