"""What the workers' tests run on: worlds of many detachable ENIs, requests stored as the app would.

Requests are submitted and approved through the service (as the app would), the workers do the
rest against the real servers of tests/support/stack.py (`build_stack(serve=False)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import EcsFactory, policy_from
from bot.config import Settings
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.retry import RetryPolicy
from bot.observability.metrics import Metrics
from bot.outbox.models import OutboxMessage
from bot.requests import decisions, repository, schemas
from bot.requests.models import DetachRequest
from bot.runtime import Runtime
from bot.sim.ecs.fixture import build_world, parse_world
from bot.sim.ecs.world import World
from bot.sim.slack.records import Message
from bot.sim.slack.webapi import SlackWebApiStandIn

from support.judges import anyone
from support.stack import APPROVER, CHANNEL, REQUESTER

REGION = "cn-hangzhou"
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total=5.0)


def eni_id(n: int) -> str:
    """The n-th test ENI's ID."""
    return f"eni-test{n:06d}"


def instance_id(n: int) -> str:
    """The instance the n-th test ENI is attached to (ten ENIs per instance)."""
    return f"i-test{n // 10:05d}"


def world_fixture(
    count: int,
    *,
    detach_delay: float = 0.3,
    stuck: Sequence[int] = (),
    region: str = REGION,
    available: Sequence[int] = (),
    attach_delay: float = 0.3,
) -> dict[str, Any]:
    """`count` secondary ENIs InUse on running instances (one VPC, one zone); `stuck` ENIs
    need one extra detach; `available` ENIs are attached to nothing (free to attach)."""
    instances = [
        {
            "id": f"i-test{k:05d}",
            "region": region,
            "name": f"host-{k}",
            "vpc_id": "vpc-test1",
            "zone": f"{region}-h",
        }
        for k in range(math.ceil(count / 10))
    ]
    enis = [
        {
            "id": eni_id(n),
            "region": region,
            "status": "Available" if n in available else "InUse",
            "instance_id": None if n in available else instance_id(n),
            "device_index": None if n in available else 1 + n % 10,
            "zone": f"{region}-h",
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
        "attach_delay": attach_delay,
        "regions": [{"id": region, "zones": [f"{region}-h"]}],
        "instances": instances,
        "network_interfaces": enis,
    }


def make_world(count: int, **kwargs: Any) -> World:
    """A simulator world with `count` detachable ENIs."""
    return build_world(parse_world(world_fixture(count, **kwargs)))


def runtime_for(settings: Settings, ecs: EcsFactory | None = None) -> Runtime:
    """A Runtime like build_runtime's with a fast-retrying ECS client and no Slack retries.

    The workers' tests use it to see each 429 or outage at the relay, and the host's clock
    instead of the database's (the database is migrated by the caller).
    """
    engine = db.make_engine(settings.database_url)
    metrics = Metrics()
    if ecs is not None:
        client = ecs(metrics.ecs_observer)
    else:
        secret = settings.access_key_secret
        assert settings.access_key_id and secret is not None
        client = EcsClient(
            credentials=StaticCredentials(settings.access_key_id, secret.get_secret_value()),
            endpoint=settings.ecs_endpoint,
            timeout=5.0,
            retry=FAST_RETRY,
            observer=metrics.ecs_observer,
        )
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=db.session_factory(engine),
        ecs=client,
        slack=WebClient(token=token, base_url=settings.slack_api_url, timeout=5),
        policy=policy_from(settings),
        metrics=metrics,
    )


def submit_and_approve(
    sessions: sessionmaker[Session],
    policy: schemas.Policy,
    numbers: Sequence[int],
    *,
    approve: bool = True,
    channel: Callable[[int], str] = lambda _n: CHANNEL,
) -> list[int]:
    """Store requests for the numbered ENIs (pre-flight snapshot included) and approve them."""
    ids: list[int] = []
    with db.transaction(sessions) as s:
        for n in numbers:
            request = decisions.submit(
                s,
                new=schemas.NewRequest(
                    region=REGION,
                    requester_id=REQUESTER,
                    channel_id=channel(n),
                    reason=f"rotate NIC {n}",
                    targets=(
                        schemas.NewTarget(
                            eni_id=eni_id(n),
                            instance_id=instance_id(n),
                            eni_snapshot={
                                "name": f"app-{n}",
                                "private_ip": "10.0.0.1",
                                "vpc_id": "vpc-test1",
                                "vswitch_id": "vsw-test1",
                                "security_group_ids": ["sg-test1"],
                                "tags": {"team": "web"},
                            },
                        ),
                    ),
                ),
                policy=policy,
                now=db.utcnow(),
            )
            ids.append(request.id)
    if approve:
        approve_all(sessions, policy, ids)
    return ids


def submit_several(
    sessions: sessionmaker[Session],
    policy: schemas.Policy,
    numbers: Sequence[int],
    *,
    approve: bool = True,
) -> int:
    """Store one request for all the numbered ENIs (as a bulk command would) and approve it."""
    with db.transaction(sessions) as s:
        request = decisions.submit(
            s,
            new=schemas.NewRequest(
                region=REGION,
                requester_id=REQUESTER,
                channel_id=CHANNEL,
                reason=f"free {len(numbers)} NICs",
                targets=tuple(
                    schemas.NewTarget(
                        eni_id=eni_id(n),
                        instance_id=instance_id(n),
                        eni_snapshot={"name": f"app-{n}", "private_ip": f"10.0.1.{n % 250}"},
                    )
                    for n in numbers
                ),
                selector="tag:team=web",
            ),
            policy=policy,
            now=db.utcnow(),
        )
    if approve:
        approve_all(sessions, policy, [request.id])
    return request.id


def approve_all(
    sessions: sessionmaker[Session],
    policy: schemas.Policy,
    ids: Sequence[int],
    approver: str = APPROVER,
) -> None:
    """Approve stored requests as the app would after a click, in one transaction."""
    with db.transaction(sessions) as s:
        for rid in ids:
            decisions.approve(
                s,
                judge=anyone(),
                request_id=rid,
                approver_id=approver,
                policy=policy,
                now=db.utcnow(),
            )


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
