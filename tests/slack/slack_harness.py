"""The bot served on loopback, driven by signed HTTP as Slack drives it, against stand-ins.

A harness is the shared test stack (tests/support/stack.py) as these tests build it: the real
HTTP server (waitress + Bolt) on a SQLite file, an ECS client on the ECS simulator's demo
world, a WebClient on the Slack Web API stand-in, and a SlackSender signing requests with the
same secret. No workers run: what the relay would post stays in the outbox.
"""

from __future__ import annotations

from support.stack import (
    APPROVER,
    APPROVER_GROUP,
    CHANNEL,
    GROUP_APPROVER,
    OUTSIDER,
    REQUESTER,
    Stack,
    StackFactory,
)
from support.stack import SIGNING_SECRET as SECRET

__all__ = [
    "APPROVER",
    "APPROVER_GROUP",
    "CHANNEL",
    "ENI",
    "GROUP_APPROVER",
    "OUTSIDER",
    "REQUESTER",
    "SECRET",
    "Harness",
    "HarnessFactory",
    "submit_request",
]

Harness = Stack
HarnessFactory = StackFactory

# From the demo world (bot/sim/ecs/demo_world.yaml).
ENI = "eni-bp1d7r2k9m4x6c3v5n"  # secondary of web-1, InUse
ENI_2 = "eni-bp1k2j3h4g5f6d7s8a"  # secondary of db-standby (Stopped)
INSTANCE = "i-bp1a3f9k2m7x4q8w6e"  # web-1, Running
OTHER_INSTANCE = "i-bp1s5t4o3p2d1x9y8z7w"  # db-standby
PRIMARY_ENI = "eni-bp1p8r1m9a2y3x4c5v"
MANAGED_ENI = "eni-bp1n5m6s7v8c9x2z3a"
FREE_ENI = "eni-bp1f3g7h1j5k9l2z6x"  # Available, not attached
STARTING_ENI = "eni-bp1w6e2r8t4y1u7i3o"  # on build-runner, which is Starting
MEMBER_ENI = "eni-bp1m2e3m4b5r6x7y8z"
SHANGHAI_ENI = "eni-uf6a8s2d4f6g9h1j3k"


def submit_request(harness: Harness, eni: str = ENI, user: str = REQUESTER) -> int:
    """Create a pending request through `/eni detach` and return its ID."""
    before = {r.id for r in harness.requests()}
    post = harness.run(f"detach {eni} moving the app network to the new node", user)
    assert "waiting for approval" in post.text, post.text
    (new,) = [r.id for r in harness.requests() if r.id not in before]
    return new
