"""DescribeNetworkInterfaces and DescribeInstances: ECS's filters, paging and answer shapes.

DescribeNetworkInterfaces takes `NetworkInterfaceId.1..100` and the filters `InstanceId`,
`Status`, `Type`, `VpcId`, `VSwitchId`, `NetworkInterfaceName`, `PrimaryIpAddress`,
`ServiceManaged`, `SecurityGroupId` and `Tag.1..20.Key`/`.Value` (all ANDed; a key without a
value matches any value); it pages with `MaxResults` (10..500, clamped) and `NextToken`, or the
older `PageNumber`/`PageSize` (API_NOTES 4.2, 4.3). A NextToken is tied to the query it was
issued for, as ECS's are opaque and per query.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.sim.ecs.codes import invalid, missing
from bot.sim.ecs.resources import EniStatus, EniType, Instance, NetworkInterface
from bot.sim.ecs.world import World

__all__ = ["INDEXED_ENI", "MAX_IDS", "describe_instances", "describe_network_interfaces"]

MAX_IDS = 100
MAX_TAGS = 20
INDEXED_ENI = re.compile(r"^NetworkInterfaceId\.(\d+)$")
_TAG_KEY = re.compile(r"^Tag\.(\d+)\.Key$")


@dataclass(frozen=True)
class Page:
    """Which slice of a result list to return, and how to describe it."""

    offset: int
    size: int
    token_mode: bool
    page_number: int


def describe_network_interfaces(world: World, params: dict[str, str]) -> dict[str, Any]:
    """ENIs of a region, filtered, paged by MaxResults/NextToken or PageNumber/PageSize."""
    region_id = _region(world, params)
    ids: list[str] = []
    for name, value in params.items():
        match = INDEXED_ENI.match(name)
        if match:
            if not 1 <= int(match.group(1)) <= MAX_IDS:
                raise invalid("NetworkInterfaceId.N")
            ids.append(value)
    if len(ids) > MAX_IDS:
        raise invalid("NetworkInterfaceId.N")
    enis = (
        world.network_interfaces_by_id(region_id, ids)
        if ids
        else world.network_interfaces(region_id)
    )
    tags = _tag_filters(params)
    enis = [e for e in enis if _eni_matches(e, params, tags)]
    page = _page(params, fingerprint=_fingerprint(params), default=10, lowest=10, highest=500)
    chosen = enis[page.offset : page.offset + page.size]
    body: dict[str, Any] = {
        "TotalCount": len(enis),
        "NetworkInterfaceSets": {
            "NetworkInterfaceSet": [
                _eni_body(
                    e,
                    world.owner_id,
                    world.trunk_members(e.eni_id) if e.type is EniType.TRUNK else [],
                )
                for e in chosen
            ]
        },
    }
    body.update(_page_fields(page, len(enis), _fingerprint(params)))
    return body


def describe_instances(world: World, params: dict[str, str]) -> dict[str, Any]:
    """Instances of a region; `InstanceIds` is a JSON array string of at most 100 IDs."""
    region_id = _region(world, params)
    instances = world.instances(region_id)
    if params.get("InstanceIds"):
        try:
            wanted = json.loads(params["InstanceIds"])
        except json.JSONDecodeError:
            raise invalid("InstanceIds") from None
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
            raise invalid("InstanceIds")
        if len(wanted) > MAX_IDS:
            raise invalid("InstanceIds")
        wanted_set = set(wanted)
        instances = [i for i in instances if i.instance_id in wanted_set]
    for name, attr in (("Status", "status"), ("ZoneId", "zone_id"), ("VpcId", "vpc_id")):
        if params.get(name):
            instances = [i for i in instances if str(getattr(i, attr)) == params[name]]
    if params.get("InstanceName"):
        instances = [i for i in instances if i.name == params["InstanceName"]]
    page = _page(params, fingerprint=_fingerprint(params), default=10, lowest=10, highest=100)
    chosen = instances[page.offset : page.offset + page.size]
    attached = world.enis_of_instances(i.instance_id for i in chosen)
    body: dict[str, Any] = {
        "TotalCount": len(instances),
        "Instances": {"Instance": [_instance_body(i, attached[i.instance_id]) for i in chosen]},
    }
    body.update(_page_fields(page, len(instances), _fingerprint(params)))
    return body


def _region(world: World, params: dict[str, str]) -> str:
    region_id = params.get("RegionId")
    if not region_id:
        raise missing("RegionId")
    world.check_region(region_id)
    return region_id


def _tag_filters(params: dict[str, str]) -> list[tuple[str, str | None]]:
    """(key, value or None) for each `Tag.N.Key`, N in 1..20 as ECS allows."""
    tags: list[tuple[str, str | None]] = []
    for name, key in params.items():
        match = _TAG_KEY.match(name)
        if match is None:
            continue
        if not 1 <= int(match.group(1)) <= MAX_TAGS:
            raise invalid("Tag.N.Key")
        value = params.get(f"Tag.{match.group(1)}.Value")
        tags.append((key, value))
    return tags


def _eni_matches(
    eni: NetworkInterface, params: dict[str, str], tags: list[tuple[str, str | None]]
) -> bool:
    """The DescribeNetworkInterfaces filters other than IDs, all of them ANDed."""
    simple = {
        "InstanceId": eni.instance_id or "",
        "Status": str(eni.status),
        "Type": str(eni.type),
        "VpcId": eni.vpc_id,
        "VSwitchId": eni.vswitch_id,
        "NetworkInterfaceName": eni.name,
        "PrimaryIpAddress": eni.private_ip,
    }
    for name, actual in simple.items():
        if params.get(name) and params[name] != actual:
            return False
    if (
        params.get("ServiceManaged")
        and params["ServiceManaged"].lower() != str(eni.service_managed).lower()
    ):
        return False
    if params.get("SecurityGroupId") and params["SecurityGroupId"] not in eni.security_group_ids:
        return False
    # A key with no value asked for matches the key with any value.
    return all(key in eni.tags and (value is None or eni.tags[key] == value) for key, value in tags)


def _fingerprint(params: dict[str, str]) -> str:
    """Ties a NextToken to the query it was issued for (paging params excluded)."""
    stable = sorted(
        (k, v)
        for k, v in params.items()
        if k not in {"NextToken", "MaxResults", "PageNumber", "PageSize"}
    )
    return hashlib.sha256(repr(stable).encode()).hexdigest()[:24]


def _int_param(params: dict[str, str], name: str) -> int | None:
    if name not in params or params[name] == "":
        return None
    if not re.match(r"^-?[0-9]{1,9}$", params[name]):
        raise invalid(name)
    return int(params[name])


def _page(
    params: dict[str, str], *, fingerprint: str, default: int, lowest: int, highest: int
) -> Page:
    """MaxResults/NextToken paging when either is given, else the older PageNumber/PageSize."""
    max_results = _int_param(params, "MaxResults")
    token = params.get("NextToken")
    if max_results is not None or token:
        size = default if max_results is None else min(max(max_results, lowest), highest)
        offset = 0
        if token:
            if not re.fullmatch(r"[0-9a-f]{32}", token) or token[8:] != fingerprint:
                raise invalid("NextToken")
            offset = int(token[:8], 16)
        return Page(offset=offset, size=size, token_mode=True, page_number=offset // size + 1)
    number = _int_param(params, "PageNumber") or 1
    size = _int_param(params, "PageSize") or default
    if number < 1:
        raise invalid("PageNumber")
    if not 1 <= size <= 100:
        raise invalid("PageSize")
    return Page(offset=(number - 1) * size, size=size, token_mode=False, page_number=number)


def _page_fields(page: Page, total: int, fingerprint: str) -> dict[str, Any]:
    following = page.offset + page.size
    token = f"{following:08x}{fingerprint}" if following < total else ""
    fields: dict[str, Any] = {
        "NextToken": token if page.token_mode else "",
        "PageNumber": page.page_number,
        "PageSize": page.size,
    }
    if page.token_mode:
        fields["MaxResults"] = page.size
    return fields


def _eni_body(eni: NetworkInterface, owner_id: str, members: list[str]) -> dict[str, Any]:
    """One NetworkInterfaceSet entry, field names as ECS returns them (API_NOTES 4.3)."""
    body: dict[str, Any] = {
        "NetworkInterfaceId": eni.eni_id,
        "NetworkInterfaceName": eni.name,
        "Status": str(eni.status),
        "Type": str(eni.type),
        "VpcId": eni.vpc_id,
        "VSwitchId": eni.vswitch_id,
        "ZoneId": eni.zone_id,
        "PrivateIpAddress": eni.private_ip,
        "MacAddress": eni.mac,
        "Description": eni.description,
        "CreationTime": eni.creation_time,
        "OwnerId": owner_id,
        "ResourceGroupId": eni.resource_group_id,
        "ServiceManaged": eni.service_managed,
        "DeleteOnRelease": eni.type is EniType.PRIMARY,
        "QueueNumber": 1,
        "NetworkInterfaceTrafficMode": "Standard",
        "SourceDestCheck": False,
        "SecurityGroupIds": {"SecurityGroupId": list(eni.security_group_ids)},
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in eni.tags.items()]},
        "PrivateIpSets": {
            "PrivateIpSet": [
                {
                    "PrivateIpAddress": address,
                    "Primary": n == 0,
                    "PrivateDnsName": "",
                    "AssociatedPublicIp": {},
                }
                for n, address in enumerate([eni.private_ip, *eni.secondary_ips])
            ]
        },
        "Ipv6Sets": {"Ipv6Set": [{"Ipv6Address": a} for a in eni.ipv6_addresses]},
        "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
        "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
        "AssociatedPublicIp": {},
    }
    if eni.service_managed:
        # ECS leaves InstanceId out for ENIs another service manages (API_NOTES 4.3).
        body["ServiceID"] = eni.service_id or ""
    else:
        body["InstanceId"] = eni.instance_id or ""
    if eni.instance_id is not None:
        attachment: dict[str, Any] = {
            "InstanceId": eni.instance_id,
            "DeviceIndex": eni.device_index if eni.device_index is not None else 0,
            "NetworkCardIndex": 0,
        }
        if eni.trunk_id:
            attachment["TrunkNetworkInterfaceId"] = eni.trunk_id
        if members:
            attachment["MemberNetworkInterfaceIds"] = {"MemberNetworkInterfaceId": members}
        body["Attachment"] = attachment
    return body


def _instance_body(instance: Instance, enis: list[NetworkInterface]) -> dict[str, Any]:
    """One Instances.Instance entry with the fields the bot and the SDK models read."""
    groups = sorted({sg for e in enis for sg in e.security_group_ids})
    return {
        "InstanceId": instance.instance_id,
        "InstanceName": instance.name,
        "HostName": instance.name,
        "Status": str(instance.status),
        "InstanceType": instance.instance_type,
        "RegionId": instance.region_id,
        "ZoneId": instance.zone_id,
        "InstanceNetworkType": "vpc",
        "OSType": "linux",
        "CreationTime": instance.creation_time,
        "VpcAttributes": {
            "VpcId": instance.vpc_id,
            "VSwitchId": instance.vswitch_id,
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [instance.private_ip] if instance.private_ip else []},
        },
        "SecurityGroupIds": {"SecurityGroupId": groups},
        "NetworkInterfaces": {
            "NetworkInterface": [
                {
                    "NetworkInterfaceId": e.eni_id,
                    "Type": str(e.type),
                    "PrimaryIpAddress": e.private_ip,
                    "MacAddress": e.mac,
                    "PrivateIpSets": {
                        "PrivateIpSet": [{"PrivateIpAddress": e.private_ip, "Primary": True}]
                    },
                }
                for e in enis
                if e.status is not EniStatus.AVAILABLE
            ]
        },
        "Tags": {"Tag": []},
    }
