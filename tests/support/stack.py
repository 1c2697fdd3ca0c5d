"""The one way tests build the bot: ECS simulator, Slack stand-in, runtime, app and workers.

`build_stack` starts the parts a suite asks for and stops all of them on exit, workers first.
What differs between suites is an option, not another builder: the simulator's world and keys
(and a hook to adjust it before it serves), the stand-in's token, channels and user groups,
settings, how the runtime is built (`migrated_runtime` as `eni-bot serve` builds it, or the
workers' fast-retrying `workers_env.runtime_for`), another ECS client, whether (and which)
Bolt app is served over HTTP, and whether workers start. `Stack` drives the bot as Slack
would and reads what it stored; suites add only what is theirs (tests/security, tests/faults,
tests/slack, tests/workers, tests/bench).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from slack_bolt import App
from sqlalchemy import MetaData, func, select

from bot import db
from bot.bootstrap import EcsFactory, build_app, build_runtime, build_workers
from bot.config import Settings, load_settings
from bot.ecs.client import EcsCallObserver, EcsClient
from bot.outbox.models import OutboxMessage
from bot.outbox.relay import RelayConfig
from bot.requests import repository
from bot.requests.models import DetachRequest
from bot.runtime import Runtime
from bot.sim.ecs import EcsSimulator, demo_world
from bot.sim.ecs.server import DEFAULT_KEYS
from bot.sim.ecs.service import EcsService
from bot.sim.ecs.world import World
from bot.sim.slack.records import Message, ResponsePost
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.blocks.card import approval_card
from bot.slack.ids import ActionId
from bot.slack.server import EVENTS_PATH, HttpServer
from bot.workers import WorkerOptions, Workers
from bot.workers.executor import ExecutorConfig

from support.waiting import wait_until

((SIM_KEY, SIM_SECRET),) = DEFAULT_KEYS.items()  # the sandbox pair (CONTRACT.md)
SIGNING_SECRET = "test-signing-secret"
CHANNEL = "C0ENIOPS"
INCIDENTS = "C0INCIDENTS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
GROUP_APPROVER = "U0APPROVER2"
APPROVER_GROUP = "S0APPROVERS"
OUTSIDER = "U0OUTSIDER"

# Short waits so tests take seconds.
FAST = WorkerOptions(
    executor=ExecutorConfig(
        busy_base=0.2,
        busy_cap=0.5,
        trouble_base=0.2,
        trouble_cap=0.5,
        in_flight_window=2.0,
        first_poll_after=0.2,
    ),
    relay=RelayConfig(post_interval=0.0, claim_every=0.05, backoff_base=0.1, backoff_cap=0.5),
    lease_seconds=5.0,
    executor_sweep=0.1,
    poller_sweep=0.05,
    expiry_sweep=0.1,
)


@dataclass
class Servers:
    """The two fake clouds, started."""

    ecs: EcsSimulator
    slack: SlackWebApiStandIn


@contextmanager
def servers(
    world: World | None = None,
    *,
    keys: Mapping[str, str] | None = None,
    sts_tokens: Mapping[str, str] | None = None,
    bot_token: str = DEFAULT_BOT_TOKEN,
    channels: Sequence[str] | None = None,
    usergroups: Mapping[str, Sequence[str]] | None = None,
    wrap_service: Callable[[EcsService], EcsService] | None = None,
    prepare_ecs: Callable[[EcsSimulator], None] | None = None,
) -> Iterator[Servers]:
    """The ECS simulator (demo world unless given) and the Slack stand-in, on free ports.

    `channels=None` lets the stand-in take any channel; `wrap_service` decorates the service
    that answers every ECS call; `prepare_ecs` adjusts the simulator (its world) before it serves.
    """
    ecs = EcsSimulator(
        world if world is not None else demo_world(),
        keys=keys if keys is not None else {SIM_KEY: SIM_SECRET},
        sts_tokens=sts_tokens,
        wrap_service=wrap_service,
    )
    if prepare_ecs is not None:
        prepare_ecs(ecs)
    slack = SlackWebApiStandIn(bot_token=bot_token, channels=channels, usergroups=usergroups)
    with ecs, slack:
        yield Servers(ecs, slack)


def settings_for(
    *,
    database_url: str,
    ecs_url: str,
    slack_url: str,
    bot_token: str = DEFAULT_BOT_TOKEN,
    signing_secret: str = SIGNING_SECRET,
    access_key: tuple[str, str] = (SIM_KEY, SIM_SECRET),
    **fields: Any,
) -> Settings:
    """Settings pointing every part at the local servers; `fields` are more `Settings` fields."""
    key_id, secret = access_key
    return load_settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack_url,
        access_key_id=key_id,
        access_key_secret=secret,
        ecs_endpoint=ecs_url,
        database_url=database_url,
        **fields,
    )


# Builds the runtime from the settings and, when a suite asks for one, another ECS client.
RuntimeFactory = Callable[[Settings, EcsFactory | None], Runtime]


def migrated_runtime(settings: Settings, ecs: EcsFactory | None = None) -> Runtime:
    """The runtime `eni-bot serve` builds (bot.bootstrap), on a database migrated to head first."""
    return build_runtime(settings, migrate=True, ecs=ecs)


@dataclass
class Stack:
    """The running bot, the two fake clouds around it, and how a test drives and reads them."""

    settings: Settings
    runtime: Runtime
    ecs: EcsSimulator
    slack: SlackWebApiStandIn
    server: HttpServer | None = None
    sender: SlackSender | None = None
    workers: list[Workers] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    # ---- driving, as Slack would ----

    @property
    def events_url(self) -> str:
        """The bot's `POST /slack/events` URL."""
        assert self.server is not None, "built with serve=False"
        return self.server.url + EVENTS_PATH

    def _sent(self) -> SlackSender:
        assert self.sender is not None, "built with serve=False"
        return self.sender

    def command(self, text: str, user: str = REQUESTER, **kwargs: Any) -> httpx.Response:
        """Type `/eni <text>` in the ops channel; returns the HTTP response."""
        return self._sent().command(text, user_id=user, channel_id=CHANNEL, **kwargs)

    def last_response_url(self) -> str:
        """The response_url of the last command or click sent."""
        last = self._sent().last
        assert last is not None and last.response_url
        return last.response_url

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

    def request_detach(self, eni: str, reason: str, user: str = REQUESTER) -> int:
        """`/eni detach` that must be accepted; returns the new request's ID."""
        before = set(self.request_ids())
        response = self.command(f"detach {eni} {reason}", user)
        assert response.status_code == 200, response.text
        (rid,) = wait_until(lambda: set(self.request_ids()) - before, timeout=10)
        return rid

    def card(self, rid: int, timeout: float = 10.0) -> Message:
        """The request's card, once the relay has posted it."""
        ts: str = wait_until(lambda: self.request(rid).card_ts or "", timeout=timeout)
        message = self.slack.message(self.request(rid).channel_id, ts)
        assert message is not None
        return message

    def post_card(self, rid: int) -> Message:
        """Post the request's approval card as the relay would, without workers, to click it."""
        with db.transaction(self.runtime.sessions) as session:
            request = repository.get(session, rid)
            assert request is not None
            rendered = approval_card(request)
        answer = self.runtime.slack.chat_postMessage(
            channel=request.channel_id, text=rendered.text, blocks=rendered.blocks
        )
        message = self.slack.message(request.channel_id, str(answer["ts"]))
        assert message is not None
        return message

    def click(self, message: Message, action_id: str, user: str) -> httpx.Response:
        """Press a button on a posted message; returns the HTTP response."""
        return self._sent().click(message, action_id, user_id=user)

    def approve(self, rid: int, user: str = APPROVER) -> None:
        """Press Approve on the request's card and wait until it is no longer pending."""
        response = self.click(self.card(rid), ActionId.APPROVE.value, user)
        assert response.status_code == 200
        wait_until(lambda: self.request(rid).status != "pending", timeout=10)

    def wait_status(self, rid: int, *statuses: str, timeout: float = 15.0) -> DetachRequest:
        """Wait until the request is in one of `statuses` and the outbox is drained."""
        wait_until(lambda: self.request(rid).status in statuses, timeout=timeout)
        wait_until(lambda: self.undelivered() == 0, timeout=timeout)
        return self.request(rid)

    def readyz(self) -> int:
        """The status code of `GET /readyz`."""
        assert self.server is not None, "built with serve=False"
        return httpx.get(self.server.url + "/readyz", timeout=10).status_code

    # ---- reading what the bot stored and posted ----
    # Reads are transactions like the bot's own: on SQLite they wait for the write lock, so a
    # read right after an ack sees what the listener was committing (tests rely on that).

    def request(self, rid: int) -> DetachRequest:
        """The request as stored now."""
        with db.transaction(self.runtime.sessions) as session:
            found = repository.get(session, rid)
            assert found is not None
            return found

    def requests(self) -> list[DetachRequest]:
        """Every request, oldest first."""
        with db.transaction(self.runtime.sessions) as session:
            return list(session.scalars(select(DetachRequest).order_by(DetachRequest.id)))

    def request_ids(self) -> list[int]:
        """Every request's ID, oldest first."""
        with db.transaction(self.runtime.sessions) as session:
            return list(session.scalars(select(DetachRequest.id).order_by(DetachRequest.id)))

    def outbox(self) -> list[OutboxMessage]:
        """Every outbox row, oldest first."""
        with db.transaction(self.runtime.sessions) as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def undelivered(self) -> int:
        """Outbox rows not yet sent."""
        with db.transaction(self.runtime.sessions) as session:
            query = select(func.count()).select_from(OutboxMessage)
            return int(session.scalar(query.where(OutboxMessage.sent_at.is_(None))) or 0)

    def count_rows(self) -> tuple[int, int]:
        """(requests, outbox rows) stored."""
        with db.transaction(self.runtime.sessions) as session:
            requests = session.scalar(select(func.count()).select_from(DetachRequest)) or 0
            outbox = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            return requests, outbox

    def row_counts(self) -> dict[str, int]:
        """Rows per table, every table the database holds (found by reflection)."""
        meta = MetaData()
        meta.reflect(self.runtime.engine)
        with self.runtime.engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in sorted(meta.tables.items())
            }

    def thread(self, rid: int) -> list[Message]:
        """The replies under the request's card, oldest first."""
        request = self.request(rid)
        assert request.card_ts is not None
        return self.slack.thread(request.channel_id, request.card_ts)

    def channel_posts(self) -> int:
        """How many chat.postMessage calls the stand-in received."""
        return len(self.slack.calls("chat.postMessage"))

    # ---- lifecycle ----

    def start_workers(self, options: WorkerOptions | None = None) -> Workers:
        """Start (another) set of workers on this runtime; stopped with the stack."""
        workers = build_workers(self.runtime, options or FAST)
        workers.start()
        self.workers.append(workers)
        self._stack.callback(workers.stop, 15)
        return workers

    def ring(self) -> None:
        """What the app does after a decision: wake the executor and the relay now."""
        bells = self.runtime.doorbells
        bells.executor.set()
        bells.outbox.set()

    def close(self) -> None:
        """Stop what this stack started after it was built (workers), newest first."""
        self._stack.close()


@contextmanager
def build_stack(
    database_url: str,
    *,
    world: World | None = None,
    keys: Mapping[str, str] | None = None,
    sts_tokens: Mapping[str, str] | None = None,
    wrap_service: Callable[[EcsService], EcsService] | None = None,
    prepare_ecs: Callable[[EcsSimulator], None] | None = None,
    bot_token: str = DEFAULT_BOT_TOKEN,
    signing_secret: str = SIGNING_SECRET,
    channels: Sequence[str] | None = None,
    usergroups: Mapping[str, Sequence[str]] | None = None,
    settings: Mapping[str, Any] | None = None,
    on_settings: Callable[[Settings], None] | None = None,
    runtime: RuntimeFactory = migrated_runtime,
    ecs_client: Callable[[EcsCallObserver, str], EcsClient] | None = None,
    serve: bool = True,
    app: Callable[[Runtime], App] | None = None,
    workers: WorkerOptions | None = None,
) -> Iterator[Stack]:
    """Start the simulator, the stand-in, the runtime, the served app and workers; stop all.

    Args:
        keys: the simulator's key pairs (the first signs the bot's calls); default the sandbox's.
        settings: more `Settings` fields (approvers, poll_interval, …) over the connections.
        on_settings: called with the settings before anything is built (e.g. to set up logs).
        runtime: builds the runtime from the settings (and `ecs_client`'s factory, if any).
        ecs_client: builds the runtime's ECS client instead (given the metrics' observer and the
            simulator's URL).
        serve: serve the Bolt app (`app(runtime)`, or bootstrap's) with a signing sender.
        workers: start workers with these options at once (`Stack.start_workers` later works too).
    """
    keys = keys if keys is not None else {SIM_KEY: SIM_SECRET}
    with ExitStack() as stack:
        clouds = stack.enter_context(
            servers(
                world,
                keys=keys,
                sts_tokens=sts_tokens,
                bot_token=bot_token,
                channels=channels,
                usergroups=usergroups,
                wrap_service=wrap_service,
                prepare_ecs=prepare_ecs,
            )
        )
        built = settings_for(
            database_url=database_url,
            ecs_url=clouds.ecs.url,
            slack_url=clouds.slack.api_url,
            bot_token=bot_token,
            signing_secret=signing_secret,
            access_key=next(iter(keys.items())),
            **(settings or {}),
        )
        if on_settings is not None:
            on_settings(built)
        url = clouds.ecs.url
        factory: EcsFactory | None = None
        if ecs_client is not None:
            make_client = ecs_client

            def factory(observer: EcsCallObserver) -> EcsClient:
                return make_client(observer, url)

        bot_runtime = runtime(built, factory)
        stack.callback(bot_runtime.close)
        bot = Stack(built, bot_runtime, clouds.ecs, clouds.slack)
        if serve:
            served_app = app(bot_runtime) if app is not None else build_app(bot_runtime)
            bot.server = HttpServer(bot_runtime, app=served_app).start()
            stack.callback(bot.server.stop)
            bot.sender = SlackSender(
                bot.server.url + EVENTS_PATH, signing_secret, stand_in=clouds.slack
            )
            stack.callback(bot.sender.close)
        stack.callback(bot.close)
        if workers is not None:
            bot.start_workers(workers)
        yield bot


StackFactory = Callable[..., Stack]
