"""The simulated resources: regions, instance types, keys, instances and ENIs, as plain data.

The World (world.py) holds them under its lock; the rules (rules.py) read them. Nothing here
moves by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "AccessKey",
    "AccountState",
    "AttachResult",
    "DetachResult",
    "EniStatus",
    "EniType",
    "Instance",
    "InstanceStatus",
    "InstanceTypeSpec",
    "NetworkInterface",
    "Region",
]


class InstanceStatus(StrEnum):
    """Instance states as the API reports them."""

    PENDING = "Pending"
    RUNNING = "Running"
    STARTING = "Starting"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


class EniStatus(StrEnum):
    """ENI states as the API reports them."""

    AVAILABLE = "Available"
    ATTACHING = "Attaching"
    IN_USE = "InUse"
    DETACHING = "Detaching"
    DELETING = "Deleting"


class EniType(StrEnum):
    """ENI types as the API reports them."""

    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    TRUNK = "Trunk"
    MEMBER = "Member"


class AccountState(StrEnum):
    """Account-level conditions a key can carry, each answered with its seed code."""

    ACTIVE = "active"
    NOT_FOUND = "not_found"  # Abs.InvalidAccount.NotFound
    UNSUPPORTED_USER_TYPE = "unsupported_user_type"  # InvalidUserType.NotSupported
    # Refuse writes only (Detach, Attach); the account may still read.
    NOT_ENOUGH_BALANCE = "not_enough_balance"  # InvalidAccountStatus.NotEnoughBalance
    SNAPSHOT_SERVICE_UNAVAILABLE = "snapshot_service_unavailable"  # ...SnapshotServiceUnavailable


@dataclass
class Region:
    """A region; a disabled one answers Forbidden.RegionId."""

    region_id: str
    enabled: bool = True
    zones: tuple[str, ...] = ()


@dataclass
class InstanceTypeSpec:
    """What the simulator needs to know about an instance type (unknown types: no limits)."""

    name: str
    # False: ENIs are attached and detached only while Stopped (ECS's "types that need Stopped").
    eni_hot_plug: bool = True
    eni_limit: int | None = None  # ENIs it holds, the primary included (None: no limit)
    ipv4_per_eni: int | None = None  # private IPv4 addresses one of its ENIs may carry
    eni_supported: bool = True  # False: an older family that takes no extra ENIs at all
    ipv6: bool = True  # False: ENIs with IPv6 addresses cannot be attached to it


@dataclass
class AccessKey:
    """A key pair the gateway accepts, with the account conditions attached to it."""

    access_key_id: str
    secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    security_token_expired: bool = False
    account: AccountState = AccountState.ACTIVE
    # action name → permission code (Forbidden.RAM, .SubUser, .NotSupportRAM, .Unauthorized).
    denied_actions: dict[str, str] = field(default_factory=dict)


@dataclass
class Instance:
    """An ECS instance."""

    instance_id: str
    region_id: str
    zone_id: str
    status: InstanceStatus
    instance_type: str
    name: str = ""
    vpc_id: str = ""
    vswitch_id: str = ""
    private_ip: str = ""
    creation_time: str = "2025-01-01T00:00Z"


@dataclass
class NetworkInterface:
    """An elastic network interface, with its detach and attach behaviour."""

    eni_id: str
    region_id: str
    zone_id: str
    type: EniType
    status: EniStatus
    instance_id: str | None = None
    device_index: int | None = None
    trunk_id: str | None = None
    vpc_id: str = ""
    vswitch_id: str = ""
    private_ip: str = ""
    mac: str = ""
    security_group_ids: list[str] = field(default_factory=list)
    name: str = ""
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    service_managed: bool = False
    service_id: str | None = None
    linked: bool = False
    secondary_ips: list[str] = field(default_factory=list)
    ipv6_addresses: list[str] = field(default_factory=list)
    detach_delay: float | None = None  # None: the world's delay
    stuck_left: int = 0  # extra detaches needed before the detach delay starts counting
    attach_delay: float | None = None  # None: the world's attach delay
    fail_attaches: int = 0  # the next N attaches fall back to Available instead of InUse
    creation_time: str = "2025-01-01T00:00:00Z"
    resource_group_id: str = ""
    detaching_since: float | None = None
    attaching_since: float | None = None

    @property
    def ipv4_count(self) -> int:
        """Private IPv4 addresses on the ENI (its primary one and the secondaries)."""
        return 1 + len(self.secondary_ips)


@dataclass(frozen=True)
class DetachResult:
    """What an accepted detach did, for counters and logs."""

    eni_id: str
    previous_status: EniStatus
    stuck_left: int


@dataclass(frozen=True)
class AttachResult:
    """What an accepted attach did, for counters and logs."""

    eni_id: str
    instance_id: str
    device_index: int
