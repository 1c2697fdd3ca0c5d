"""Every catalogue code that ECS itself can send, made by the simulator and read by the client.

The seed's 35 codes have their natural triggers in test_error_codes.py; this covers the rest of
the catalogue (gateway, throttling, server codes) with the forced-error fault, and checks that
the client retries exactly the codes the catalogue says it should (a Detach: throttling only).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ecs.catalogue import CATALOGUE, Category, Reaction
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import EcsSimulator, FaultSpec, demo_world

DETACH = "DetachNetworkInterface"
ATTEMPTS = 3
# Codes the client makes up itself (no answer, unreadable answer, no credentials): not ECS's.
CLIENT_SIDE = {Category.TRANSPORT}
SERVER_CODES = sorted(
    code
    for code, entry in CATALOGUE.items()
    if entry.category not in CLIENT_SIDE and not code.startswith(("Credentials.", "Response."))
)


@pytest.fixture
def sim() -> Iterator[EcsSimulator]:
    with EcsSimulator(demo_world()) as simulator:
        yield simulator


def test_catalogue_has_server_codes_beyond_the_seed() -> None:
    assert len(SERVER_CODES) > 35


@pytest.mark.parametrize("code", SERVER_CODES)
def test_catalogue_code_through_simulator_and_client(sim: EcsSimulator, code: str) -> None:
    entry = CATALOGUE[code]
    sim.faults.add(
        FaultSpec(kind="error", action=DETACH, code=code, http_status=entry.http_status, times=10)
    )
    client = EcsClient(
        credentials=StaticCredentials("sim-access-key", "sim-access-secret"),
        endpoint=sim.url,
        retry=RetryPolicy(max_attempts=ATTEMPTS, sleep=lambda _s: None),
    )
    try:
        with pytest.raises(EcsError) as caught:
            client.detach_network_interface(
                "cn-hangzhou", "eni-bp1d7r2k9m4x6c3v5n", "i-bp1a3f9k2m7x4q8w6e"
            )
    finally:
        client.close()
    error = caught.value
    assert (error.code, error.http_status) == (code, entry.http_status)
    assert error.request_id
    assert error.entry.meaning == entry.meaning
    # A Detach is re-sent by the client only after a refusal at the gate (throttling); a server
    # error may have been applied, so it is an unknown outcome, settled by a Describe.
    server_side = entry.category is Category.SERVER or entry.http_status >= 500
    may_have_applied = server_side and entry.category is not Category.THROTTLING
    if may_have_applied:
        assert isinstance(error, OutcomeUnknownError)
        assert error.reaction is Reaction.CHECK_FIRST
    retried = entry.reaction is Reaction.RETRY_NOW and not may_have_applied
    assert sim.calls.total(DETACH) == (ATTEMPTS if retried else 1)
    assert sim.calls.snapshot()["accepted_detaches"] == {}
