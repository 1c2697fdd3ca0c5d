"""Response shapes on the wire: JSON and XML, error bodies, Describe paging and limits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sim_helpers import RawCaller, detach_params

from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.fixture import build_world, parse_world

REQUEST_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
ENIS = "DescribeNetworkInterfaces"


def test_json_error_body_has_every_field(raw: RawCaller) -> None:
    answer = raw.v3("DetachNetworkInterface", detach_params("eni-prim00001", "i-run000001"))
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/json;charset=utf-8"
    body = answer.body
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Code"] == "InvalidOperation.DetachPrimaryEniNotAllowed"
    assert REQUEST_ID.match(body["RequestId"])
    assert body["HostId"] == raw.host
    assert body["Recommend"] == (
        "https://api.aliyun.com/troubleshoot?q=InvalidOperation.DetachPrimaryEniNotAllowed"
        f"&product=Ecs&requestId={body['RequestId']}"
    )


def test_xml_when_format_is_xml(raw: RawCaller) -> None:
    ok = raw.v3("DetachNetworkInterface",
                {**detach_params("eni-sec000001", "i-run000001"), "Format": "XML"})  # fmt: skip
    assert ok.status == 200
    assert ok.headers["content-type"] == "text/xml;charset=utf-8"
    assert ok.body["_root"] == "DetachNetworkInterfaceResponse"
    assert REQUEST_ID.match(ok.body["RequestId"])
    err = raw.v1("DetachNetworkInterface", detach_params("eni-free00001", "i-run000001"), fmt="XML")
    assert err.status == 400
    assert err.body["_root"] == "Error"
    assert err.body["Code"] == "InvalidOperation.InvalidEniState"
    assert {"RequestId", "HostId", "Message", "Recommend"} <= set(err.body)


def test_v1_without_format_gets_xml_like_ecs(raw: RawCaller) -> None:
    answer = raw.v1("DescribeInstances", {"RegionId": "cn-hangzhou"}, fmt=None)
    assert answer.body["_root"] == "DescribeInstancesResponse"


def test_v1_lowercase_json_format_gets_json(raw: RawCaller) -> None:
    answer = raw.v1("DescribeInstances", {"RegionId": "cn-hangzhou"}, fmt="json")
    assert answer.headers["content-type"].startswith("application/json")


def test_xml_lists_become_repeated_elements(raw: RawCaller) -> None:
    answer = raw.v1(ENIS, {"RegionId": "cn-hangzhou", "MaxResults": "100"}, fmt="XML")
    items = answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    assert isinstance(items, list) and len(items) == 15  # cn-hangzhou ENIs


def test_describe_eni_shape(raw: RawCaller) -> None:
    answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "NetworkInterfaceId.1": "eni-sec000001"})
    body = answer.body
    assert REQUEST_ID.match(body["RequestId"])
    assert body["TotalCount"] == 1 and body["NextToken"] == ""
    item = body["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]
    assert item["NetworkInterfaceId"] == "eni-sec000001"
    assert item["Status"] == "InUse" and item["Type"] == "Secondary"
    assert item["InstanceId"] == "i-run000001"
    assert item["VpcId"] == "vpc-1" and item["VSwitchId"] == "vsw-1"
    assert item["ZoneId"] == "cn-hangzhou-h" and item["PrivateIpAddress"] == "10.0.0.11"
    assert re.match(r"^00:16:3e(:[0-9a-f]{2}){3}$", item["MacAddress"])
    assert item["SecurityGroupIds"] == {"SecurityGroupId": ["sg-abc"]}
    assert item["NetworkInterfaceName"] == "sec-1" and item["Description"] == "first"
    assert item["Tags"] == {"Tag": [{"TagKey": "team", "TagValue": "net"}]}
    assert item["ServiceManaged"] is False
    assert item["Attachment"]["InstanceId"] == "i-run000001"
    assert item["AssociatedPublicIp"] == {}


def test_service_managed_eni_has_no_instance_id(raw: RawCaller) -> None:
    answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "NetworkInterfaceId.1": "eni-svc000001"})
    item = answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]
    assert item["ServiceManaged"] is True and "InstanceId" not in item
    assert item["ServiceID"] == "42"


def test_trunk_lists_its_members_and_members_their_trunk(raw: RawCaller) -> None:
    answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "NetworkInterfaceId.1": "eni-trunk0001",
                           "NetworkInterfaceId.2": "eni-memb00001"})  # fmt: skip
    items = {
        i["NetworkInterfaceId"]: i
        for i in answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    }
    trunk = items["eni-trunk0001"]["Attachment"]
    assert trunk["MemberNetworkInterfaceIds"] == {"MemberNetworkInterfaceId": ["eni-memb00001"]}
    assert items["eni-memb00001"]["Attachment"]["TrunkNetworkInterfaceId"] == "eni-trunk0001"


def test_unknown_ids_are_simply_absent(raw: RawCaller) -> None:
    answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "NetworkInterfaceId.1": "eni-ghost0001",
                           "NetworkInterfaceId.2": "eni-sha000001"})  # fmt: skip
    assert answer.status == 200
    assert answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"] == []


def test_filters(raw: RawCaller) -> None:
    def ids(extra: dict[str, str]) -> set[str]:
        answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "MaxResults": "500", **extra})
        return {
            i["NetworkInterfaceId"]
            for i in answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        }

    assert ids({"Status": "Available"}) == {"eni-free00001"}
    assert ids({"Type": "Primary"}) == {"eni-prim00001"}
    assert ids({"InstanceId": "i-stop00001"}) == {"eni-stop00001"}
    assert ids({"ServiceManaged": "true"}) == {"eni-svc000001"}
    assert ids({"Tag.1.Key": "team", "Tag.1.Value": "net"}) == {"eni-sec000001"}


def _many_world(count: int) -> Any:
    return build_world(parse_world({
        "regions": [{"id": "cn-hangzhou"}],
        "instances": [{"id": "i-many00001", "region": "cn-hangzhou"}],
        "network_interfaces": [
            {"id": f"eni-many{n:06d}", "region": "cn-hangzhou", "status": "InUse",
             "instance_id": "i-many00001"}
            for n in range(count)
        ],
    }))  # fmt: skip


def test_next_token_pages_through_everything() -> None:
    with EcsSimulator(_many_world(25), keys={"test-key": "test-secret"}) as sim:
        caller = RawCaller(sim.url)
        seen: list[str] = []
        token = None
        pages = 0
        while True:
            params = {"RegionId": "cn-hangzhou", "MaxResults": "10"}
            if token:
                params["NextToken"] = token
            body = caller.v3(ENIS, params).body
            pages += 1
            seen += [
                i["NetworkInterfaceId"] for i in body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
            ]
            token = body["NextToken"]
            if not token:
                break
        caller.close()
        assert pages == 3
        assert seen == [f"eni-many{n:06d}" for n in range(25)]
        assert sim.calls.total(ENIS) == 3


def test_max_results_below_ten_gives_ten(raw: RawCaller) -> None:
    body = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "MaxResults": "1"}).body
    assert len(body["NetworkInterfaceSets"]["NetworkInterfaceSet"]) == 10
    assert body["NextToken"]


def test_next_token_from_another_query_is_invalid(raw: RawCaller) -> None:
    token = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "MaxResults": "10"}).body["NextToken"]
    answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", "Status": "InUse", "NextToken": token})
    assert (answer.status, answer.code) == (400, "InvalidParameter")


def test_more_than_100_eni_ids_is_invalid_parameter(raw: RawCaller) -> None:
    params = {f"NetworkInterfaceId.{n}": f"eni-x{n:08d}" for n in range(1, 102)}
    answer = raw.v3(ENIS, {"RegionId": "cn-hangzhou", **params})
    assert (answer.status, answer.code) == (400, "InvalidParameter")
    exactly = {f"NetworkInterfaceId.{n}": f"eni-x{n:08d}" for n in range(1, 101)}
    assert raw.v3(ENIS, {"RegionId": "cn-hangzhou", **exactly}).status == 200


def test_describe_instances_shape_and_limits(raw: RawCaller) -> None:
    wanted = '["i-run000001","i-stop00001"]'
    body = raw.v3("DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": wanted}).body
    instances = {i["InstanceId"]: i for i in body["Instances"]["Instance"]}
    assert set(instances) == {"i-run000001", "i-stop00001"}
    run = instances["i-run000001"]
    assert run["Status"] == "Running" and run["InstanceType"] == "ecs.g7.large"
    assert run["RegionId"] == "cn-hangzhou" and run["ZoneId"] == "cn-hangzhou-h"
    assert run["InstanceName"] == "run"
    assert body["TotalCount"] == 2 and body["PageNumber"] == 1 and body["PageSize"] == 10
    eni_ids = {n["NetworkInterfaceId"] for n in run["NetworkInterfaces"]["NetworkInterface"]}
    assert "eni-sec000001" in eni_ids and "eni-free00001" not in eni_ids
    too_many = '["' + '","'.join(f"i-x{n:08d}" for n in range(101)) + '"]'
    answer = raw.v3("DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": too_many})
    assert (answer.status, answer.code) == (400, "InvalidParameter")
    broken = raw.v3("DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": "[i-"})
    assert broken.code == "InvalidParameter"


@pytest.mark.parametrize(
    ("region", "code", "status"),
    [("cn-nowhere-9", "InvalidRegionId.NotFound", 404), ("cn-beijing", "Forbidden.RegionId", 400)],
)
def test_describe_in_a_bad_region(raw: RawCaller, region: str, code: str, status: int) -> None:
    answer = raw.v3("DescribeInstances", {"RegionId": region})
    assert (answer.status, answer.code) == (status, code)


def test_unknown_action_and_version(raw: RawCaller) -> None:
    assert raw.v3("RunInstances", {"RegionId": "cn-hangzhou"}).code == "InvalidApi.NotFound"


def test_keep_alive_serves_many_requests_on_one_connection(
    raw: RawCaller, sim: EcsSimulator
) -> None:
    for _ in range(5):
        raw.v3("DescribeInstances", {"RegionId": "cn-hangzhou"})
    response = raw.http.get(f"{raw.base_url}/_sim/calls")
    assert response.headers.get("connection", "keep-alive").lower() != "close"
    assert sim.calls.total("DescribeInstances") == 5
