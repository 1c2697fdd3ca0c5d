"""World fixtures: a YAML or JSON file that describes regions, instances, ENIs, keys and faults.

Format (every key but the IDs is optional; unknown keys are errors)::

    detach_delay: 2.0              # seconds an ENI stays Detaching before it is Available
    attach_delay: 2.0              # seconds an ENI stays Attaching before it is InUse
    owner_id: "1234567890123456"   # account ID shown as OwnerId
    regions:
      - id: cn-hangzhou
        enabled: true              # false: every call in it answers Forbidden.RegionId
        zones: [cn-hangzhou-h]
    instance_types:
      - name: ecs.t5-lc1m1.small
        eni_hot_plug: false        # running: HotPlugNotSupport (detach), InvalidEcsState (attach)
        eni_limit: 2               # ENIs it holds, primary included: EniPerInstanceLimitExceeded
        ipv4_per_eni: 2            # private IPv4s per ENI: InvalidOperation.Ipv4CountExceeded
        eni_supported: true        # false: InvalidOperation.InvalidGeneration
        ipv6: true                 # false: InvalidOperation.Ipv6NotSupport for IPv6 ENIs
    access_keys:                   # added to the simulator's key pairs
      - id: ram-user-key
        secret: ram-user-secret
        security_token: null       # set: requests must carry it (STS credentials)
        security_token_expired: false   # true: InvalidSecurityToken.Expired
        account: active            # not_found | unsupported_user_type | not_enough_balance |
                                   # snapshot_service_unavailable (the last two: writes only)
        denied_actions:   # action → Forbidden.RAM | .SubUser | .NotSupportRAM | .Unauthorized
          DetachNetworkInterface: Forbidden.SubUser
    instances:
      - id: i-bp1a2b3c4d5e6f7g8h9i
        region: cn-hangzhou
        zone: cn-hangzhou-h        # default: the region's first zone
        status: Running            # Pending | Running | Starting | Stopping | Stopped
        instance_type: ecs.g7.large
        name: web-1
        vpc_id: vpc-...
        vswitch_id: vsw-...
        private_ip: 10.0.1.10
    network_interfaces:
      - id: eni-bp1a2b3c4d5e6f7g8h9i
        region: cn-hangzhou
        zone: cn-hangzhou-h        # default: the instance's zone, else the region's first
        type: Secondary            # Primary | Secondary | Trunk | Member
        status: InUse              # Available | Attaching | InUse | Detaching | Deleting
        instance_id: i-bp1...      # required unless Available
        device_index: 1
        trunk_id: eni-...          # Member ENIs: the Trunk ENI they hang off
        vpc_id: vpc-...            # default: the instance's
        vswitch_id: vsw-...
        private_ip: 10.0.1.11
        secondary_ips: [10.0.1.12] # more private IPv4 addresses
        ipv6_addresses: []
        mac: 00:16:3e:12:34:56     # default: derived from the ID
        security_groups: [sg-...]
        name: app-eni
        description: ...
        tags: {team: net}
        service_managed: false     # true: EniServiceManaged
        service_id: "12345678"
        linked: false              # true: EniLinked
        detach_delay: null         # overrides the world's delay for this ENI
        stuck_detaches: 0          # N: stays Detaching until re-detached N more times
        attach_delay: null         # overrides the world's attach delay for this ENI
        fail_attaches: 0           # N: the next N attaches fall back to Available
    faults:                        # see bot.sim.ecs.faults
      - {kind: throttle, action: DescribeNetworkInterfaces, times: 2, retry_after_ms: 200}

Validation errors name the file and the path of the bad entry (`network_interfaces[2].instance_id`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.sim.ecs.faults import ENI_PROPERTY_KINDS, FaultKind, FaultSpec
from bot.sim.ecs.world import (
    AccessKey,
    AccountState,
    EniStatus,
    EniType,
    Instance,
    InstanceStatus,
    InstanceTypeSpec,
    NetworkInterface,
    Region,
    World,
)

__all__ = ["FixtureError", "WorldFixture", "load_world", "parse_world"]

_ID = r"^[a-z0-9][a-z0-9-]*$"
PermissionCode = Literal[
    "Forbidden.RAM", "Forbidden.SubUser", "Forbidden.NotSupportRAM", "Forbidden.Unauthorized"
]


class FixtureError(ValueError):
    """A fixture file that cannot be read or does not describe a consistent world."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegionFixture(_Model):
    """A region entry."""

    id: str = Field(pattern=_ID)
    enabled: bool = True
    zones: list[str] = Field(default_factory=list)


class InstanceTypeFixture(_Model):
    """An instance type entry."""

    name: str
    eni_hot_plug: bool = True
    eni_limit: int | None = Field(default=None, ge=1)
    ipv4_per_eni: int | None = Field(default=None, ge=1)
    eni_supported: bool = True
    ipv6: bool = True


class AccessKeyFixture(_Model):
    """A key pair entry (secrets here are test secrets, never real ones)."""

    id: str = Field(min_length=1)
    secret: str = Field(min_length=1, repr=False)
    security_token: str | None = Field(default=None, repr=False)
    security_token_expired: bool = False
    account: AccountState = AccountState.ACTIVE
    denied_actions: dict[str, PermissionCode] = Field(default_factory=dict)


class InstanceFixture(_Model):
    """An instance entry."""

    id: str = Field(pattern=r"^i-[a-z0-9]+$")
    region: str
    zone: str | None = None
    status: InstanceStatus = InstanceStatus.RUNNING
    instance_type: str = "ecs.g7.large"
    name: str = ""
    vpc_id: str = ""
    vswitch_id: str = ""
    private_ip: str = ""


class NetworkInterfaceFixture(_Model):
    """An ENI entry."""

    id: str = Field(pattern=r"^eni-[a-z0-9]+$")
    region: str
    zone: str | None = None
    type: EniType = EniType.SECONDARY
    status: EniStatus = EniStatus.AVAILABLE
    instance_id: str | None = None
    device_index: int | None = Field(default=None, ge=0)
    trunk_id: str | None = None
    vpc_id: str | None = None
    vswitch_id: str | None = None
    private_ip: str = ""
    secondary_ips: list[str] = Field(default_factory=list)
    ipv6_addresses: list[str] = Field(default_factory=list)
    mac: str | None = None
    security_groups: list[str] = Field(default_factory=list)
    name: str = ""
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    service_managed: bool = False
    service_id: str | None = None
    linked: bool = False
    detach_delay: float | None = Field(default=None, ge=0)
    stuck_detaches: int = Field(default=0, ge=0)
    attach_delay: float | None = Field(default=None, ge=0)
    fail_attaches: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> NetworkInterfaceFixture:
        if self.status is EniStatus.AVAILABLE and self.instance_id is not None:
            raise ValueError("an Available ENI has no instance_id")
        if self.status is not EniStatus.AVAILABLE and self.instance_id is None:
            raise ValueError(f"a {self.status} ENI needs instance_id")
        if self.type is EniType.PRIMARY and self.status is EniStatus.AVAILABLE:
            raise ValueError("a Primary ENI is always attached")
        if (self.type is EniType.MEMBER) != (self.trunk_id is not None):
            raise ValueError("trunk_id is set exactly on Member ENIs")
        return self


class WorldFixture(_Model):
    """The whole fixture file."""

    detach_delay: float = Field(default=2.0, ge=0)
    attach_delay: float = Field(default=2.0, ge=0)
    owner_id: str = "1234567890123456"
    regions: list[RegionFixture] = Field(min_length=1)
    instance_types: list[InstanceTypeFixture] = Field(default_factory=list)
    access_keys: list[AccessKeyFixture] = Field(default_factory=list)
    instances: list[InstanceFixture] = Field(default_factory=list)
    network_interfaces: list[NetworkInterfaceFixture] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_references(self) -> WorldFixture:
        problems: list[str] = []
        regions = {r.id for r in self.regions}
        _duplicates("regions", [r.id for r in self.regions], problems)
        _duplicates("instances", [i.id for i in self.instances], problems)
        _duplicates("network_interfaces", [e.id for e in self.network_interfaces], problems)
        _duplicates("access_keys", [k.id for k in self.access_keys], problems)
        instances = {i.id: i for i in self.instances}
        enis = {e.id: e for e in self.network_interfaces}
        for n, inst in enumerate(self.instances):
            if inst.region not in regions:
                problems.append(f"instances[{n}].region: {inst.region} is not in regions")
        primaries: dict[str, str] = {}
        for n, eni in enumerate(self.network_interfaces):
            where = f"network_interfaces[{n}]"
            if eni.region not in regions:
                problems.append(f"{where}.region: {eni.region} is not in regions")
            if eni.instance_id is not None:
                owner = instances.get(eni.instance_id)
                if owner is None:
                    problems.append(f"{where}.instance_id: {eni.instance_id} is not an instance")
                elif owner.region != eni.region:
                    problems.append(f"{where}.instance_id: {eni.instance_id} is in {owner.region}")
            if eni.type is EniType.PRIMARY and eni.instance_id is not None:
                if eni.instance_id in primaries:
                    problems.append(f"{where}: {eni.instance_id} already has a Primary ENI")
                primaries[eni.instance_id] = eni.id
            if eni.trunk_id is not None:
                trunk = enis.get(eni.trunk_id)
                if trunk is None or trunk.type is not EniType.TRUNK:
                    problems.append(f"{where}.trunk_id: {eni.trunk_id} is not a Trunk ENI")
        for n, fault in enumerate(self.faults):
            if fault.eni_id is not None and fault.eni_id not in enis:
                problems.append(f"faults[{n}].eni_id: {fault.eni_id} is not an ENI")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _duplicates(section: str, ids: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            problems.append(f"{section}: duplicate id {value}")
        seen.add(value)


def _mac(eni_id: str) -> str:
    """A stable Alibaba-looking MAC (00:16:3e is Alibaba Cloud's prefix) derived from the ID."""
    digest = hashlib.sha256(eni_id.encode()).digest()
    return "00:16:3e:" + ":".join(f"{b:02x}" for b in digest[:3])


def build_world(fixture: WorldFixture, *, clock: Any = time.monotonic) -> World:
    """Turn a validated fixture into a live World."""
    zones = {r.id: r.zones for r in fixture.regions}
    instances = {i.id: i for i in fixture.instances}

    def first_zone(region: str) -> str:
        return zones[region][0] if zones[region] else f"{region}-a"

    world_instances = [
        Instance(
            instance_id=i.id,
            region_id=i.region,
            zone_id=i.zone or first_zone(i.region),
            status=i.status,
            instance_type=i.instance_type,
            name=i.name,
            vpc_id=i.vpc_id,
            vswitch_id=i.vswitch_id,
            private_ip=i.private_ip,
        )
        for i in fixture.instances
    ]
    owner_zone = {i.instance_id: i.zone_id for i in world_instances}
    enis = []
    stuck_faults = _property_faults(fixture.faults, FaultKind.STUCK_DETACHING)
    failing_faults = _property_faults(fixture.faults, FaultKind.ATTACH_FAILS)
    for e in fixture.network_interfaces:
        owner = instances.get(e.instance_id or "")
        enis.append(
            NetworkInterface(
                eni_id=e.id,
                region_id=e.region,
                zone_id=e.zone or (owner_zone[owner.id] if owner else first_zone(e.region)),
                type=e.type,
                status=e.status,
                instance_id=e.instance_id,
                device_index=e.device_index
                if e.device_index is not None or e.instance_id is None
                else (0 if e.type is EniType.PRIMARY else 1),
                trunk_id=e.trunk_id,
                vpc_id=e.vpc_id if e.vpc_id is not None else (owner.vpc_id if owner else ""),
                vswitch_id=e.vswitch_id
                if e.vswitch_id is not None
                else (owner.vswitch_id if owner else ""),
                private_ip=e.private_ip,
                secondary_ips=list(e.secondary_ips),
                ipv6_addresses=list(e.ipv6_addresses),
                mac=e.mac or _mac(e.id),
                security_group_ids=list(e.security_groups),
                name=e.name,
                description=e.description,
                tags=dict(e.tags),
                service_managed=e.service_managed,
                service_id=e.service_id,
                linked=e.linked,
                detach_delay=e.detach_delay,
                stuck_left=stuck_faults.get(e.id, e.stuck_detaches),
                attach_delay=e.attach_delay,
                fail_attaches=failing_faults.get(e.id, e.fail_attaches),
            )
        )
    return World(
        regions=[Region(r.id, r.enabled, tuple(r.zones)) for r in fixture.regions],
        instances=world_instances,
        network_interfaces=enis,
        instance_types=[
            InstanceTypeSpec(
                t.name,
                eni_hot_plug=t.eni_hot_plug,
                eni_limit=t.eni_limit,
                ipv4_per_eni=t.ipv4_per_eni,
                eni_supported=t.eni_supported,
                ipv6=t.ipv6,
            )
            for t in fixture.instance_types
        ],
        access_keys=[
            AccessKey(
                access_key_id=k.id,
                secret=k.secret,
                security_token=k.security_token,
                security_token_expired=k.security_token_expired,
                account=k.account,
                denied_actions=dict(k.denied_actions),
            )
            for k in fixture.access_keys
        ],
        detach_delay=fixture.detach_delay,
        attach_delay=fixture.attach_delay,
        owner_id=fixture.owner_id,
        faults=[f for f in fixture.faults if f.kind not in ENI_PROPERTY_KINDS],
        clock=clock,
    )


def _property_faults(faults: list[FaultSpec], kind: FaultKind) -> dict[str, int]:
    """ENI → count for the faults of `kind` that set a property of one ENI."""
    return {f.eni_id: f.times or 0 for f in faults if f.kind is kind and f.eni_id}


def parse_world(data: Mapping[str, Any], *, source: str = "<fixture>") -> WorldFixture:
    """Validate fixture data; errors become one FixtureError naming `source` and each bad path."""
    try:
        return WorldFixture.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            path = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]
            ).lstrip(".")
            lines.append(f"{path or '(top level)'}: {err['msg']}")
        # One line, so `eni-bot ecs-sim` can print it as its one-line reason (CONTRACT.md).
        raise FixtureError(f"{source}: invalid world fixture: " + "; ".join(lines)) from None


def load_world(path: str | Path, *, clock: Any = time.monotonic) -> World:
    """Read a YAML (.yaml/.yml) or JSON fixture file into a World, with readable errors."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"{file}: cannot read fixture: {exc.strerror}") from None
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise FixtureError(
            f"{file}: not valid {file.suffix.lstrip('.') or 'YAML'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise FixtureError(f"{file}: a world fixture is a mapping at the top level")
    return build_world(parse_world(data, source=str(file)), clock=clock)


def demo_world(*, clock: Any = time.monotonic) -> World:
    """The built-in demo world (bot/sim/ecs/demo_world.yaml) the console and ecs-sim serve."""
    return load_world(Path(__file__).with_name("demo_world.yaml"), clock=clock)
