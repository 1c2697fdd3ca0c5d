"""An in-process bot (threads) against the ECS simulator and the Slack stand-in, no Slack app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from bot import db
from bot.sim.ecs.world import World

from support.stack import CHANNEL, INCIDENTS, Stack, StackFactory, build_stack
from support.workers_env import make_world, runtime_for

# What the workers' tests run with unless a test says otherwise (`make_bot(poll_interval=…)`).
WORKER_SETTINGS: dict[str, Any] = {
    "poll_interval": 0.2,
    "stuck_after": 30.0,
    "incident_channel": INCIDENTS,
    "outbox_retention_days": 30.0,
    "auto_migrate": False,
}


@pytest.fixture
def make_bot(sqlite_url: str) -> Iterator[StackFactory]:
    """Build a bot on a world (started servers, migrated SQLite); workers start on demand."""
    with ExitStack() as made:

        def factory(
            world: World | None = None, *, database_url: str | None = None, **settings: Any
        ) -> Stack:
            url = database_url or sqlite_url
            db.upgrade(url)
            return made.enter_context(
                build_stack(
                    url,
                    world=world or make_world(20),
                    channels=[CHANNEL, INCIDENTS],
                    settings={**WORKER_SETTINGS, **settings},
                    runtime=runtime_for,
                    serve=False,
                )
            )

        yield factory
