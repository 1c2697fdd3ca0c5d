"""A full scenario run with known secret values: no secret in logs, database, Slack or ECS traffic.

request → approve → detached; a detach ECS refuses (Forbidden.RAM); a stuck ENI re-initiated with
the Retry button; a Slack 429 on the first card post; a forged request; /eni status; /metrics.
Logging is configured as the CLI does it (configure_logging at DEBUG, JSON, known values from
secrets_from) into a buffer. Then every log line, every column of every row of every table,
every Slack call the stand-in recorded and every ECS request the simulator read are searched.
The access key ID may appear only in the ECS Authorization header, the STS token only in
x-acs-security-token.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from security_stack import (
    APPROVER,
    CHANNEL,
    ENI_APP,
    ENI_DB,
    ENI_LEGACY,
    GROUP_APPROVER,
    Secrets,
    Stack,
    all_rows,
    call_text,
    full_stack,
    leaks,
    wire,
)

from bot.config import Settings
from bot.observability.logs import NOISY_LOGGERS, configure_logging, secrets_from
from bot.sim.ecs.faults import FaultSpec
from bot.sim.slack import payloads
from bot.sim.slack.faults import FaultKind
from bot.sim.slack.sender import Delivery
from bot.sim.slack.signing import Forgery
from bot.slack.ids import ActionId

SECRETS = Secrets()
# A Slack request signature and an ECS V3 signature: 64 hex digits after their marker.
SIGNATURE_SHAPES = (re.compile(r"v0=[0-9a-f]{64}"), re.compile(r"Signature=[0-9a-f]{64}"))


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """A buffer the bot's root handler writes to; the logging setup is restored afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *NOISY_LOGGERS)}
    before = set(root.handlers)
    buffer = io.StringIO()
    yield buffer
    for handler in set(root.handlers) - before:
        root.removeHandler(handler)
        handler.close()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _scenario(bot: Stack) -> dict[str, int]:
    """Drive every path that handles a secret; returns the request IDs by name."""
    # A 429 on the first card post: the relay waits it out and posts again.
    bot.slack.fail_next("chat.postMessage", 1, FaultKind.RATE_LIMITED, retry_after=1)
    ok = bot.request_detach(ENI_APP, "moving app traffic to the new node")
    bot.click(bot.card(ok), ActionId.APPROVE, APPROVER)
    assert bot.wait_status(ok, "detached").status == "detached"
    assert any(c.fault == FaultKind.RATE_LIMITED for c in bot.slack.calls("chat.postMessage"))

    # ECS refuses the detach: the thread explains with code and ECS request ID.
    bot.ecs.faults.add(
        FaultSpec(kind="error", action="DetachNetworkInterface", code="Forbidden.RAM")
    )
    refused = bot.request_detach(ENI_DB, "replication moves to the new subnet")
    bot.click(bot.card(refused), ActionId.APPROVE, GROUP_APPROVER)
    failed = bot.wait_status(refused, "failed")
    assert failed.target.error_code == "Forbidden.RAM"

    # Stuck in Detaching until detached again: reported, then re-initiated with the button.
    stuck = bot.request_detach(ENI_LEGACY, "retiring the legacy interface")
    bot.click(bot.card(stuck), ActionId.APPROVE, APPROVER)
    bot.wait_status(stuck, "stuck")
    retry_message = next(
        m
        for m in bot.slack.messages(CHANNEL, include_replies=True)
        if any(b["action_id"] == ActionId.RETRY for _, b in payloads.iter_buttons(m.blocks))
    )
    assert bot.click(retry_message, ActionId.RETRY, APPROVER).status_code == 200
    assert bot.wait_status(stuck, "detached").status == "detached"

    # The audit view, a forged request and the operator endpoints also write and log.
    assert bot.command(f"status #{ok}").status_code == 200
    bot.slack.wait_for(lambda s: any(f"#{ok}" in r.text for r in s.responses()))
    forged = bot.command("help", delivery=Delivery(forgery=Forgery.WRONG_SECRET))
    assert forged.status_code == 401
    for path in ("/metrics", "/readyz", "/healthz"):
        assert httpx.get(bot.server.url + path, timeout=5).status_code == 200
    return {"detached": ok, "failed": refused, "stuck": stuck}


def _check_ecs_wire(bot: Stack) -> None:
    seen = wire(bot).wire()
    assert seen, "the simulator saw no request"
    never = SECRETS.never_shown()
    for request in seen:
        headers = dict(request.headers)
        authorization = headers.pop("authorization", "")
        token = headers.pop("x-acs-security-token", "")
        # The STS token travels in its own header, the key ID in the signature's Credential.
        assert token == SECRETS.sts_token
        assert f"Credential={SECRETS.access_key_id}" in authorization
        assert leaks(authorization, never) == []
        rest = json.dumps(headers) + request.raw_query + request.body.decode("utf-8", "replace")
        assert leaks(rest, SECRETS.everything()) == [], (request.path, request.raw_query)


@pytest.mark.parametrize(
    "known",
    [
        pytest.param(True, id="known-values-redacted"),
        # Without the known values only the shapes are masked: a key secret or signing secret
        # that reached a log line would show. This checks the code, not the redactor.
        pytest.param(False, id="shapes-only"),
    ],
)
def test_no_secret_in_logs_database_slack_or_ecs_traffic(
    tmp_path: Path, log_buffer: io.StringIO, known: bool
) -> None:
    def configure(settings: Settings) -> None:
        secrets = secrets_from(settings) if known else ()
        configure_logging("DEBUG", json=True, secrets=secrets, stream=log_buffer)

    url = f"sqlite:///{tmp_path / 'secrets.db'}"
    with full_stack(url, secrets=SECRETS, on_settings=configure) as bot:
        ids = _scenario(bot)
        logging.getLogger("bot.tests").info("scenario done: %s", ids)
        rows = list(all_rows(bot.runtime.engine))
        calls = bot.slack.calls()
        metrics = httpx.get(bot.server.url + "/metrics", timeout=5).text
        _check_ecs_wire(bot)
        # The scenario really ran through the paths that handle secrets.
        assert bot.ecs.calls.total("DetachNetworkInterface") >= 3

    lines = log_buffer.getvalue().splitlines()
    assert len(lines) > 50, "logging was not captured"
    assert any('"level": "DEBUG"' in line for line in lines)
    everything = SECRETS.everything()
    leaked_lines = [(leaks(line, everything), line[:300]) for line in lines]
    assert [pair for pair in leaked_lines if pair[0]] == []
    for line in lines:
        json.loads(line)  # one JSON object per line
        for shape in SIGNATURE_SHAPES:
            assert not shape.search(line), line[:300]

    assert {table for table, _ in rows} >= {
        "detach_request",
        "outbox_message",
        "approval",
        "request_event",
    }
    leaked_rows = [(table, leaks(json.dumps(row, default=str), everything)) for table, row in rows]
    assert [pair for pair in leaked_rows if pair[1]] == []

    assert {c.method for c in calls} >= {"chat.postMessage", "chat.update", "response_url"}
    leaked_calls = [(c.method, leaks(call_text(c), everything)) for c in calls]
    assert [pair for pair in leaked_calls if pair[1]] == []
    # The stand-in keeps only the Authorization scheme; the token itself was sent there.
    assert all(c.headers.get("Authorization", "Bearer [redacted]") for c in calls)

    assert leaks(metrics, everything) == []
    assert CHANNEL in json.dumps([c.params for c in calls])
