"""Fixtures for the Slack surface tests; the harness itself is in slack_harness.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_harness import (
    APPROVER,
    APPROVER_GROUP,
    GROUP_APPROVER,
    SECRET,
    Harness,
    HarnessFactory,
)

from bot.bootstrap import build_app, build_runtime
from bot.config import load_settings
from bot.sim.ecs import EcsSimulator, demo_world
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.server import HttpServer


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[HarnessFactory]:
    """Build a harness with settings overrides (field names of `Settings`)."""
    made: list[Harness] = []

    def make(**overrides: Any) -> Harness:
        ecs = EcsSimulator(demo_world())
        ecs.start()
        slack = SlackWebApiStandIn(usergroups={APPROVER_GROUP: [GROUP_APPROVER]}).start()
        url = f"sqlite:///{tmp_path / f'bot-{len(made)}.db'}"
        fields: dict[str, Any] = {
            "slack_bot_token": DEFAULT_BOT_TOKEN,
            "slack_signing_secret": SECRET,
            "slack_api_url": slack.api_url,
            "access_key_id": "sim-access-key",
            "access_key_secret": "sim-access-secret",
            "ecs_endpoint": ecs.url,
            "database_url": url,
            "approvers": f"{APPROVER},{APPROVER_GROUP}",
            "allowed_regions": "cn-hangzhou,cn-shanghai",
        }
        fields.update(overrides)
        runtime = build_runtime(load_settings(**fields), migrate=True)
        server = HttpServer(runtime, app=build_app(runtime)).start()
        sender = SlackSender(server.url + "/slack/events", SECRET, stand_in=slack)
        harness = Harness(runtime=runtime, server=server, sender=sender, slack=slack, ecs=ecs)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.sender.close()
        harness.server.stop()
        harness.runtime.close()
        harness.slack.stop()
        harness.ecs.stop()


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    """The default harness: approvers U0APPROVER1 and group S0APPROVERS; everyone may request."""
    return make_harness()
