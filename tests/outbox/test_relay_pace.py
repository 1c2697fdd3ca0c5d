"""Two relays sharing a database never both post in one pace slot, on SQLite and PostgreSQL.

Slack takes about one message per second per channel. Replicas that each paced themselves
posted N times that; the pace now lives in the database. Time is the test's clock (both relays
read it, for the shared pace and for their local waits), so a "slot" is exact and nothing sleeps.
"""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.bootstrap import card_loader
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import schemas
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import OutboxNotifier

from support.clock import Clock
from support.stack import CHANNEL, INCIDENTS
from support.workers_env import submit_and_approve

# One post per second per channel, no burst: each second is one slot. Small batches, so both
# relays hold cards of the channel at once.
CONFIG = RelayConfig(post_interval=1.0, post_burst=1, batch=3, claim_every=0.0)
POLICY = schemas.Policy(incident_channel=INCIDENTS)


def _relay(
    sessions: sessionmaker[Session], slack: SlackWebApiStandIn, owner: str, clock: Clock
) -> OutboxRelay:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=slack.api_url, timeout=5)
    return OutboxRelay(
        sessions=sessions,
        sender=OutboxNotifier(client, card_loader(sessions)),
        owner=owner,
        config=CONFIG,
        clock=clock,
        monotonic=clock.monotonic,
    )


def test_two_relays_on_one_database_never_both_post_in_one_slot(
    sessions: sessionmaker[Session],
) -> None:
    submit_and_approve(sessions, POLICY, range(6), approve=False)  # six cards, one channel
    clock = Clock()
    with SlackWebApiStandIn(channels=[CHANNEL, INCIDENTS]) as slack:
        a, b = (_relay(sessions, slack, owner, clock) for owner in ("A", "B"))
        per_slot: list[int] = []
        for _slot in range(6):
            before = len(slack.messages(CHANNEL))
            for _ in range(3):  # within one slot, each relay tries again and again
                a.tick()
                b.tick()
            per_slot.append(len(slack.messages(CHANNEL)) - before)
            clock.advance(CONFIG.post_interval)
        assert per_slot == [1] * 6
        assert {c.params["channel"] for c in slack.calls("chat.postMessage")} == {CHANNEL}
        assert all(c.ok for c in slack.calls("chat.postMessage"))  # nobody even tried twice
