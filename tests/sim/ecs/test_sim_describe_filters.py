"""DescribeNetworkInterfaces' own filters and paging, as the bot's bulk selection uses them:
the client's find_network_interfaces against the simulator, counted call by call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sim_helpers import KEY_ID, SECRET, RawCaller

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.models import EniStatus, EniType
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.fixture import build_world, parse_world

REGION = "cn-hangzhou"
DESCRIBE = "DescribeNetworkInterfaces"
SHOP = 250  # ENIs tagged app=shop


def _eni(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"eni-bulk{n:05d}", "region": REGION, **fields}


def _world() -> dict[str, Any]:
    enis = [
        # 250 shop ENIs: the first 200 on i-shop000001 (InUse), the rest free; every 10th is prod.
        _eni(
            n,
            status="InUse" if n < 200 else "Available",
            instance_id="i-shop000001" if n < 200 else None,
            tags={"app": "shop", "env": "prod" if n % 10 == 0 else "test"},
        )
        for n in range(SHOP)
    ]
    enis += [_eni(1000 + n, tags={"app": "blog"}) for n in range(30)]
    enis += [
        {"id": "eni-primshop01", "region": REGION, "type": "Primary", "status": "InUse",
         "instance_id": "i-shop000001", "tags": {"app": "shop"}},
        {"id": "eni-other0001", "region": REGION, "status": "InUse",
         "instance_id": "i-other00001", "tags": {"owner": "ops"}},
        {"id": "eni-sha000001", "region": "cn-shanghai", "tags": {"app": "shop"}},
    ]  # fmt: skip
    return {
        "regions": [{"id": REGION}, {"id": "cn-shanghai"}],
        "instances": [
            {"id": "i-shop000001", "region": REGION},
            {"id": "i-other00001", "region": REGION},
        ],
        "network_interfaces": enis,
    }


@pytest.fixture
def sim() -> Iterator[EcsSimulator]:
    world = build_world(parse_world(_world()))
    with EcsSimulator(world, keys={KEY_ID: SECRET}, sleep=lambda _s: None) as s:
        yield s


@pytest.fixture
def client(sim: EcsSimulator) -> Iterator[EcsClient]:
    with EcsClient(
        credentials=StaticCredentials(KEY_ID, SECRET),
        endpoint=sim.url,
        retry=RetryPolicy(sleep=lambda _s: None),
    ) as c:
        yield c


def _ids(enis: list[Any]) -> set[str]:
    return {e.eni_id for e in enis}


def test_250_tagged_enis_take_3_pages_of_100(sim: EcsSimulator, client: EcsClient) -> None:
    found = client.find_network_interfaces(REGION, tags={"app": "shop"}, eni_type=EniType.SECONDARY)
    assert len(found) == SHOP
    assert _ids(found) == {f"eni-bulk{n:05d}" for n in range(SHOP)}
    assert sim.calls.total(DESCRIBE) == 3
    assert all(e.tags["app"] == "shop" for e in found)


def test_larger_pages_take_fewer_calls(sim: EcsSimulator, client: EcsClient) -> None:
    found = client.find_network_interfaces(REGION, tags={"app": "shop"}, page_size=500)
    assert len(found) == SHOP + 1  # the primary ENI is tagged too; no Type filter this time
    assert sim.calls.total(DESCRIBE) == 1


def test_tags_are_anded(client: EcsClient) -> None:
    found = client.find_network_interfaces(REGION, tags={"app": "shop", "env": "prod"})
    assert _ids(found) == {f"eni-bulk{n:05d}" for n in range(0, SHOP, 10)}


def test_a_tag_key_without_value_matches_any_value(client: EcsClient) -> None:
    assert len(client.find_network_interfaces(REGION, tags={"env": None})) == SHOP


def test_instance_and_type_select_its_secondary_enis(client: EcsClient) -> None:
    found = client.find_network_interfaces(
        REGION, instance_id="i-shop000001", eni_type=EniType.SECONDARY
    )
    assert len(found) == 200
    assert "eni-primshop01" not in _ids(found)
    assert all(e.instance_id == "i-shop000001" for e in found)


def test_tags_narrowed_by_instance_and_status(client: EcsClient) -> None:
    found = client.find_network_interfaces(
        REGION,
        tags={"app": "shop", "env": "prod"},
        instance_id="i-shop000001",
        eni_type=EniType.SECONDARY,
        status=EniStatus.IN_USE,
    )
    assert _ids(found) == {f"eni-bulk{n:05d}" for n in range(0, 200, 10)}


def test_a_selection_matching_nothing_is_empty_in_one_call(
    sim: EcsSimulator, client: EcsClient
) -> None:
    assert client.find_network_interfaces(REGION, tags={"app": "nothing"}) == []
    assert sim.calls.total(DESCRIBE) == 1


def test_other_regions_are_not_mixed_in(client: EcsClient) -> None:
    found = client.find_network_interfaces("cn-shanghai", tags={"app": "shop"})
    assert _ids(found) == {"eni-sha000001"}


# ---- the wire rules, with raw calls ----


@pytest.fixture
def raw(sim: EcsSimulator) -> Iterator[RawCaller]:
    caller = RawCaller(sim.url)
    yield caller
    caller.close()


def test_tag_index_beyond_20_is_invalid(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, {"RegionId": REGION, "Tag.21.Key": "app"})
    assert (answer.status, answer.code) == (400, "InvalidParameter")


def test_max_results_below_10_is_raised_to_10(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, {"RegionId": REGION, "Tag.1.Key": "app", "MaxResults": "3"})
    assert answer.status == 200
    assert len(answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"]) == 10
    assert answer.body["MaxResults"] == 10 and answer.body["NextToken"]


def test_a_next_token_belongs_to_its_query(raw: RawCaller) -> None:
    shop = {"RegionId": REGION, "Tag.1.Key": "app", "Tag.1.Value": "shop", "MaxResults": "100"}
    token = raw.v3(DESCRIBE, shop).body["NextToken"]
    following = raw.v3(DESCRIBE, {**shop, "NextToken": token})
    assert following.status == 200
    blog = {**shop, "Tag.1.Value": "blog", "NextToken": token}
    assert raw.v3(DESCRIBE, blog).code == "InvalidParameter"


def test_last_page_has_no_next_token(raw: RawCaller) -> None:
    params = {"RegionId": REGION, "Tag.1.Key": "app", "Tag.1.Value": "blog", "MaxResults": "20"}
    first = raw.v3(DESCRIBE, params).body
    second = raw.v3(DESCRIBE, {**params, "NextToken": first["NextToken"]}).body
    assert len(second["NetworkInterfaceSets"]["NetworkInterfaceSet"]) == 10
    assert second["NextToken"] == ""
