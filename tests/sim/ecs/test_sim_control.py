"""The /_sim control API: routes, validation, and loopback-only access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import RawCaller, detach_params

from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.control import is_loopback


def call(sim: EcsSimulator, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, f"{sim.url}/_sim/{path}", json=body, timeout=5)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),
        ("192.168.1.1", False),
        ("::ffff:10.0.0.5", False),
        ("fe80::1%eth0", False),
        ("0.0.0.0", False),
        ("not-an-ip", False),
        ("", False),
    ],
)
def test_is_loopback(address: str, expected: bool) -> None:
    assert is_loopback(address) is expected


def test_non_loopback_clients_are_refused(sim: EcsSimulator) -> None:
    for path in ("world", "calls", "faults"):
        reply = sim.control.handle("GET", f"/_sim/{path}", b"", "10.1.2.3")
        assert reply.status == 403
    reply = sim.control.handle("POST", "/_sim/faults", b'{"kind": "throttle"}', "192.0.2.7")
    assert reply.status == 403
    assert sim.faults.list() == []


def test_world_and_calls(sim: EcsSimulator, raw: RawCaller) -> None:
    raw.v3("DetachNetworkInterface", detach_params("eni-sec000001", "i-run000001"))
    raw.v3("DetachNetworkInterface", detach_params("eni-prim00001", "i-run000001"))
    world = call(sim, "GET", "world").json()
    enis = {e["id"]: e for e in world["network_interfaces"]}
    assert enis["eni-sec000001"]["status"] == "Detaching"
    calls = call(sim, "GET", "calls").json()
    assert calls["by_action"] == {"DetachNetworkInterface": 2}
    assert calls["by_result"]["DetachNetworkInterface"] == {
        "OK": 1,
        "InvalidOperation.DetachPrimaryEniNotAllowed": 1,
    }
    assert calls["accepted_detaches"] == {"eni-sec000001": 1}
    assert call(sim, "POST", "reset-counters").status_code == 200
    assert call(sim, "GET", "calls").json()["total"] == 0


def test_change_eni_instance_and_delay(sim: EcsSimulator, raw: RawCaller, clock: Any) -> None:
    assert call(sim, "POST", "world", {"detach_delay": 30}).json() == {
        "detach_delay": 30.0,
        "attach_delay": 2.0,
    }
    assert call(sim, "POST", "instance/i-start0001", {"status": "Running"}).status_code == 200
    assert (
        raw.v3("DetachNetworkInterface", detach_params("eni-start0001", "i-start0001")).status
        == 200
    )
    clock.advance(29)
    assert sim.world.network_interface("eni-start0001").status == "Detaching"  # type: ignore[union-attr]
    assert call(sim, "POST", "eni/eni-start0001", {"status": "InUse"}).status_code == 200
    eni = sim.world.network_interface("eni-start0001")
    assert eni is not None and eni.status == "InUse" and eni.instance_id == "i-start0001"
    assert call(sim, "POST", "eni/eni-free00001",
                {"status": "InUse", "instance_id": "i-run000001"}).status_code == 200  # fmt: skip
    assert (
        raw.v3("DetachNetworkInterface", detach_params("eni-free00001", "i-run000001")).status
        == 200
    )


def test_fault_routes(sim: EcsSimulator) -> None:
    added = call(sim, "POST", "faults", [
        {"kind": "throttle", "times": 2},
        {"kind": "latency", "seconds": 0.1, "action": "DescribeInstances"},
    ]).json()["added"]  # fmt: skip
    assert [f["kind"] for f in added] == ["throttle", "latency"]
    assert len(call(sim, "GET", "faults").json()["faults"]) == 2
    assert call(sim, "DELETE", f"faults/{added[0]['id']}").status_code == 200
    assert call(sim, "DELETE", f"faults/{added[0]['id']}").status_code == 404
    assert call(sim, "DELETE", "faults").json() == {"faults": []}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "faults", {"kind": "explode"}, 400),
        ("POST", "faults", {"kind": "error"}, 400),
        ("POST", "faults", {"kind": "throttle", "times": 0}, 400),
        ("POST", "eni/eni-sec000001", {"status": "Melting"}, 400),
        ("POST", "eni/eni-sec000001", {"colour": "red"}, 400),
        ("POST", "eni/eni-nothing1", {"status": "InUse"}, 404),
        ("POST", "instance/i-nothing01", {"status": "Running"}, 404),
        ("GET", "nowhere", None, 404),
    ],
)
def test_bad_control_requests(
    sim: EcsSimulator, method: str, path: str, body: Any, status: int
) -> None:
    assert call(sim, method, path, body).status_code == status


def test_body_that_is_not_json(sim: EcsSimulator) -> None:
    response = httpx.post(f"{sim.url}/_sim/faults", content=b"{nope", timeout=5)
    assert response.status_code == 400
