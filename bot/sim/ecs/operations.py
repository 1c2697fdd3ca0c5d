"""The three ECS operations the simulator serves, with ECS's parameter rules and response shapes.

DetachNetworkInterface checks, in order: required params → OwnerId shape → the unsupported
TrunkNetworkInstanceId → ID shapes → account and RAM conditions of the key → the world's rules
(region, instance, ENI, type, state, hot-plug; see World.detach).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sim.ecs.codes import SimError, invalid, missing
from bot.sim.ecs.world import (
    AccessKey,
    AccountState,
    DetachResult,
    EniStatus,
    EniType,
    Instance,
    NetworkInterface,
    World,
)

__all__ = ["ACTIONS", "API_VERSION", "MAX_IDS", "Operations"]

API_VERSION = "2014-05-26"
MAX_IDS = 100
INSTANCE_ID_RE = re.compile(r"^i-[a-z0-9]{6,40}$")
ENI_ID_RE = re.compile(r"^eni-[a-z0-9]{6,40}$")
_INDEXED_ENI = re.compile(r"^NetworkInterfaceId\.(\d+)$")
_INTEGER = re.compile(r"^[0-9]{1,20}$")


@dataclass(frozen=True)
class Page:
    """Which slice of a result list to return, and how to describe it."""

    offset: int
    size: int
    token_mode: bool
    page_number: int


class Operations:
    """Runs one authenticated call against the world and returns the response body."""

    def __init__(self, world: World, on_detach: Callable[[DetachResult], None]) -> None:
        self.world = world
        self._on_detach = on_detach
        self._handlers: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            "DetachNetworkInterface": self.detach_network_interface,
            "DescribeNetworkInterfaces": self.describe_network_interfaces,
            "DescribeInstances": self.describe_instances,
        }

    def run(
        self, action: str, version: str, params: dict[str, str], key: AccessKey
    ) -> dict[str, Any]:
        """Body of a successful call (without RequestId), or raise SimError."""
        handler = self._handlers.get(action)
        if handler is None or version != API_VERSION:
            raise SimError(
                "InvalidApi.NotFound",
                f"Specified api is not found, please check your url and method: {action}/{version}",
            )
        _check_account(key, action)
        return handler(params)

    def target_enis(self, action: str, params: dict[str, str]) -> list[str]:
        """ENI IDs a call names (for per-ENI faults)."""
        if action == "DetachNetworkInterface":
            return [params["NetworkInterfaceId"]] if params.get("NetworkInterfaceId") else []
        if action == "DescribeNetworkInterfaces":
            return [v for k, v in params.items() if _INDEXED_ENI.match(k)]
        return []

    # ---- DetachNetworkInterface ----

    def detach_network_interface(self, params: dict[str, str]) -> dict[str, Any]:
        """Start detaching an ENI; only the request ID comes back (the operation is async)."""
        for name in ("RegionId", "NetworkInterfaceId", "InstanceId"):
            if not params.get(name):
                raise missing(name)
        for name in ("OwnerId", "ResourceOwnerId"):
            if name in params and not _INTEGER.match(params[name]):
                raise invalid(name)
        if "TrunkNetworkInstanceId" in params:
            raise SimError(
                "UnsupportedParameter",
                "The parameter TrunkNetworkInstanceId is unavailable for use.",
            )
        instance_id, eni_id = params["InstanceId"], params["NetworkInterfaceId"]
        if not INSTANCE_ID_RE.match(instance_id):
            raise SimError(
                "InvalidInstanceID.Malformed",
                f"The specified parameter InstanceId {instance_id!r} is not valid.",
            )
        if not ENI_ID_RE.match(eni_id):
            raise SimError(
                "InvalidParams.EniId",
                f"The specified parameter NetworkInterfaceId {eni_id!r} is not valid.",
            )
        result = self.world.detach(params["RegionId"], eni_id, instance_id)
        self._on_detach(result)
        return {}

    # ---- DescribeNetworkInterfaces ----

    def describe_network_interfaces(self, params: dict[str, str]) -> dict[str, Any]:
        """ENIs of a region, filtered, paged by MaxResults/NextToken or PageNumber/PageSize."""
        region_id = _region(self.world, params)
        ids: list[str] = []
        for name, value in params.items():
            match = _INDEXED_ENI.match(name)
            if match:
                if not 1 <= int(match.group(1)) <= MAX_IDS:
                    raise invalid("NetworkInterfaceId.N")
                ids.append(value)
        if len(ids) > MAX_IDS:
            raise invalid("NetworkInterfaceId.N")
        enis = (
            self.world.network_interfaces_by_id(region_id, ids)
            if ids
            else self.world.network_interfaces(region_id)
        )
        enis = [e for e in enis if _eni_matches(e, params)]
        page = _page(params, fingerprint=_fingerprint(params), default=10, lowest=10, highest=500)
        chosen = enis[page.offset : page.offset + page.size]
        body: dict[str, Any] = {
            "TotalCount": len(enis),
            "NetworkInterfaceSets": {
                "NetworkInterfaceSet": [
                    _eni_body(
                        e,
                        self.world.owner_id,
                        self.world.trunk_members(e.eni_id) if e.type is EniType.TRUNK else [],
                    )
                    for e in chosen
                ]
            },
        }
        body.update(_page_fields(page, len(enis), _fingerprint(params)))
        return body

    # ---- DescribeInstances ----

    def describe_instances(self, params: dict[str, str]) -> dict[str, Any]:
        """Instances of a region; `InstanceIds` is a JSON array string of at most 100 IDs."""
        region_id = _region(self.world, params)
        instances = self.world.instances(region_id)
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
        attached = self.world.enis_of_instances(i.instance_id for i in chosen)
        body: dict[str, Any] = {
            "TotalCount": len(instances),
            "Instances": {"Instance": [_instance_body(i, attached[i.instance_id]) for i in chosen]},
        }
        body.update(_page_fields(page, len(instances), _fingerprint(params)))
        return body


def _check_account(key: AccessKey, action: str) -> None:
    """Account-level refusals configured on the key (no natural trigger in a detach)."""
    if key.account is AccountState.NOT_FOUND:
        raise SimError("Abs.InvalidAccount.NotFound")
    if key.account is AccountState.UNSUPPORTED_USER_TYPE:
        raise SimError("InvalidUserType.NotSupported")
    denied = key.denied_actions.get(action)
    if denied:
        raise SimError(denied, f"You are not authorized to perform {action}.")


def _region(world: World, params: dict[str, str]) -> str:
    region_id = params.get("RegionId")
    if not region_id:
        raise missing("RegionId")
    world.check_region(region_id)
    return region_id


def _eni_matches(eni: NetworkInterface, params: dict[str, str]) -> bool:
    """The DescribeNetworkInterfaces filters other than IDs."""
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
    for name, value in params.items():
        tag = re.match(r"^Tag\.(\d+)\.Key$", name)
        if tag:
            wanted_value = params.get(f"Tag.{tag.group(1)}.Value")
            if value not in eni.tags or (
                wanted_value is not None and eni.tags[value] != wanted_value
            ):
                return False
    return True


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
                    "PrivateIpAddress": eni.private_ip,
                    "Primary": True,
                    "PrivateDnsName": "",
                    "AssociatedPublicIp": {},
                }
            ]
        },
        "Ipv6Sets": {"Ipv6Set": []},
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


ACTIONS: tuple[str, ...] = (
    "DetachNetworkInterface",
    "DescribeNetworkInterfaces",
    "DescribeInstances",
)


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
