"""A lost post in a channel the bot may not read: post again, never block the thread or lose it.

Slack answers conversations.history / .replies with `missing_scope` when the app lacks
channels:history (or groups:history), and `not_in_channel` when the bot is not a member. A
loopback proxy in front of the Slack stand-in gives those answers, as Slack would.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import card_loader
from bot.outbox.models import OutboxMessage
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import schemas
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import OutboxNotifier

from support.loopback import LoopbackServer
from support.stack import CHANNEL, INCIDENTS
from support.workers_env import approve_all, submit_and_approve

FAST = RelayConfig(post_interval=0.0, claim_every=0.02, backoff_base=0.05, backoff_cap=0.05)
POLICY = schemas.Policy(incident_channel=INCIDENTS)
LOOKUPS = ("conversations.history", "conversations.replies")


class BlindProxy(LoopbackServer):
    """Forwards Web API calls to the stand-in, but refuses lookups with `error`."""

    def __init__(self, port: int, error: str) -> None:
        self.refused: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if method in LOOKUPS:
                    proxy.refused.append(method)
                    answer: dict[str, object] = {"ok": False, "error": error}
                    if error == "missing_scope":
                        answer["needed"] = "channels:history"
                    self._answer(200, json.dumps(answer).encode())
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    upstream.request("POST", self.path, body=body, headers=headers)
                    reply = upstream.getresponse()
                    self._answer(reply.status, reply.read())
                except (OSError, http.client.HTTPException):
                    # The stand-in cut the connection (response_lost): cut ours too.
                    self.close_connection = True
                finally:
                    upstream.close()

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler)

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"


@pytest.fixture
def sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """SQLite only here."""
    return sqlite_sessions


@pytest.fixture
def slack() -> Iterator[SlackWebApiStandIn]:
    with SlackWebApiStandIn(channels=[CHANNEL, INCIDENTS]) as stand_in:
        yield stand_in


def _relay(sessions: sessionmaker[Session], api_url: str) -> OutboxRelay:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=api_url, timeout=2, retry_handlers=[])
    sender = OutboxNotifier(client, card_loader(sessions))
    return OutboxRelay(sessions=sessions, sender=sender, owner="test:relay", config=FAST)


def _rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("error", ["missing_scope", "not_in_channel", "channel_not_found"])
def test_a_lost_card_is_posted_again_and_its_thread_follows(
    sessions: sessionmaker[Session],
    slack: SlackWebApiStandIn,
    error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    submit_and_approve(sessions, POLICY, [1])  # card, "approved" reply, card update
    slack.fail_next("chat.postMessage", 2, "response_lost")  # the card, twice
    with BlindProxy(slack.port, error) as proxy, caplog.at_level(logging.ERROR):
        _relay(sessions, proxy.api_url).drain(timeout=5)
    rows = _rows(sessions)
    assert [r.kind for r in rows] == ["card", "thread_reply", "card_update"]
    assert all(r.sent_at is not None and r.last_error is None for r in rows)
    assert proxy.refused == ["conversations.history"] * 2
    # Accepted duplicates (each lost answer costs one), nothing lost, the thread went on.
    cards = slack.messages(CHANNEL)
    assert len(cards) == 3
    assert rows[0].slack_ts == cards[-1].ts
    assert len(slack.thread(CHANNEL, cards[-1].ts)) == 1  # its reply, in the recorded card
    said = [r for r in caplog.records if r.levelno == logging.ERROR and CHANNEL in r.getMessage()]
    assert len(said) == 1  # once per channel, not once per lookup
    assert error in said[0].getMessage()
    if error == "missing_scope":
        assert "channels:history" in said[0].getMessage()


def test_a_lost_reply_in_a_thread_the_bot_may_not_read_is_posted_again(
    sessions: sessionmaker[Session], slack: SlackWebApiStandIn
) -> None:
    submit_and_approve(sessions, POLICY, [2], approve=False)
    _relay(sessions, slack.api_url).drain(timeout=5)
    [card] = slack.messages(CHANNEL)
    with db.read(sessions) as s:
        rid = s.scalars(select(OutboxMessage.request_id)).first()
    assert rid is not None
    approve_all(sessions, POLICY, [rid])
    slack.fail_next("chat.postMessage", 1, "response_lost")
    with BlindProxy(slack.port, "missing_scope") as proxy:
        _relay(sessions, proxy.api_url).drain(timeout=5)
    assert proxy.refused == ["conversations.replies"]
    assert all(r.sent_at is not None and r.last_error is None for r in _rows(sessions))
    assert len(slack.thread(CHANNEL, card.ts)) == 2  # the reply, twice
