"""The simulated cloud: the store of regions, instances and ENIs, and how ENIs move.

One re-entrant lock guards every read and write, so concurrent HTTP handler threads see a
consistent world. Time-driven moves (Detaching → Available, Attaching → InUse, or back to
Available for an attach that fails) are computed lazily on read from an injectable monotonic
clock, so there is no ticking thread and tests can move time by hand. What may be detached or
attached is decided in rules.py; the resource types live in resources.py (re-exported here).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bot.sim.ecs.codes import SimError
from bot.sim.ecs.faults import FaultSpec
from bot.sim.ecs.resources import (
    AccessKey,
    AccountState,
    AttachResult,
    DetachResult,
    EniStatus,
    EniType,
    Instance,
    InstanceStatus,
    InstanceTypeSpec,
    NetworkInterface,
    Region,
)
from bot.sim.ecs.rules import check_attachable, check_detachable

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
    "World",
]

Clock = Callable[[], float]


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
        attach_delay: float = 2.0,
        owner_id: str = "1234567890123456",
        faults: Iterable[FaultSpec] = (),
        clock: Clock = time.monotonic,
    ) -> None:
        self._lock = threading.RLock()
        self.clock = clock
        self.detach_delay = detach_delay
        self.attach_delay = attach_delay
        self.owner_id = owner_id
        # Faults declared with the world; the simulator registers them when it starts.
        self.faults: tuple[FaultSpec, ...] = tuple(faults)
        self.regions: dict[str, Region] = {r.region_id: r for r in regions}
        self.instance_types: dict[str, InstanceTypeSpec] = {t.name: t for t in instance_types}
        self.access_keys: dict[str, AccessKey] = {k.access_key_id: k for k in access_keys}
        self._instances: dict[str, Instance] = {i.instance_id: i for i in instances}
        self._enis: dict[str, NetworkInterface] = {}
        for eni in network_interfaces:
            _start_clocks(eni, clock())
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
        return self.type_spec(instance_type).eni_hot_plug

    def type_spec(self, instance_type: str) -> InstanceTypeSpec:
        """What the world knows of an instance type; an unknown type has no limits."""
        return self.instance_types.get(instance_type) or InstanceTypeSpec(instance_type)

    def snapshot(self) -> dict[str, Any]:
        """The whole world as plain data, for the control endpoint."""
        with self._lock:
            for eni in self._enis.values():
                self._settle(eni)
            return {
                "detach_delay": self.detach_delay,
                "attach_delay": self.attach_delay,
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
                        "fail_attaches": e.fail_attaches,
                        "attach_delay": e.attach_delay,
                        "tags": dict(e.tags),
                    }
                    for e in self._enis.values()
                ],
            }

    # ---- writes ----

    def detach(self, region_id: str, eni_id: str, instance_id: str) -> DetachResult:
        """Apply DetachNetworkInterface's rules and move the ENI, or raise the code ECS gives."""
        with self._lock:
            eni, instance = self._write_targets(region_id, eni_id, instance_id)
            trunk = self._enis.get(eni.trunk_id or "")
            check_detachable(
                eni,
                instance,
                spec=self.type_spec(instance.instance_type),
                trunk=trunk,
                members=self.trunk_members(eni_id) if eni.type is EniType.TRUNK else [],
            )
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

    def attach(self, region_id: str, eni_id: str, instance_id: str) -> AttachResult:
        """Apply AttachNetworkInterface's rules and start attaching, or raise ECS's code."""
        with self._lock:
            eni, instance = self._write_targets(region_id, eni_id, instance_id)
            held = self._held_by(instance_id)
            check_attachable(
                eni,
                instance,
                spec=self.type_spec(instance.instance_type),
                members=self.trunk_members(eni_id) if eni.type is EniType.TRUNK else [],
                attached=len(held),
            )
            used = {e.device_index for e in held}
            device_index = next(n for n in range(1, len(used) + 2) if n not in used)
            eni.status = EniStatus.ATTACHING
            eni.instance_id = instance_id
            eni.device_index = device_index
            eni.attaching_since = self.clock()
            return AttachResult(eni_id=eni_id, instance_id=instance_id, device_index=device_index)

    def check_region(self, region_id: str, *, for_write: bool = False) -> None:
        """Raise the code ECS gives for an unknown or disabled region."""
        region = self.regions.get(region_id)
        if region is None:
            if for_write:
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
            _start_clocks(eni, self.clock())
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

    # ---- internals (called under the lock) ----

    def _write_targets(
        self, region_id: str, eni_id: str, instance_id: str
    ) -> tuple[NetworkInterface, Instance]:
        """The ENI (settled) and instance a Detach or Attach names, or the not-found codes."""
        self.check_region(region_id, for_write=True)
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
        return eni, instance

    def _held_by(self, instance_id: str) -> list[NetworkInterface]:
        """ENIs that take one of the instance's places now (Members sit on their trunk)."""
        held = []
        for eni in self._enis.values():
            if eni.instance_id == instance_id and eni.type is not EniType.MEMBER:
                self._settle(eni)
                if eni.instance_id == instance_id:
                    held.append(eni)
        return held

    def _settle(self, eni: NetworkInterface) -> None:
        """Finish a detach or an attach whose delay has passed (under the lock, on every read)."""
        now = self.clock()
        if eni.status is EniStatus.DETACHING and eni.stuck_left == 0:
            delay = self.detach_delay if eni.detach_delay is None else eni.detach_delay
            if eni.detaching_since is not None and now - eni.detaching_since >= delay:
                _free(eni)
        elif eni.status is EniStatus.ATTACHING:
            delay = self.attach_delay if eni.attach_delay is None else eni.attach_delay
            if eni.attaching_since is not None and now - eni.attaching_since >= delay:
                if eni.fail_attaches > 0:
                    # ECS: "If the ENI is in the Available state, the ENI failed to be attached."
                    eni.fail_attaches -= 1
                    _free(eni)
                else:
                    eni.status = EniStatus.IN_USE
                    eni.attaching_since = None


def _free(eni: NetworkInterface) -> None:
    """The ENI is Available again, attached to nothing."""
    eni.status = EniStatus.AVAILABLE
    eni.instance_id = None
    eni.device_index = None
    eni.detaching_since = None
    eni.attaching_since = None


def _start_clocks(eni: NetworkInterface, now: float) -> None:
    """A transition's timer starts when the ENI enters it and is dropped when it leaves."""
    if eni.status is EniStatus.DETACHING:
        eni.detaching_since = now if eni.detaching_since is None else eni.detaching_since
    else:
        eni.detaching_since = None
    if eni.status is EniStatus.ATTACHING:
        eni.attaching_since = now if eni.attaching_since is None else eni.attaching_since
    else:
        eni.attaching_since = None


def _copy_eni(eni: NetworkInterface) -> NetworkInterface:
    """A copy safe to render outside the lock (lists and dicts are not shared)."""
    out = copy.copy(eni)
    out.security_group_ids = list(eni.security_group_ids)
    out.tags = dict(eni.tags)
    out.secondary_ips = list(eni.secondary_ips)
    out.ipv6_addresses = list(eni.ipv6_addresses)
    return out
