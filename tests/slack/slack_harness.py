"""The bot served on loopback, driven by signed HTTP as Slack drives it, against stand-ins.

`harness` = the real HTTP server (waitress + Bolt) on a SQLite file, an ECS client on the ECS
simulator's demo world, a WebClient on the Slack Web API stand-in, and a SlackSender signing
requests with the same secret. No workers run: what the relay would post stays in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot import db
from bot.outbox.models import OutboxMessage
from bot.requests.models import DetachRequest
from bot.runtime import Runtime
from bot.sim.ecs import EcsSimulator
from bot.sim.slack.records import Message, ResponsePost
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.webapi import SlackWebApiStandIn
from bot.slack.blocks.card import approval_card
from bot.slack.server import HttpServer

SECRET = "test-signing-secret"
CHANNEL = "C0ENIOPS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
GROUP_APPROVER = "U0APPROVER2"
OUTSIDER = "U0OUTSIDER"
APPROVER_GROUP = "S0APPROVERS"

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


@dataclass
class Harness:
    """Everything a test drives or inspects."""

    runtime: Runtime
    server: HttpServer
    sender: SlackSender
    slack: SlackWebApiStandIn
    ecs: EcsSimulator

    @property
    def events_url(self) -> str:
        return self.server.url + "/slack/events"

    def command(self, text: str, user: str = REQUESTER, **kwargs: Any) -> Any:
        """Type `/eni <text>`; returns the HTTP response."""
        return self.sender.command(text, user_id=user, channel_id=CHANNEL, **kwargs)

    def last_response_url(self) -> str:
        assert self.sender.last is not None and self.sender.last.response_url
        return self.sender.last.response_url

    def wait_response(self, url: str | None = None, count: int = 1) -> ResponsePost:
        """The `count`-th post to a response_url (the last one sent by default)."""
        target = url or self.last_response_url()
        posts = self.slack.wait_for(
            lambda s: found if len(found := s.responses(target)) >= count else None
        )
        return posts[count - 1]

    def run(self, text: str, user: str = REQUESTER) -> ResponsePost:
        """Type a command that answers through response_url, and wait for that answer."""
        response = self.command(text, user)
        assert response.status_code == 200, response.text
        return self.wait_response()

    def requests(self) -> list[DetachRequest]:
        with db.transaction(self.runtime.sessions) as session:
            return list(session.scalars(select(DetachRequest).order_by(DetachRequest.id)))

    def outbox(self) -> list[OutboxMessage]:
        with db.transaction(self.runtime.sessions) as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def count_rows(self) -> tuple[int, int]:
        with db.transaction(self.runtime.sessions) as session:
            requests = session.scalar(select(func.count()).select_from(DetachRequest)) or 0
            outbox = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            return requests, outbox

    def channel_posts(self) -> int:
        return len(self.slack.calls("chat.postMessage"))


HarnessFactory = Callable[..., Harness]


def post_card(harness: Harness, request_id: int) -> Message:
    """Post the approval card as the relay would (bot.slack.blocks.card), so it can be clicked."""
    with db.transaction(harness.runtime.sessions) as session:
        request = session.get(DetachRequest, request_id)
        assert request is not None
        rendered = approval_card(request)
        channel = request.channel_id
    answer = harness.runtime.slack.chat_postMessage(
        channel=channel, text=rendered.text, blocks=rendered.blocks
    )
    message = harness.slack.message(channel, str(answer["ts"]))
    assert message is not None
    return message


def submit_request(harness: Harness, eni: str = ENI, user: str = REQUESTER) -> int:
    """Create a pending request through `/eni detach` and return its ID."""
    before = {r.id for r in harness.requests()}
    post = harness.run(f"detach {eni} moving the app network to the new node", user)
    assert "waiting for approval" in post.text, post.text
    (new,) = [r.id for r in harness.requests() if r.id not in before]
    return new
