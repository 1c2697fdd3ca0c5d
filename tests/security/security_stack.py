"""The whole bot on loopback for security tests: HTTP app, workers, ECS simulator, Slack stand-in.

Everything is real and talks over sockets: waitress serving the Bolt app, the four worker
threads, the ECS simulator (which also keeps every raw request it received, so a test can look
for secrets on the wire) and the Slack Web API stand-in (which records every call). Settings hold
distinctive secret values, so a leak anywhere can be found by plain substring search.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, MetaData, func, select

from bot.bootstrap import build_app, build_runtime, build_workers
from bot.config import Settings, load_settings
from bot.requests import repository
from bot.requests.models import DetachRequest
from bot.runtime import Runtime
from bot.sim.ecs import EcsSimulator, demo_world
from bot.sim.ecs.auth import WireRequest
from bot.sim.ecs.render import Reply
from bot.sim.ecs.service import EcsService
from bot.sim.ecs.world import World
from bot.sim.slack.records import Message, RecordedCall
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.webapi import SlackWebApiStandIn
from bot.slack.auth import People
from bot.slack.server import EVENTS_PATH, HttpServer
from bot.workers import Workers

from support.workers_env import FAST, wait_until

CHANNEL = "C0ENIOPS"
INCIDENTS = "C0INCIDENTS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
GROUP_APPROVER = "U0APPROVER2"
OTHER_APPROVER = "U0APPROVER3"
OUTSIDER = "U0OUTSIDER"
APPROVER_GROUP = "S0APPROVERS"
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


@dataclass
class Stack:
    """The running bot and the two fake clouds around it."""

    settings: Settings
    runtime: Runtime
    server: HttpServer
    sender: SlackSender
    slack: SlackWebApiStandIn
    ecs: EcsSimulator
    ecs_wire: RecordingEcsService
    workers: Workers | None = None
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    # ---- driving ----

    def command(self, text: str, user: str = REQUESTER, **kwargs: Any) -> Any:
        """Type `/eni <text>` in the ops channel; returns the HTTP response."""
        return self.sender.command(text, user_id=user, channel_id=CHANNEL, **kwargs)

    def request_detach(self, eni: str, reason: str, user: str = REQUESTER) -> int:
        """`/eni detach` that must be accepted; returns the new request's ID."""
        before = set(self.request_ids())
        response = self.command(f"detach {eni} {reason}", user)
        assert response.status_code == 200, response.text
        new = wait_until(lambda: set(self.request_ids()) - before, timeout=10)
        (rid,) = new
        return rid

    def card(self, rid: int, timeout: float = 10.0) -> Message:
        """The request's card, once the relay has posted it."""
        ts: str = wait_until(lambda: self.request(rid).card_ts or "", timeout=timeout)
        message = self.slack.message(self.request(rid).channel_id, ts)
        assert message is not None
        return message

    def click(self, message: Message, action_id: str, user: str) -> Any:
        """Press a button on a posted message; returns the HTTP response."""
        return self.sender.click(message, action_id, user_id=user)

    def wait_status(self, rid: int, *statuses: str, timeout: float = 15.0) -> DetachRequest:
        """Wait until the request is in one of `statuses` and the outbox is drained."""
        wait_until(lambda: self.request(rid).status in statuses, timeout=timeout)
        wait_until(lambda: self.undelivered() == 0, timeout=timeout)
        return self.request(rid)

    # ---- reading ----

    def request(self, rid: int) -> DetachRequest:
        with self.runtime.sessions() as session:
            found = repository.get(session, rid)
            assert found is not None
            return found

    def request_ids(self) -> list[int]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(DetachRequest.id).order_by(DetachRequest.id)))

    def undelivered(self) -> int:
        return count_undelivered(self.runtime.engine)

    def row_counts(self) -> dict[str, int]:
        """Rows per table, every table the database holds."""
        return row_counts(self.runtime.engine)

    def messages_with_replies(self, channel: str = CHANNEL) -> list[Message]:
        return self.slack.messages(channel, include_replies=True)

    # ---- lifecycle ----

    def start_workers(self) -> Workers:
        workers = build_workers(self.runtime, FAST)
        workers.start()
        self.workers = workers
        self._stack.callback(workers.stop, 10)
        return workers

    def close(self) -> None:
        self._stack.close()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (found by reflection, so new tables are counted too)."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in sorted(meta.tables.items())
        }


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
    """Start every part (workers too unless told not to); stop them all on exit."""
    secrets = secrets or Secrets()
    with ExitStack() as stack:
        ecs = EcsSimulator(
            world or demo_world(),
            keys={secrets.access_key_id: secrets.access_key_secret},
            sts_tokens={secrets.access_key_id: secrets.sts_token},
            wrap_service=RecordingEcsService,
        )
        ecs.world.detach_delay = 0.3
        wire = ecs.service
        assert isinstance(wire, RecordingEcsService)
        ecs.start()
        stack.callback(ecs.stop)
        groups = {APPROVER_GROUP: [GROUP_APPROVER]} if usergroups is None else usergroups
        slack = SlackWebApiStandIn(bot_token=secrets.bot_token, usergroups=groups).start()
        stack.callback(slack.stop)
        fields: dict[str, Any] = {
            "slack_bot_token": secrets.bot_token,
            "slack_signing_secret": secrets.signing_secret,
            "slack_app_token": secrets.app_token,
            "slack_api_url": slack.api_url,
            "access_key_id": secrets.access_key_id,
            "access_key_secret": secrets.access_key_secret,
            "security_token": secrets.sts_token,
            "ecs_endpoint": ecs.url,
            "database_url": database_url,
            "approvers": f"{APPROVER},{APPROVER_GROUP}",
            "allowed_regions": "cn-hangzhou,cn-shanghai",
            "incident_channel": INCIDENTS,
            "poll_interval": 0.2,
            "stuck_after": 2.0,
        }
        fields.update(overrides)
        settings = load_settings(**fields)
        if on_settings is not None:
            on_settings(settings)  # e.g. configure logging before anything logs
        runtime = build_runtime(settings, migrate=True)
        stack.callback(runtime.close)
        app = build_app(runtime, people=people(runtime) if people else None)
        server = HttpServer(runtime, app=app).start()
        stack.callback(server.stop)
        sender = SlackSender(server.url + EVENTS_PATH, secrets.signing_secret, stand_in=slack)
        stack.callback(sender.close)
        bot = Stack(settings, runtime, server, sender, slack, ecs, wire)
        stack.callback(bot.close)
        if workers:
            bot.start_workers()
        yield bot
