"""`fault …` lines become the simulator's own faults and stuck ENIs."""

from __future__ import annotations

import pytest

from bot.console import faults
from bot.console.repl import FaultCommand, parse_line
from bot.sim.ecs.server import EcsSimulator

STUCK_ENI = "eni-bp1d7r2k9m4x6c3v5n"


def _fault(simulator: EcsSimulator, line: str) -> list[str]:
    command = parse_line(line)
    assert isinstance(command, FaultCommand)
    return faults.apply(simulator, command)


def test_faults_are_registered_listed_and_cleared() -> None:
    sim = EcsSimulator()
    assert _fault(sim, "fault throttle 2") == [
        "fault set: ECS answers Throttling.User to any action, next 2 call(s)"
    ]
    _fault(sim, "fault 5xx")
    _fault(sim, "fault latency 1.5 3")
    _fault(sim, f"fault error Forbidden.RAM {STUCK_ENI}")
    listed = _fault(sim, "fault list")
    assert "ECS answers ServiceUnavailable (5xx) to any action, next 1 call(s)" in listed
    assert "ECS takes 1.5 s longer to any action, next 3 call(s)" in listed
    assert (
        f"ECS answers Forbidden.RAM to DetachNetworkInterface on {STUCK_ENI}, next 1 call(s)"
        in listed
    )
    assert len(sim.faults.list()) == 4
    _fault(sim, "fault clear")
    assert sim.faults.list() == []


def test_stuck_makes_the_eni_ignore_detaches() -> None:
    sim = EcsSimulator()
    assert _fault(sim, f"fault stuck {STUCK_ENI} 2") == [
        f"{STUCK_ENI} will stay Detaching until detached 2 more time(s)"
    ]
    eni = sim.world.network_interface(STUCK_ENI)
    assert eni is not None and eni.stuck_left == 2
    assert f"{STUCK_ENI} ignores the next 2 detach(es)" in _fault(sim, "fault list")


def test_an_unknown_eni_cannot_be_made_stuck() -> None:
    with pytest.raises(LookupError, match="no ENI eni-nope"):
        _fault(EcsSimulator(), "fault stuck eni-nope")


def test_an_error_fault_answers_that_many_detaches_of_that_eni_then_stops() -> None:
    sim = EcsSimulator()
    assert _fault(sim, f"fault error OperationConflict {STUCK_ENI} 2") == [
        "fault set: ECS answers OperationConflict to DetachNetworkInterface on "
        f"{STUCK_ENI}, next 2 call(s)"
    ]
    other = "eni-bp1s4t8u2c6k9d3e5f"
    detach = "DetachNetworkInterface"
    assert sim.faults.fire(detach, [other]).error is None  # another ENI is not touched
    assert sim.faults.fire("DescribeNetworkInterfaces", [STUCK_ENI]).error is None
    for _ in range(2):
        fired = sim.faults.fire(detach, [STUCK_ENI]).error
        assert fired is not None and fired.code == "OperationConflict"
    assert sim.faults.fire(detach, [STUCK_ENI]).error is None
    assert sim.faults.list() == []
