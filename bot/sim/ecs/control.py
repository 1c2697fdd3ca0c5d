"""The `/_sim/...` JSON control API: inspect and steer the simulator while it runs.

Only loopback clients are served (anyone else gets 403), so a simulator bound to a public
address for staging cannot be steered from outside.

    GET    /_sim/world               the world, settled to now
    POST   /_sim/world               {"detach_delay": seconds, "attach_delay": seconds}
    GET    /_sim/calls               counters per action, per result, accepted writes per ENI
    POST   /_sim/reset-counters      forget every count
    GET    /_sim/faults              active faults
    POST   /_sim/faults              a fault (see bot.sim.ecs.faults) or a list of them → 201
    DELETE /_sim/faults              drop every fault
    DELETE /_sim/faults/<id>         drop one fault
    POST   /_sim/eni/<id>            change an ENI: status, instance_id, device_index,
                                     stuck_detaches, detach_delay, attach_delay,
                                     fail_attaches, service_managed, linked, tags
    POST   /_sim/instance/<id>       change an instance: status, instance_type
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.sim.ecs.counters import CallCounters
from bot.sim.ecs.faults import ENI_PROPERTY_KINDS, FaultKind, Faults, FaultSpec
from bot.sim.ecs.render import JSON_CONTENT_TYPE, Reply
from bot.sim.ecs.world import EniStatus, InstanceStatus, World

__all__ = ["CONTROL_PREFIX", "ControlApi", "is_loopback"]

CONTROL_PREFIX = "/_sim/"


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; False for anything else or garbage."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


class EniPatch(BaseModel):
    """Fields of an ENI the control API may change."""

    model_config = ConfigDict(extra="forbid")

    status: EniStatus | None = None
    instance_id: str | None = None
    device_index: int | None = Field(default=None, ge=0)
    stuck_detaches: int | None = Field(default=None, ge=0)
    detach_delay: float | None = Field(default=None, ge=0)
    attach_delay: float | None = Field(default=None, ge=0)
    fail_attaches: int | None = Field(default=None, ge=0)
    service_managed: bool | None = None
    linked: bool | None = None
    tags: dict[str, str] | None = None


class InstancePatch(BaseModel):
    """Fields of an instance the control API may change."""

    model_config = ConfigDict(extra="forbid")

    status: InstanceStatus | None = None
    instance_type: str | None = None


class WorldPatch(BaseModel):
    """World-wide settings the control API may change."""

    model_config = ConfigDict(extra="forbid")

    detach_delay: float | None = Field(default=None, ge=0)
    attach_delay: float | None = Field(default=None, ge=0)


_FAULTS = TypeAdapter(FaultSpec | list[FaultSpec])
# The ENI field each ENI-property fault kind sets (as POST /_sim/eni/<id> names it).
_ENI_PROPERTY = {
    FaultKind.STUCK_DETACHING: "stuck_detaches",
    FaultKind.ATTACH_FAILS: "fail_attaches",
}


class ControlApi:
    """Routes control requests; every answer is JSON."""

    def __init__(self, *, world: World, faults: Faults, counters: CallCounters) -> None:
        self.world = world
        self.faults = faults
        self.counters = counters

    def handle(self, method: str, path: str, body: bytes, client: str) -> Reply:
        """Answer one control request from `client` (its IP address)."""
        if not is_loopback(client):
            return _json(403, {"error": "the control endpoint answers loopback clients only"})
        parts = path[len(CONTROL_PREFIX) :].strip("/").split("/")
        try:
            payload = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError as exc:
            return _json(400, {"error": f"body is not JSON: {exc.msg}"})
        try:
            return self._route(method, parts, payload)
        except ValidationError as exc:
            return _json(400, {"error": "invalid body", "details": exc.errors(include_url=False)})

    def _route(self, method: str, parts: list[str], payload: Any) -> Reply:
        head, rest = parts[0], parts[1:]
        if head == "world" and not rest:
            if method == "GET":
                return _json(200, self.world.snapshot())
            if method == "POST":
                patch = WorldPatch.model_validate(payload)
                if patch.detach_delay is not None:
                    self.world.detach_delay = patch.detach_delay
                if patch.attach_delay is not None:
                    self.world.attach_delay = patch.attach_delay
                delays = {"detach_delay": self.world.detach_delay}
                return _json(200, {**delays, "attach_delay": self.world.attach_delay})
        if head == "calls" and not rest and method == "GET":
            return _json(200, self.counters.snapshot())
        if head == "reset-counters" and not rest and method == "POST":
            self.counters.reset()
            return _json(200, {"reset": True})
        if head == "faults":
            return self._faults(method, rest, payload)
        if head == "eni" and len(rest) == 1 and method == "POST":
            changes = EniPatch.model_validate(payload).model_dump(exclude_unset=True)
            try:
                self.world.update_network_interface(rest[0], changes)
            except KeyError:
                return _json(404, {"error": f"no ENI {rest[0]}"})
            return _json(200, {"updated": rest[0]})
        if head == "instance" and len(rest) == 1 and method == "POST":
            changes = InstancePatch.model_validate(payload).model_dump(exclude_none=True)
            try:
                self.world.update_instance(rest[0], changes)
            except KeyError:
                return _json(404, {"error": f"no instance {rest[0]}"})
            return _json(200, {"updated": rest[0]})
        return _json(404, {"error": f"no control route {method} /_sim/{'/'.join(parts)}"})

    def _faults(self, method: str, rest: list[str], payload: Any) -> Reply:
        if method == "GET" and not rest:
            return _json(200, {"faults": self.faults.list()})
        if method == "DELETE" and not rest:
            self.faults.clear()
            return _json(200, {"faults": []})
        if method == "DELETE" and len(rest) == 1 and rest[0].isdigit():
            if self.faults.remove(int(rest[0])):
                return _json(200, {"removed": int(rest[0])})
            return _json(404, {"error": f"no fault {rest[0]}"})
        if method == "POST" and not rest:
            parsed = _FAULTS.validate_python(payload)
            specs = parsed if isinstance(parsed, list) else [parsed]
            added = []
            for spec in specs:
                if spec.kind in ENI_PROPERTY_KINDS:
                    assert spec.eni_id is not None  # checked by FaultSpec
                    field = _ENI_PROPERTY[spec.kind]
                    try:
                        self.world.update_network_interface(spec.eni_id, {field: spec.times or 0})
                    except KeyError:
                        return _json(404, {"error": f"no ENI {spec.eni_id}"})
                    added.append({"kind": str(spec.kind), "eni_id": spec.eni_id})
                else:
                    added.append(self.faults.add(spec).as_dict())
            return _json(201, {"added": added})
        return _json(404, {"error": "no such faults route"})


def _json(status: int, body: Any) -> Reply:
    return Reply(
        status=status,
        body=json.dumps(body, default=str).encode(),
        headers={"Content-Type": JSON_CONTENT_TYPE},
    )
