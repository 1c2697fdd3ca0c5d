"""The outbox's own thread record: the relay places a thread by it, never by the request's row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import card_hooks, card_loader
from bot.outbox.enqueue import thread_key
from bot.outbox.models import OutboxMessage, OutboxThread
from bot.outbox.port import CardHooks
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import schemas
from bot.requests.models import DetachRequest
from bot.requests.states import Status
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import OutboxNotifier

from support.stack import CHANNEL, INCIDENTS
from support.workers_env import approve_all, submit_and_approve

FAST = RelayConfig(post_interval=0.0, claim_every=0.02, backoff_base=0.05, backoff_cap=0.3)
POLICY = schemas.Policy(incident_channel=INCIDENTS)


@dataclass
class Env:
    sessions: sessionmaker[Session]
    slack: SlackWebApiStandIn

    def drain(self, hooks: CardHooks) -> None:
        client = WebClient(
            token=DEFAULT_BOT_TOKEN, base_url=self.slack.api_url, timeout=2, retry_handlers=[]
        )
        sender = OutboxNotifier(client, card_loader(self.sessions))
        relay = OutboxRelay(
            sessions=self.sessions, sender=sender, owner="test", config=FAST, hooks=hooks
        )
        relay.drain(timeout=10)

    def thread(self, rid: int) -> OutboxThread | None:
        with db.read(self.sessions) as s:
            return s.get(OutboxThread, thread_key(rid))

    def request(self, rid: int) -> DetachRequest:
        with db.read(self.sessions) as s:
            found = s.get(DetachRequest, rid)
            assert found is not None
            return found


@pytest.fixture
def env(sessions: sessionmaker[Session]) -> Iterator[Env]:
    with SlackWebApiStandIn(channels=[CHANNEL, INCIDENTS, "C0ELSEWHERE"]) as slack:
        yield Env(sessions, slack)


def test_replies_and_updates_go_where_the_thread_record_says_not_where_the_request_does(
    env: Env,
) -> None:
    [rid] = submit_and_approve(env.sessions, POLICY, [1], approve=False)
    env.drain(CardHooks())  # nobody tells the domain: the request never learns its card's ts
    [card] = env.slack.messages(CHANNEL)
    thread = env.thread(rid)
    assert thread is not None and (thread.channel, thread.root_ts) == (CHANNEL, card.ts)
    assert env.request(rid).card_ts is None
    with db.transaction(env.sessions) as s:  # the request's own channel says elsewhere
        s.execute(
            update(DetachRequest).where(DetachRequest.id == rid).values(channel_id="C0ELSEWHERE")
        )

    approve_all(env.sessions, POLICY, [rid])
    env.drain(CardHooks())
    [reply] = env.slack.thread(CHANNEL, card.ts)
    assert "Approved" in reply.text
    updated = env.slack.message(CHANNEL, card.ts)
    assert updated is not None and "Approved" in updated.text  # the card, updated in place
    assert env.slack.messages("C0ELSEWHERE", include_replies=True) == []
    with db.read(env.sessions) as s:
        notes = s.scalars(select(OutboxMessage.last_error)).all()
    assert "no card" not in notes


def test_the_domain_learns_its_cards_ts_in_the_transaction_that_records_the_post(
    env: Env,
) -> None:
    [rid] = submit_and_approve(env.sessions, POLICY, [2], approve=False)
    env.drain(card_hooks(POLICY))
    [card] = env.slack.messages(CHANNEL)
    thread = env.thread(rid)
    assert thread is not None and thread.root_ts == card.ts == env.request(rid).card_ts


def test_a_given_up_card_leaves_a_thread_with_a_channel_and_no_root(env: Env) -> None:
    """Its replies are dropped ("no card"); the requester's notice still knows the channel."""
    env.slack.add_conversation("C0OLD", archived=True)
    [rid] = submit_and_approve(env.sessions, POLICY, [3], approve=False, channel=lambda _n: "C0OLD")
    env.drain(card_hooks(POLICY))
    thread = env.thread(rid)
    assert thread is not None and (thread.channel, thread.root_ts) == ("C0OLD", None)
    request = env.request(rid)
    assert request.state is Status.CANCELLED and request.card_ts is None
    [ephemeral] = env.slack.calls("chat.postEphemeral")
    assert ephemeral.params["channel"] == "C0OLD"
    with db.read(env.sessions) as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert all(r.sent_at is not None for r in rows)
    # The cancellation's card update had no card to update.
    assert [r.last_error for r in rows if r.kind == "card_update"] == ["no card"]
