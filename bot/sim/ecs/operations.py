"""The ECS operations the simulator serves: dispatch, and the parameter rules of the two writes.

DetachNetworkInterface and AttachNetworkInterface check, in order: required params → OwnerId
shape → parameters ECS refuses or checks the shape of → ID shapes → account and RAM conditions
of the key → the world's rules (region, instance, ENI, then rules.py). The Describe operations
are in describe.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.sim.ecs.codes import SimError, invalid, missing
from bot.sim.ecs.describe import INDEXED_ENI, MAX_IDS, describe_instances
from bot.sim.ecs.describe import describe_network_interfaces as _describe_enis
from bot.sim.ecs.resources import AccessKey, AccountState
from bot.sim.ecs.world import World

__all__ = [
    "ACTIONS",
    "API_VERSION",
    "ATTACH",
    "DETACH",
    "MAX_IDS",
    "WRITES",
    "Operations",
]

API_VERSION = "2014-05-26"
DETACH = "DetachNetworkInterface"
ATTACH = "AttachNetworkInterface"
WRITES = (DETACH, ATTACH)
INSTANCE_ID_RE = re.compile(r"^i-[a-z0-9]{6,40}$")
ENI_ID_RE = re.compile(r"^eni-[a-z0-9]{6,40}$")
_INTEGER = re.compile(r"^[0-9]{1,20}$")

# (action, eni_id): told about every write the world accepted, for the counters.
OnAccepted = Callable[[str, str], None]


class Operations:
    """Runs one authenticated call against the world and returns the response body."""

    def __init__(self, world: World, on_accepted: OnAccepted) -> None:
        self.world = world
        self._on_accepted = on_accepted
        self._handlers: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            DETACH: self.detach_network_interface,
            ATTACH: self.attach_network_interface,
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
        if action in WRITES:
            return [params["NetworkInterfaceId"]] if params.get("NetworkInterfaceId") else []
        if action == "DescribeNetworkInterfaces":
            return [v for k, v in params.items() if INDEXED_ENI.match(k)]
        return []

    # ---- the writes ----

    def detach_network_interface(self, params: dict[str, str]) -> dict[str, Any]:
        """Start detaching an ENI; only the request ID comes back (the operation is async)."""
        region_id, eni_id, instance_id = _write_params(params)
        result = self.world.detach(region_id, eni_id, instance_id)
        self._on_accepted(DETACH, result.eni_id)
        return {}

    def attach_network_interface(self, params: dict[str, str]) -> dict[str, Any]:
        """Start attaching an ENI; only the request ID comes back (Attaching → InUse later)."""
        if "NetworkCardIndex" in params and not _INTEGER.match(params["NetworkCardIndex"]):
            raise invalid("NetworkCardIndex")
        wait = params.get("WaitForNetworkConfigurationReady")
        if wait is not None and wait.lower() not in ("true", "false"):
            raise invalid("WaitForNetworkConfigurationReady")
        region_id, eni_id, instance_id = _write_params(params)
        result = self.world.attach(region_id, eni_id, instance_id)
        self._on_accepted(ATTACH, result.eni_id)
        return {}

    # ---- the reads ----

    def describe_network_interfaces(self, params: dict[str, str]) -> dict[str, Any]:
        """ENIs of a region by ID and ECS's filters, paged (see describe.py)."""
        return _describe_enis(self.world, params)

    def describe_instances(self, params: dict[str, str]) -> dict[str, Any]:
        """Instances of a region by ID, paged (see describe.py)."""
        return describe_instances(self.world, params)


def _write_params(params: dict[str, str]) -> tuple[str, str, str]:
    """RegionId, NetworkInterfaceId, InstanceId of a Detach or Attach, shapes checked."""
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
    return params["RegionId"], eni_id, instance_id


def _check_account(key: AccessKey, action: str) -> None:
    """Account-level refusals configured on the key (no natural trigger in the world)."""
    if key.account is AccountState.NOT_FOUND:
        raise SimError("Abs.InvalidAccount.NotFound")
    if key.account is AccountState.UNSUPPORTED_USER_TYPE:
        raise SimError("InvalidUserType.NotSupported")
    if action in WRITES:
        # An account in arrears, or without a service a write needs, may still read.
        if key.account is AccountState.NOT_ENOUGH_BALANCE:
            raise SimError("InvalidAccountStatus.NotEnoughBalance")
        if key.account is AccountState.SNAPSHOT_SERVICE_UNAVAILABLE:
            raise SimError("InvalidAccountStatus.SnapshotServiceUnavailable")
    denied = key.denied_actions.get(action)
    if denied:
        raise SimError(denied, f"You are not authorized to perform {action}.")


ACTIONS: tuple[str, ...] = (
    DETACH,
    ATTACH,
    "DescribeNetworkInterfaces",
    "DescribeInstances",
)
