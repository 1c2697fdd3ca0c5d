"""Describe answers in ECS's real JSON shape parse into typed models, leniently."""

from __future__ import annotations

from typing import Any

from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface

FULL_ENI: dict[str, Any] = {
    "NetworkInterfaceId": "eni-bp67acfmxazb4p1234",
    "NetworkInterfaceName": "app-eni",
    "Status": "InUse",
    "Type": "Secondary",
    "InstanceId": "i-bp67acfmxazb4p5678",
    "VpcId": "vpc-1",
    "VSwitchId": "vsw-1",
    "ZoneId": "cn-hangzhou-h",
    "PrivateIpAddress": "10.0.0.7",
    "MacAddress": "00:16:3e:00:00:01",
    "Description": "for the app",
    "CreationTime": "2026-01-01T00:00:00Z",
    "ServiceManaged": False,
    "SecurityGroupIds": {"SecurityGroupId": ["sg-1", "sg-2"]},
    "Tags": {"Tag": [{"TagKey": "team", "TagValue": "net"}, {"TagKey": "empty"}]},
    "AssociatedPublicIp": {},
    "Attachment": {"InstanceId": "i-bp67acfmxazb4p5678", "DeviceIndex": 1},
}


def test_full_eni_parses_every_field() -> None:
    eni = NetworkInterface.from_api(FULL_ENI, region_id="cn-hangzhou")
    assert eni.eni_id == "eni-bp67acfmxazb4p1234"
    assert eni.status is EniStatus.IN_USE
    assert eni.type is EniType.SECONDARY
    assert eni.instance_id == "i-bp67acfmxazb4p5678"
    assert eni.region_id == "cn-hangzhou"
    assert (eni.zone_id, eni.vpc_id, eni.vswitch_id) == ("cn-hangzhou-h", "vpc-1", "vsw-1")
    assert eni.private_ip == "10.0.0.7"
    assert eni.security_group_ids == ["sg-1", "sg-2"]
    assert eni.name == "app-eni"
    assert eni.description == "for the app"
    assert eni.tags == {"team": "net", "empty": ""}
    assert eni.service_managed is False
    assert eni.mac == "00:16:3e:00:00:01"
    assert eni.device_index == 1


def test_minimal_available_eni_is_lenient() -> None:
    eni = NetworkInterface.from_api(
        {
            "NetworkInterfaceId": "eni-x",
            "Status": "Available",
            "Type": "Secondary",
            "InstanceId": "",
        },
        region_id="cn-shanghai",
    )
    assert eni.status is EniStatus.AVAILABLE
    assert eni.instance_id is None
    assert eni.security_group_ids == []
    assert eni.tags == {}
    assert eni.device_index is None


def test_unknown_status_and_type_keep_raw_value() -> None:
    eni = NetworkInterface.from_api(
        {"NetworkInterfaceId": "eni-x", "Status": "Hibernating", "Type": "Fancy"},
        region_id="cn-hangzhou",
    )
    assert eni.status is EniStatus.UNKNOWN
    assert eni.status_raw == "Hibernating"
    assert eni.type is EniType.UNKNOWN
    assert eni.type_raw == "Fancy"


def test_trunk_member_and_service_managed_info() -> None:
    eni = NetworkInterface.from_api(
        {
            "NetworkInterfaceId": "eni-m",
            "Status": "InUse",
            "Type": "Member",
            "ServiceManaged": "true",
            "Attachment": {
                "InstanceId": "i-1",
                "TrunkNetworkInterfaceId": "eni-trunk",
                "MemberNetworkInterfaceIds": {"MemberNetworkInterfaceId": "eni-only"},
            },
            "SecurityGroupIds": {"SecurityGroupId": "sg-single"},
        },
        region_id="cn-hangzhou",
    )
    assert eni.type is EniType.MEMBER
    assert eni.service_managed is True
    assert eni.instance_id == "i-1"
    assert eni.trunk_network_interface_id == "eni-trunk"
    assert eni.member_network_interface_ids == ["eni-only"]
    assert eni.security_group_ids == ["sg-single"]


def test_instance_parses_status_and_enis() -> None:
    instance = Instance.from_api(
        {
            "InstanceId": "i-1",
            "Status": "Running",
            "InstanceType": "ecs.g7.large",
            "InstanceName": "web-1",
            "ZoneId": "cn-hangzhou-h",
            "RegionId": "cn-hangzhou",
            "NetworkInterfaces": {
                "NetworkInterface": [
                    {"NetworkInterfaceId": "eni-p", "Type": "Primary"},
                    {"NetworkInterfaceId": "eni-s", "Type": "Secondary"},
                ]
            },
        },
        region_id="cn-hangzhou",
    )
    assert instance.status is InstanceStatus.RUNNING
    assert instance.instance_type == "ecs.g7.large"
    assert instance.name == "web-1"
    assert instance.network_interface_ids == ["eni-p", "eni-s"]


def test_instance_minimal_and_unknown_status() -> None:
    instance = Instance.from_api({"InstanceId": "i-2", "Status": "Odd"}, region_id="eu-west-1")
    assert instance.status is InstanceStatus.UNKNOWN
    assert instance.status_raw == "Odd"
    assert instance.region_id == "eu-west-1"
    assert instance.network_interface_ids == []
