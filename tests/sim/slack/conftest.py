"""A started Slack stand-in and a WebClient pointed at it, per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sim.slack import DEFAULT_BOT_TOKEN, SlackWebApiStandIn


@pytest.fixture
def stand_in() -> Iterator[SlackWebApiStandIn]:
    """A stand-in that knows two channels and one user group."""
    with SlackWebApiStandIn(
        channels=["C0ENIOPS", "C0INCIDENTS"], usergroups={"S0APPROVERS": ["U0APPROVER1", "U0B"]}
    ) as server:
        yield server


@pytest.fixture
def client(stand_in: SlackWebApiStandIn) -> WebClient:
    """slack_sdk's own client, talking real HTTP to the stand-in."""
    return WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url)
