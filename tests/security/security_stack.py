"""The whole bot on loopback for security tests: the shared stack, its secrets made findable.

Everything is real and talks over sockets (tests/support/stack.py): waitress serving the Bolt
app, the four worker threads, the ECS simulator (which here also keeps every raw request it
received, so a test can look for secrets on the wire: `wire(bot)`) and the Slack Web API
stand-in (which records every call). Settings hold distinctive secret values, so a leak
anywhere can be found by plain substring search.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from slack_bolt import App
from sqlalchemy import Engine, MetaData, func, select

from bot.bootstrap import build_app
from bot.config import Settings
from bot.runtime import Runtime
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.auth import WireRequest
from bot.sim.ecs.render import Reply
from bot.sim.ecs.service import EcsService
from bot.sim.ecs.world import World
from bot.sim.slack.records import RecordedCall
from bot.sim.slack.webapi import SlackWebApiStandIn
from bot.slack.auth import People

from support.stack import (
    APPROVER,
    APPROVER_GROUP,
    CHANNEL,
    FAST,
    GROUP_APPROVER,
    INCIDENTS,
    OUTSIDER,
    REQUESTER,
    Stack,
    build_stack,
)

__all__ = [
    "APPROVER",
    "APPROVER_GROUP",
    "CHANNEL",
    "GROUP_APPROVER",
    "INCIDENTS",
    "OUTSIDER",
    "REQUESTER",
    "Stack",
]

OTHER_APPROVER = "U0APPROVER3"
REQUESTER_GROUP = "S0REQUESTERS"

# From the demo world (bot/sim/ecs/demo_world.yaml).
ENI_APP = "eni-bp1d7r2k9m4x6c3v5n"  # web-1-app: detaches cleanly
ENI_LEGACY = "eni-bp1s4t8u2c6k9d3e5f"  # web-1-legacy: stuck until detached a second time
ENI_DB = "eni-bp1k2j3h4g5f6d7s8a"  # db-replication, on a Stopped instance: detaches cleanly
ENI_SH = "eni-uf6a8s2d4f6g9h1j3k"  # web-sh-1-app in cn-shanghai
INSTANCE_WEB1 = "i-bp1a3f9k2m7x4q8w6e"


@dataclass(frozen=True)
class Secrets:
    """Distinctive values for every secret the bot holds; none is a substring of another."""

    signing_secret: str = "sgn-6f1d0c9e8b7a-SIGNING-SECRET-value"
    bot_token: str = "xoxb-100200300-SECRETBOT-q7Rk2LmN9pXz"
    app_token: str = "xapp-1-A0SECRETAPP-400500600-w3Jt8Hs1"
    access_key_id: str = "LTAI5tKEYIDq2w3e4r5t6y"
    access_key_secret: str = "akSECRETz9y8x7w6v5u4t3s2r1q0"
    sts_token: str = "CAIS-STSTOKEN-SECRET-p0o9i8u7y6t5r4e3"

    def never_shown(self) -> dict[str, str]:
        """Values that must appear nowhere the bot writes (the key ID is checked separately)."""
        return {
            "signing secret": self.signing_secret,
            "bot token": self.bot_token,
            "app token": self.app_token,
            "access key secret": self.access_key_secret,
            "STS token": self.sts_token,
        }

    def everything(self) -> dict[str, str]:
        """Every value, the access key ID included."""
        return {**self.never_shown(), "access key ID": self.access_key_id}


def leaks(text: str, values: Mapping[str, str]) -> list[str]:
    """Names of the values found in `text`, raw or URL-encoded."""
    found = []
    for name, value in values.items():
        forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
        if any(form in text for form in forms):
            found.append(name)
    return found


@dataclass(frozen=True)
class WireCopy:
    """One ECS request as the simulator read it off the socket."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes


class RecordingEcsService(EcsService):
    """The simulator's own service, keeping a copy of every request before answering it."""

    def __init__(self, base: EcsService) -> None:
        super().__init__(
            world=base.world, faults=base.faults, counters=base.counters, gateway=base.gateway
        )
        self._lock = threading.Lock()
        self._wire: list[WireCopy] = []

    def handle(self, request: WireRequest, *, host_id: str) -> Reply:
        """Record, then answer as the simulator does."""
        copy = WireCopy(
            method=request.method,
            path=request.path,
            raw_query=request.raw_query,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.body,
        )
        with self._lock:
            self._wire.append(copy)
        return super().handle(request, host_id=host_id)

    def wire(self) -> list[WireCopy]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._wire)


def all_rows(engine: Engine) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row as a dict) for every row of every table."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            for row in conn.execute(select(table)).mappings():
                yield name, dict(row)


def count_undelivered(engine: Engine) -> int:
    from bot.outbox.models import OutboxMessage

    with engine.connect() as conn:
        query = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        return int(conn.execute(query).scalar_one())


def call_text(call: RecordedCall) -> str:
    """Everything one recorded Slack call carried (params and headers) as one string."""
    return json.dumps({"params": call.params, "headers": call.headers}, default=str)


# Methods (and response_url posts) whose text a person reads.
POSTING_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "response_url",
        "views.open",
        "views.update",
        "views.push",
        "views.publish",
    }
)


def readable_texts(call: RecordedCall) -> list[str]:
    """The message text and every mrkdwn text in the call's blocks/view (what Slack renders)."""
    params = call.params
    texts: list[str] = []
    if isinstance(params.get("text"), str):
        texts.append(params["text"])
    for key in ("blocks", "view", "attachments"):
        node = params.get(key)
        if isinstance(node, str):
            try:
                node = json.loads(node)
            except ValueError:
                texts.append(node)
                continue
        _mrkdwn(node, texts)
    return texts


def posted_blocks(call: RecordedCall) -> list[Any]:
    """The blocks a call showed (a view's blocks for views.*), decoded when sent as JSON text."""
    shown: list[Any] = []
    for key in ("blocks", "view"):
        node = call.params.get(key)
        if isinstance(node, str):
            try:
                node = json.loads(node)
            except ValueError:
                continue
        if key == "view" and isinstance(node, dict):
            node = node.get("blocks")
        if isinstance(node, list):
            shown.extend(node)
    return shown


def _mrkdwn(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            out.append(node["text"])
        for value in node.values():
            _mrkdwn(value, out)
    elif isinstance(node, list):
        for item in node:
            _mrkdwn(item, out)


def posting_calls(slack: SlackWebApiStandIn) -> list[RecordedCall]:
    """Every recorded call that shows text to people."""
    return [c for c in slack.calls() if c.method in POSTING_METHODS]


def wire(bot: Stack) -> RecordingEcsService:
    """The ECS simulator's record of every request it received (see `full_stack`)."""
    service = bot.ecs.service
    assert isinstance(service, RecordingEcsService)
    return service


@contextmanager
def full_stack(
    database_url: str,
    *,
    secrets: Secrets | None = None,
    world: World | None = None,
    usergroups: Mapping[str, Sequence[str]] | None = None,
    people: Callable[[Runtime], People] | None = None,
    workers: bool = True,
    on_settings: Callable[[Settings], None] | None = None,
    **overrides: Any,
) -> Iterator[Stack]:
    """The shared stack with every secret distinctive and the ECS wire recorded; workers too."""
    secrets = secrets or Secrets()

    def detach_soon(ecs: EcsSimulator) -> None:
        ecs.world.detach_delay = 0.3

    def app(runtime: Runtime) -> App:
        return build_app(runtime, people=people(runtime) if people else None)

    fields: dict[str, Any] = {
        "slack_app_token": secrets.app_token,
        "security_token": secrets.sts_token,
        "approvers": f"{APPROVER},{APPROVER_GROUP}",
        "allowed_regions": "cn-hangzhou,cn-shanghai",
        "incident_channel": INCIDENTS,
        "poll_interval": 0.2,
        "stuck_after": 2.0,
        **overrides,
    }
    with build_stack(
        database_url,
        world=world,
        keys={secrets.access_key_id: secrets.access_key_secret},
        sts_tokens={secrets.access_key_id: secrets.sts_token},
        wrap_service=RecordingEcsService,
        prepare_ecs=detach_soon,
        bot_token=secrets.bot_token,
        signing_secret=secrets.signing_secret,
        usergroups={APPROVER_GROUP: [GROUP_APPROVER]} if usergroups is None else usergroups,
        settings=fields,
        on_settings=on_settings,
        app=app,
        workers=FAST if workers else None,
    ) as bot:
        yield bot
