"""`fault …`: steering the embedded ECS simulator through its own Python API.

Faults are the simulator's (bot.sim.ecs.faults); a stuck ENI is a property of the ENI in the
simulated world. Nothing here touches the bot.
"""

from __future__ import annotations

from typing import Any

from bot.console.repl import FaultCommand, FaultKind
from bot.sim.ecs.faults import FaultKind as SimFaultKind
from bot.sim.ecs.faults import FaultSpec
from bot.sim.ecs.server import EcsSimulator

__all__ = ["apply", "describe", "spec_for"]

_DETACH = "DetachNetworkInterface"


def apply(simulator: EcsSimulator, command: FaultCommand) -> list[str]:
    """Carry out one `fault` command; returns what to tell the person. LookupError: no such ENI."""
    kind = command.kind
    if kind is FaultKind.LIST:
        stuck = [
            f"{eni['id']} ignores the next {eni['stuck_detaches']} detach(es)"
            for eni in simulator.world.snapshot()["network_interfaces"]
            if eni["stuck_detaches"]
        ]
        return [describe(f) for f in simulator.faults.list()] + stuck or ["no faults"]
    if kind is FaultKind.CLEAR:
        simulator.faults.clear()
        return ["faults cleared (stuck ENIs stay stuck)"]
    if kind is FaultKind.STUCK:
        eni_id = command.eni_id or ""
        try:
            simulator.world.update_network_interface(eni_id, {"stuck_detaches": command.times})
        except KeyError:
            raise LookupError(f"the simulator has no ENI {eni_id}; see `world`") from None
        return [f"{eni_id} will stay Detaching until detached {command.times} more time(s)"]
    spec = spec_for(command)
    simulator.faults.add(spec)
    return [f"fault set: {describe(spec.model_dump())}"]


def spec_for(command: FaultCommand) -> FaultSpec:
    """The simulator fault for throttle, 5xx, latency and error commands."""
    kind = command.kind
    if kind is FaultKind.THROTTLE:
        return FaultSpec(kind=SimFaultKind.THROTTLE, times=command.times)
    if kind is FaultKind.SERVER_ERROR:
        return FaultSpec(kind=SimFaultKind.SERVER_ERROR, times=command.times)
    if kind is FaultKind.LATENCY:
        return FaultSpec(
            kind=SimFaultKind.LATENCY, seconds=command.seconds or 0, times=command.times
        )
    if kind is FaultKind.ERROR:
        # An error fault answers the detach itself, so pre-flight (Describe) passes and the
        # request fails at execution, where the bot explains the code in plain words.
        return FaultSpec(
            kind=SimFaultKind.ERROR,
            action=_DETACH,
            code=command.code,
            eni_id=command.eni_id,
            times=command.times,
        )
    raise ValueError(f"{kind} is not a simulator fault")


def describe(fault: dict[str, Any]) -> str:
    """A fault (as the simulator lists it, or a spec's dump) in words."""
    kind = str(fault.get("kind"))
    times = fault.get("remaining", fault.get("times"))
    count = "every call" if times is None else f"next {times} call(s)"
    what = {
        "throttle": f"ECS answers {fault.get('code') or 'Throttling.User'}",
        "server_error": f"ECS answers {fault.get('code') or 'ServiceUnavailable'} (5xx)",
        "latency": f"ECS takes {fault.get('seconds')} s longer",
        "error": f"ECS answers {fault.get('code')}",
        "drop_connection": "ECS applies the call and drops the connection",
    }.get(kind, kind)
    scope = fault.get("action") or "any action"
    if fault.get("eni_id"):
        scope += f" on {fault['eni_id']}"
    return f"{what} to {scope}, {count}"
