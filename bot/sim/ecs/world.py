"""The simulated cloud: regions, instances and ENIs, and the rules DetachNetworkInterface obeys.

One re-entrant lock guards every read and write, so concurrent HTTP handler threads see a
consistent world. Time-driven moves (Detaching → Available) are computed lazily on read from an
injectable monotonic clock, so there is no ticking thread and tests can move time by hand.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.sim.ecs.codes import SimError
from bot.sim.ecs.faults import FaultSpec

__all__ = [
    "AccessKey",
    "AccountState",
    "EniStatus",
    "EniType",
    "Instance",
    "InstanceStatus",
    "InstanceTypeSpec",
    "NetworkInterface",
    "Region",
    "World",
]

Clock = Callable[[], float]


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


@dataclass
class Region:
    """A region; a disabled one answers Forbidden.RegionId."""

    region_id: str
    enabled: bool = True
    zones: tuple[str, ...] = ()


@dataclass
class InstanceTypeSpec:
    """What the simulator needs to know about an instance type."""

    name: str
    eni_hot_plug: bool = True


@dataclass
class AccessKey:
    """A key pair the gateway accepts, with the account conditions attached to it."""

    access_key_id: str
    secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    security_token_expired: bool = False
    account: AccountState = AccountState.ACTIVE
    # action name → permission code (Forbidden.RAM, Forbidden.SubUser, Forbidden.NotSupportRAM).
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
    """An elastic network interface, with its detach behaviour."""

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
    detach_delay: float | None = None  # None: the world's delay
    stuck_left: int = 0  # extra detaches needed before the detach delay starts counting
    creation_time: str = "2025-01-01T00:00:00Z"
    resource_group_id: str = ""
    detaching_since: float | None = None


@dataclass(frozen=True)
class DetachResult:
    """What an accepted detach did, for counters and logs."""

    eni_id: str
    previous_status: EniStatus
    stuck_left: int


class World:
    """Thread-safe store of the simulated resources; every public method takes the lock."""

    def __init__(
        self,
        *,
        regions: Iterable[Region],
        instances: Iterable[Instance] = (),
        network_interfaces: Iterable[NetworkInterface] = (),
        instance_types: Iterable[InstanceTypeSpec] = (),
        access_keys: Iterable[AccessKey] = (),
        detach_delay: float = 2.0,
        owner_id: str = "1234567890123456",
        faults: Iterable[FaultSpec] = (),
        clock: Clock = time.monotonic,
    ) -> None:
        self._lock = threading.RLock()
        self.clock = clock
        self.detach_delay = detach_delay
        self.owner_id = owner_id
        # Faults declared with the world; the simulator registers them when it starts.
        self.faults: tuple[FaultSpec, ...] = tuple(faults)
        self.regions: dict[str, Region] = {r.region_id: r for r in regions}
        self.instance_types: dict[str, InstanceTypeSpec] = {t.name: t for t in instance_types}
        self.access_keys: dict[str, AccessKey] = {k.access_key_id: k for k in access_keys}
        self._instances: dict[str, Instance] = {i.instance_id: i for i in instances}
        self._enis: dict[str, NetworkInterface] = {}
        for eni in network_interfaces:
            if eni.status is EniStatus.DETACHING and eni.detaching_since is None:
                eni.detaching_since = clock()
            self._enis[eni.eni_id] = eni
        # Fixture order, for stable Describe output (ENIs are never added at run time).
        self._order = {eni_id: n for n, eni_id in enumerate(self._enis)}

    @contextmanager
    def locked(self) -> Iterator[World]:
        """Hold the world lock across several calls (control endpoint, tests)."""
        with self._lock:
            yield self

    # ---- reads (copies, settled to the current time) ----

    def instance(self, instance_id: str) -> Instance | None:
        """The instance with that ID in any region, or None."""
        with self._lock:
            found = self._instances.get(instance_id)
            return copy.copy(found) if found else None

    def network_interface(self, eni_id: str) -> NetworkInterface | None:
        """The ENI with that ID in any region, settled to now, or None."""
        with self._lock:
            found = self._enis.get(eni_id)
            if found is None:
                return None
            self._settle(found)
            return _copy_eni(found)

    def network_interfaces(self, region_id: str) -> list[NetworkInterface]:
        """Every ENI of a region, in fixture order, settled to now."""
        with self._lock:
            out = []
            for eni in self._enis.values():
                if eni.region_id == region_id:
                    self._settle(eni)
                    out.append(_copy_eni(eni))
            return out

    def network_interfaces_by_id(
        self, region_id: str, eni_ids: Iterable[str]
    ) -> list[NetworkInterface]:
        """The ENIs of a region among `eni_ids`, in fixture order; unknown IDs are skipped."""
        wanted = set(eni_ids)
        with self._lock:
            found = [
                eni
                for eni_id in wanted
                if (eni := self._enis.get(eni_id)) is not None and eni.region_id == region_id
            ]
            found.sort(key=lambda e: self._order[e.eni_id])
            for eni in found:
                self._settle(eni)
            return [_copy_eni(eni) for eni in found]

    def trunk_members(self, trunk_id: str) -> list[str]:
        """IDs of the Member ENIs hanging off a trunk ENI that are not yet Available."""
        with self._lock:
            out = []
            for eni in self._enis.values():
                if eni.trunk_id == trunk_id:
                    self._settle(eni)
                    if eni.status is not EniStatus.AVAILABLE:
                        out.append(eni.eni_id)
            return out

    def instances(self, region_id: str) -> list[Instance]:
        """Every instance of a region, in fixture order."""
        with self._lock:
            return [copy.copy(i) for i in self._instances.values() if i.region_id == region_id]

    def enis_of_instances(self, instance_ids: Iterable[str]) -> dict[str, list[NetworkInterface]]:
        """ENIs attached to each instance (any state but Available), settled, in one pass."""
        wanted = set(instance_ids)
        out: dict[str, list[NetworkInterface]] = {i: [] for i in wanted}
        with self._lock:
            for eni in self._enis.values():
                if eni.instance_id in wanted:
                    self._settle(eni)
                    if eni.instance_id is not None:
                        out[eni.instance_id].append(_copy_eni(eni))
            return out

    def hot_plug(self, instance_type: str) -> bool:
        """Whether an instance type can have ENIs detached while running (unknown: yes)."""
        spec = self.instance_types.get(instance_type)
        return spec.eni_hot_plug if spec else True

    def snapshot(self) -> dict[str, Any]:
        """The whole world as plain data, for the control endpoint."""
        with self._lock:
            for eni in self._enis.values():
                self._settle(eni)
            return {
                "detach_delay": self.detach_delay,
                "regions": [
                    {"id": r.region_id, "enabled": r.enabled, "zones": list(r.zones)}
                    for r in self.regions.values()
                ],
                "instances": [
                    {
                        "id": i.instance_id,
                        "region": i.region_id,
                        "zone": i.zone_id,
                        "status": str(i.status),
                        "instance_type": i.instance_type,
                        "name": i.name,
                    }
                    for i in self._instances.values()
                ],
                "network_interfaces": [
                    {
                        "id": e.eni_id,
                        "region": e.region_id,
                        "type": str(e.type),
                        "status": str(e.status),
                        "instance_id": e.instance_id,
                        "trunk_id": e.trunk_id,
                        "service_managed": e.service_managed,
                        "linked": e.linked,
                        "stuck_detaches": e.stuck_left,
                        "detach_delay": e.detach_delay,
                    }
                    for e in self._enis.values()
                ],
            }

    # ---- writes ----

    def detach(self, region_id: str, eni_id: str, instance_id: str) -> DetachResult:
        """Apply DetachNetworkInterface's rules and move the ENI, or raise the code ECS gives."""
        with self._lock:
            self.check_region(region_id, for_detach=True)
            instance = self._instances.get(instance_id)
            if instance is None or instance.region_id != region_id:
                if instance is not None:
                    # Exists, but not where the caller looked.
                    raise SimError(
                        "InvalidInstanceId.NotFound",
                        f"The specified InstanceId {instance_id} does not exist in {region_id}.",
                    )
                raise SimError(
                    "InvalidEcsId.NotFound", f"The specified instance {instance_id} does not exist."
                )
            eni = self._enis.get(eni_id)
            if eni is None or eni.region_id != region_id:
                raise SimError(
                    "InvalidEniId.NotFound",
                    f"The specified network interface {eni_id} does not exist.",
                )
            self._settle(eni)
            self._check_detachable(eni, instance)
            previous = eni.status
            now = self.clock()
            if eni.status is EniStatus.IN_USE:
                eni.status = EniStatus.DETACHING
                eni.detaching_since = now
            elif eni.stuck_left > 0:
                # A re-sent detach is what unsticks an ENI (seed: "re-initiate the request").
                eni.stuck_left -= 1
                eni.detaching_since = now
            return DetachResult(eni_id=eni_id, previous_status=previous, stuck_left=eni.stuck_left)

    def check_region(self, region_id: str, *, for_detach: bool = False) -> None:
        """Raise the code ECS gives for an unknown or disabled region."""
        region = self.regions.get(region_id)
        if region is None:
            if for_detach:
                raise SimError(
                    "InvalidOperation.InvalidRegion",
                    f"The specified RegionId {region_id} is not valid.",
                )
            raise SimError("InvalidRegionId.NotFound", "The specified RegionId does not exist.")
        if not region.enabled:
            raise SimError(
                "Forbidden.RegionId", f"The service is unavailable in the region {region_id}."
            )

    def update_network_interface(self, eni_id: str, changes: dict[str, Any]) -> NetworkInterface:
        """Change an ENI's fields at run time (control endpoint); raises KeyError if unknown."""
        with self._lock:
            eni = self._enis[eni_id]
            self._settle(eni)
            changes = dict(changes)
            if "stuck_detaches" in changes:
                eni.stuck_left = int(changes.pop("stuck_detaches"))
            if "status" in changes:
                changes["status"] = EniStatus(changes["status"])
            for name, value in changes.items():
                setattr(eni, name, value)
            if eni.status is EniStatus.DETACHING and eni.detaching_since is None:
                eni.detaching_since = self.clock()
            if eni.status is not EniStatus.DETACHING:
                eni.detaching_since = None
            if eni.status is EniStatus.AVAILABLE:
                eni.instance_id = None
                eni.device_index = None
            return _copy_eni(eni)

    def update_instance(self, instance_id: str, changes: dict[str, Any]) -> Instance:
        """Change an instance's fields at run time (control API); KeyError if unknown."""
        with self._lock:
            instance = self._instances[instance_id]
            changes = dict(changes)
            if "status" in changes:
                changes["status"] = InstanceStatus(changes["status"])
            for name, value in changes.items():
                setattr(instance, name, value)
            return copy.copy(instance)

    # ---- rules ----

    def _check_detachable(self, eni: NetworkInterface, instance: Instance) -> None:
        """The seed's refusals, in the order a caller would most usefully see them."""
        eni_id, instance_id = eni.eni_id, instance.instance_id
        if eni.type is EniType.PRIMARY:
            raise SimError(
                "InvalidOperation.DetachPrimaryEniNotAllowed",
                f"The primary network interface {eni_id} cannot be detached.",
            )
        if eni.service_managed:
            raise SimError(
                "InvalidOperation.EniServiceManaged",
                f"The network interface {eni_id} is managed by service {eni.service_id or '-'}.",
            )
        if eni.instance_id is not None and eni.instance_id != instance_id:
            raise SimError(
                "InvalidParameter.EniNotBelongEcs",
                f"The network interface {eni_id} is not attached to instance {instance_id}.",
            )
        if eni.linked:
            raise SimError(
                "InvalidOperation.EniLinked",
                f"The network interface {eni_id} is associated with other network interfaces.",
            )
        if eni.type is EniType.MEMBER:
            trunk = self._enis.get(eni.trunk_id or "")
            if trunk is None or trunk.status is not EniStatus.IN_USE:
                state = trunk.status if trunk else "missing"
                raise SimError(
                    "InvalidOperation.InvalidTrunkEniStatus",
                    f"The trunk network interface {eni.trunk_id} is {state}.",
                )
            raise SimError(
                "InvalidOperation.InvalidEniType",
                f"The network interface {eni_id} of type Member is detached from its trunk, "
                "not from an instance.",
            )
        if eni.type is EniType.TRUNK:
            members = [
                m.eni_id
                for m in self._enis.values()
                if m.trunk_id == eni_id and m.status is not EniStatus.AVAILABLE
            ]
            if members:
                raise SimError(
                    "InvalidOperation.HasMemberEniAttached",
                    f"Member network interfaces are attached to {eni_id}: {','.join(members)}.",
                )
        if instance.status not in (InstanceStatus.RUNNING, InstanceStatus.STOPPED):
            raise SimError(
                "InvalidOperation.InvalidEcsState",
                f"The instance {instance_id} is {instance.status}; it must be Running or Stopped.",
            )
        if eni.status not in (EniStatus.IN_USE, EniStatus.DETACHING):
            raise SimError(
                "InvalidOperation.InvalidEniState",
                f"The network interface {eni_id} is {eni.status}; it must be InUse or Detaching.",
            )
        if instance.status is InstanceStatus.RUNNING and not self.hot_plug(instance.instance_type):
            raise SimError(
                "InvalidOperation.HotPlugNotSupport",
                f"The instance type {instance.instance_type} does not support hot plugging of "
                "network interfaces; stop the instance first.",
            )

    def _settle(self, eni: NetworkInterface) -> None:
        """Finish a detach whose delay has passed (called under the lock on every read)."""
        if eni.status is not EniStatus.DETACHING or eni.stuck_left > 0:
            return
        if eni.detaching_since is None:
            return
        delay = self.detach_delay if eni.detach_delay is None else eni.detach_delay
        if self.clock() - eni.detaching_since >= delay:
            eni.status = EniStatus.AVAILABLE
            eni.instance_id = None
            eni.device_index = None
            eni.detaching_since = None


def _copy_eni(eni: NetworkInterface) -> NetworkInterface:
    """A copy safe to render outside the lock (lists and dicts are not shared)."""
    out = copy.copy(eni)
    out.security_group_ids = list(eni.security_group_ids)
    out.tags = dict(eni.tags)
    return out
