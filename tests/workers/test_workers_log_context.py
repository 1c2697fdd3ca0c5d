"""Log lines about a request carry its ID, and ECS call lines their ECS request ID."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.observability.logs import configure_logging

from support.stack import StackFactory
from support.waiting import wait_until
from support.workers_env import request, submit_and_approve, unsent


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    configure_logging("DEBUG", json=True, stream=buffer)
    yield buffer
    root.handlers[:] = before[1]
    root.setLevel(before[0])


def test_executor_lines_carry_request_and_ecs_request_ids(
    make_bot: StackFactory, json_log: io.StringIO
) -> None:
    bot = make_bot()
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [3])
    bot.start_workers()
    bot.ring()
    sessions = bot.runtime.sessions
    wait_until(lambda: request(sessions, rid).status == "detached")
    wait_until(lambda: unsent(sessions) == 0)
    ecs_request_id = request(sessions, rid).target.ecs_request_id
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line.strip()]
    detach_lines = [
        line
        for line in lines
        if line.get("ecs_action") == "DetachNetworkInterface" and line.get("ecs_code") == "OK"
    ]
    assert detach_lines, "no DetachNetworkInterface call was logged"
    assert all(line.get("request_id") == rid for line in detach_lines)
    assert ecs_request_id in {line.get("ecs_request_id") for line in detach_lines}
