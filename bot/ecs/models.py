"""Typed views of the DescribeNetworkInterfaces and DescribeInstances answers.

ECS wraps every list in an object (`Tags.Tag[]`, `SecurityGroupIds.SecurityGroupId[]`) and omits
fields freely, so parsing is lenient: missing fields become None or empty, and a status or type
the bot has never seen becomes `Unknown` with the raw value kept, rather than failing a poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "EniStatus",
    "EniType",
    "Instance",
    "InstanceStatus",
    "NetworkInterface",
]


class EniStatus(StrEnum):
    """ENI states as DescribeNetworkInterfaces reports them (API_NOTES 4.4)."""

    AVAILABLE = "Available"
    ATTACHING = "Attaching"
    IN_USE = "InUse"
    DETACHING = "Detaching"
    DELETING = "Deleting"
    CREATING = "Creating"
    CREATE_FAILED = "CreateFailed"
    UNKNOWN = "Unknown"


class EniType(StrEnum):
    """ENI kinds (API_NOTES 4.5); only Secondary ENIs can be detached by the bot."""

    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    TRUNK = "Trunk"
    MEMBER = "Member"
    UNKNOWN = "Unknown"


class InstanceStatus(StrEnum):
    """Instance states the API reports (API_NOTES 5)."""

    PENDING = "Pending"
    RUNNING = "Running"
    STARTING = "Starting"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    UNKNOWN = "Unknown"


def _text(data: Mapping[str, Any], key: str) -> str | None:
    """A string field, or None when it is missing or empty (ECS sends "" for "none")."""
    value = data.get(key)
    if value is None or value == "":
        return None
    return str(value)


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _wrapped_list(data: Mapping[str, Any], outer: str, inner: str) -> list[Any]:
    """`data[outer][inner]` as a list; XML heritage sometimes gives one item unwrapped."""
    value = _obj(data, outer).get(inner)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: Any, unknown: _E) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        return unknown


class NetworkInterface(BaseModel):
    """One ENI as ECS described it, with what the bot needs to decide and to show people."""

    model_config = ConfigDict(frozen=True)

    eni_id: str
    status: EniStatus
    status_raw: str | None = None
    type: EniType
    type_raw: str | None = None
    instance_id: str | None = None
    region_id: str
    zone_id: str | None = None
    vpc_id: str | None = None
    vswitch_id: str | None = None
    private_ip: str | None = None
    security_group_ids: list[str] = []
    name: str | None = None
    description: str | None = None
    tags: dict[str, str] = {}
    service_managed: bool = False
    mac: str | None = None
    device_index: int | None = None
    trunk_network_interface_id: str | None = None
    member_network_interface_ids: list[str] = []
    creation_time: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, region_id: str) -> NetworkInterface:
        """Parse one `NetworkInterfaceSet` item; `region_id` is the region that was asked."""
        attachment = _obj(data, "Attachment")
        status_raw = _text(data, "Status")
        type_raw = _text(data, "Type")
        tags: dict[str, str] = {}
        for tag in _wrapped_list(data, "Tags", "Tag"):
            if isinstance(tag, Mapping) and tag.get("TagKey") is not None:
                tags[str(tag["TagKey"])] = str(tag.get("TagValue") or "")
        return cls(
            eni_id=str(data.get("NetworkInterfaceId") or ""),
            status=_enum(EniStatus, status_raw, EniStatus.UNKNOWN),
            status_raw=status_raw,
            type=_enum(EniType, type_raw, EniType.UNKNOWN),
            type_raw=type_raw,
            instance_id=_text(data, "InstanceId") or _text(attachment, "InstanceId"),
            region_id=region_id,
            zone_id=_text(data, "ZoneId"),
            vpc_id=_text(data, "VpcId"),
            vswitch_id=_text(data, "VSwitchId"),
            private_ip=_text(data, "PrivateIpAddress"),
            security_group_ids=[
                str(s) for s in _wrapped_list(data, "SecurityGroupIds", "SecurityGroupId")
            ],
            name=_text(data, "NetworkInterfaceName"),
            description=_text(data, "Description"),
            tags=tags,
            service_managed=_bool(data.get("ServiceManaged", False)),
            mac=_text(data, "MacAddress"),
            device_index=_int(attachment.get("DeviceIndex")),
            trunk_network_interface_id=_text(attachment, "TrunkNetworkInterfaceId"),
            member_network_interface_ids=[
                str(m)
                for m in _wrapped_list(
                    attachment, "MemberNetworkInterfaceIds", "MemberNetworkInterfaceId"
                )
            ],
            creation_time=_text(data, "CreationTime"),
        )


class Instance(BaseModel):
    """One instance as DescribeInstances reported it."""

    model_config = ConfigDict(frozen=True)

    instance_id: str
    status: InstanceStatus
    status_raw: str | None = None
    instance_type: str | None = None
    region_id: str
    name: str | None = None
    zone_id: str | None = None
    vpc_id: str | None = None
    network_interface_ids: list[str] = []

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, region_id: str) -> Instance:
        """Parse one `Instances.Instance` item; `region_id` is the region that was asked."""
        status_raw = _text(data, "Status")
        enis = _wrapped_list(data, "NetworkInterfaces", "NetworkInterface")
        vpc = data.get("VpcAttributes")
        return cls(
            instance_id=str(data.get("InstanceId") or ""),
            status=_enum(InstanceStatus, status_raw, InstanceStatus.UNKNOWN),
            status_raw=status_raw,
            instance_type=_text(data, "InstanceType"),
            region_id=_text(data, "RegionId") or region_id,
            name=_text(data, "InstanceName"),
            zone_id=_text(data, "ZoneId"),
            vpc_id=_text(vpc, "VpcId") if isinstance(vpc, Mapping) else None,
            network_interface_ids=[
                str(e["NetworkInterfaceId"])
                for e in enis
                if isinstance(e, Mapping) and e.get("NetworkInterfaceId")
            ],
        )
