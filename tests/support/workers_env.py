"""A bot without its Slack app: the ECS simulator, the Slack stand-in, a database and workers.

Requests are submitted and approved through the service (as the app would), the workers do the
rest against real HTTP servers. Also used by tests/support/worker_process.py (subprocesses).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import build_workers, policy_from
from bot.config import Settings
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.retry import RetryPolicy
from bot.outbox.models import OutboxMessage
from bot.outbox.relay import RelayConfig
from bot.requests import repository, service
from bot.requests.models import DetachRequest
from bot.runtime import Runtime
from bot.sim.ecs.fixture import build_world, parse_world
from bot.sim.ecs.world import World
from bot.sim.slack.records import Message
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.workers import WorkerOptions, Workers
from bot.workers.executor import ExecutorConfig

REGION = "cn-hangzhou"
CHANNEL = "C0ENIOPS"
INCIDENTS = "C0INCIDENTS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
SIM_KEY = "sim-access-key"
SIM_SECRET = "sim-access-secret"
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


FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total=5.0)

T = TypeVar("T")


def eni_id(n: int) -> str:
    """The n-th test ENI's ID."""
    return f"eni-test{n:06d}"


def instance_id(n: int) -> str:
    """The instance the n-th test ENI is attached to (ten ENIs per instance)."""
    return f"i-test{n // 10:05d}"


def world_fixture(
    count: int, *, detach_delay: float = 0.3, stuck: Sequence[int] = (), region: str = REGION
) -> dict[str, Any]:
    """`count` secondary ENIs InUse on running instances; `stuck` ENIs need one extra detach."""
    instances = [
        {"id": f"i-test{k:05d}", "region": region, "name": f"host-{k}"}
        for k in range(math.ceil(count / 10))
    ]
    enis = [
        {
            "id": eni_id(n),
            "region": region,
            "status": "InUse",
            "instance_id": instance_id(n),
            "device_index": 1 + n % 10,
            "private_ip": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "name": f"app-{n}",
            "vpc_id": "vpc-test1",
            "vswitch_id": "vsw-test1",
            "security_groups": ["sg-test1"],
            "tags": {"team": "web"},
            "stuck_detaches": 1 if n in stuck else 0,
        }
        for n in range(count)
    ]
    return {
        "detach_delay": detach_delay,
        "regions": [{"id": region}],
        "instances": instances,
        "network_interfaces": enis,
    }


def make_world(count: int, **kwargs: Any) -> World:
    """A simulator world with `count` detachable ENIs."""
    return build_world(parse_world(world_fixture(count, **kwargs)))


def settings_for(
    *,
    database_url: str,
    ecs_url: str,
    slack_url: str,
    poll_interval: float = 0.2,
    stuck_after: float = 30.0,
    incident_channel: str | None = INCIDENTS,
    outbox_retention_days: float = 30.0,
) -> Settings:
    """Settings pointing every part at the local servers."""
    return Settings(
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_api_url=slack_url,
        access_key_id=SIM_KEY,
        access_key_secret=SIM_SECRET,
        ecs_endpoint=ecs_url,
        database_url=database_url,
        poll_interval=poll_interval,
        stuck_after=stuck_after,
        incident_channel=incident_channel,
        outbox_retention_days=outbox_retention_days,
        auto_migrate=False,
    )


def runtime_for(settings: Settings) -> Runtime:
    """A Runtime like build_runtime's, with a fast-retrying ECS client."""
    engine = db.make_engine(settings.database_url)
    secret = settings.access_key_secret
    assert settings.access_key_id and secret is not None
    ecs = EcsClient(
        credentials=StaticCredentials(settings.access_key_id, secret.get_secret_value()),
        endpoint=settings.ecs_endpoint,
        timeout=5.0,
        retry=FAST_RETRY,
    )
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=db.session_factory(engine),
        ecs=ecs,
        slack=WebClient(token=token, base_url=settings.slack_api_url, timeout=5),
        policy=policy_from(settings),
    )


def submit_and_approve(
    sessions: sessionmaker[Session],
    policy: service.Policy,
    numbers: Sequence[int],
    *,
    approve: bool = True,
    channel: Callable[[int], str] = lambda _n: CHANNEL,
) -> list[int]:
    """Store requests for the numbered ENIs (pre-flight snapshot included) and approve them."""
    ids: list[int] = []
    with db.transaction(sessions) as s:
        for n in numbers:
            request = service.submit(
                s,
                new=service.NewRequest(
                    region=REGION,
                    eni_id=eni_id(n),
                    instance_id=instance_id(n),
                    requester_id=REQUESTER,
                    channel_id=channel(n),
                    reason=f"rotate NIC {n}",
                    eni_snapshot={
                        "name": f"app-{n}",
                        "private_ip": "10.0.0.1",
                        "vpc_id": "vpc-test1",
                        "vswitch_id": "vsw-test1",
                        "security_group_ids": ["sg-test1"],
                        "tags": {"team": "web"},
                    },
                ),
                policy=policy,
                now=db.utcnow(),
            )
            ids.append(request.id)
    if approve:
        with db.transaction(sessions) as s:
            for rid in ids:
                service.approve(
                    s,
                    is_approver=lambda _u: True,
                    request_id=rid,
                    approver_id=APPROVER,
                    policy=policy,
                    now=db.utcnow(),
                )
    return ids


def request(sessions: sessionmaker[Session], request_id: int) -> DetachRequest:
    """The request as stored now."""
    with sessions() as s:
        found = repository.get(s, request_id)
        assert found is not None
        return found


def statuses(sessions: sessionmaker[Session], ids: Sequence[int]) -> dict[int, str]:
    """Request ID → status."""
    with sessions() as s:
        rows = s.execute(
            select(DetachRequest.id, DetachRequest.status).where(DetachRequest.id.in_(ids))
        )
        return {row.id: row.status for row in rows}


def unsent(sessions: sessionmaker[Session]) -> int:
    """Outbox rows not yet delivered."""
    with sessions() as s:
        return len(s.scalars(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))).all())


def wait_until(predicate: Callable[[], T], timeout: float = 20.0, every: float = 0.05) -> T:
    """Poll `predicate` until truthy (conditions across processes have nothing to wait on)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(every)


def card_and_thread(slack: SlackWebApiStandIn, card_ts: str) -> tuple[Message, list[Message]]:
    """The card as it is now and its replies, oldest first."""
    card = slack.message(CHANNEL, card_ts)
    assert card is not None
    return card, slack.thread(CHANNEL, card_ts)


def block_text(message: Message) -> str:
    """Every text in a message's blocks, joined (what a person reads)."""
    out: list[str] = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks)
    return "\n".join(out)


def action_ids(message: Message) -> list[str]:
    """action_id of every interactive element in a message."""
    found: list[str] = []
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            found.append(str(element.get("action_id")))
    return found


@dataclass
class Servers:
    """The two fake clouds, started."""

    ecs: Any
    slack: SlackWebApiStandIn


@contextmanager
def servers(world: World, *, any_channel: bool = False) -> Iterator[Servers]:
    """The ECS simulator on `world` and the Slack stand-in, on free loopback ports."""
    from bot.sim.ecs.server import EcsSimulator

    sim = EcsSimulator(world)
    slack = SlackWebApiStandIn(channels=None if any_channel else [CHANNEL, INCIDENTS])
    sim.start()
    slack.start()
    try:
        yield Servers(sim, slack)
    finally:
        slack.stop()
        sim.stop()


@dataclass
class Bot:
    """Servers, runtime and workers of one test."""

    servers: Servers
    runtime: Runtime
    workers: Workers | None = None
    extra: list[Workers] = field(default_factory=list)

    def start(self, options: WorkerOptions | None = None) -> Workers:
        """Start (another) set of workers on this runtime."""
        workers = build_workers(self.runtime, options or FAST)
        workers.start()
        if self.workers is None:
            self.workers = workers
        else:
            self.extra.append(workers)
        return workers

    def ring(self) -> None:
        """What the app does after a decision."""
        bells = self.runtime.doorbells
        bells.executor.set()
        bells.outbox.set()


BotFactory = Callable[..., Bot]
