"""An in-process bot (threads) against the ECS simulator and the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot import db
from bot.sim.ecs.world import World

from support.workers_env import Bot, BotFactory, make_world, runtime_for, servers, settings_for


@pytest.fixture
def make_bot(sqlite_url: str) -> Iterator[BotFactory]:
    """Build a bot on a world (started servers, migrated SQLite); workers start on demand."""
    made: list[tuple[Bot, Any]] = []

    def factory(
        world: World | None = None, *, database_url: str | None = None, **settings: Any
    ) -> Bot:
        url = database_url or sqlite_url
        db.upgrade(url)
        ctx = servers(world or make_world(20))
        srv = ctx.__enter__()
        runtime = runtime_for(
            settings_for(
                database_url=url, ecs_url=srv.ecs.url, slack_url=srv.slack.api_url, **settings
            )
        )
        bot = Bot(srv, runtime)
        made.append((bot, ctx))
        return bot

    yield factory
    for bot, ctx in reversed(made):
        for workers in [bot.workers, *bot.extra]:
            if workers is not None:
                workers.stop(timeout=10)
        bot.runtime.close()
        ctx.__exit__(None, None, None)
