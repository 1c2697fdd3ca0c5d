"""Two relays and one row: a lapsed lease never lets both post it, on SQLite and PostgreSQL.

The relays share a settable clock, so a lease "runs out" exactly when a test says; the second
relay runs at the moment the first is most exposed (mid-start, mid-send).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import bot.outbox.repository as outbox_sql
from bot import db
from bot.bootstrap import card_loader
from bot.outbox.models import OutboxMessage
from bot.outbox.port import Delivery, LeaseLostError, RateLimitedError, Sender, Sent
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import decisions, schemas
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import LOOKUP_PAGES, OutboxNotifier

from support.clock import Clock
from support.stack import CHANNEL, INCIDENTS
from support.store import migrated
from support.workers_env import submit_and_approve

LEASE = 30.0
CONFIG = RelayConfig(post_interval=0.0, lease_seconds=LEASE, backoff_cap=0.05)
POLICY = schemas.Policy(incident_channel=INCIDENTS)
SLACK_TIMEOUT = 10.0  # bot/bootstrap.py builds the bot's WebClient with timeout=10


@dataclass
class Posts:
    """A Sender standing in for Slack: records who posted which row."""

    made: list[tuple[int, str]] = field(default_factory=list)
    before: Callable[[Delivery], None] = lambda _job: None

    def for_relay(self, name: str) -> _Poster:
        return _Poster(self, name)


@dataclass
class _Poster:
    posts: Posts
    name: str

    def deliver(self, job: Delivery) -> Sent:
        self.posts.before(job)
        if job.outcome_unknown:
            for outbox_id, _ in self.posts.made:
                if outbox_id == job.outbox_id:
                    return Sent(job.channel, "1.0")
        if not job.keep():  # as OutboxNotifier does just before chat.postMessage
            raise LeaseLostError(str(job.outbox_id))
        self.posts.made.append((job.outbox_id, self.name))
        return Sent(job.channel, f"{len(self.posts.made)}.0")


def _relay(
    sessions: sessionmaker[Session], sender: Sender, owner: str, clock: Clock
) -> OutboxRelay:
    return OutboxRelay(sessions=sessions, sender=sender, owner=owner, config=CONFIG, clock=clock)


def _card(sessions: sessionmaker[Session]) -> OutboxMessage:
    with sessions() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "card")).one()
        s.expunge(row)
        return row


def test_a_relay_whose_lease_ran_out_while_it_waited_does_not_start_the_send(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's lease ran out; B takes the row over while A is starting its send: A must not send."""
    with migrated(postgres_url) as sessions:
        submit_and_approve(sessions, POLICY, [1], approve=False)
        clock, posts = Clock(), Posts()
        a = _relay(sessions, posts.for_relay("A"), "A", clock)
        b = _relay(sessions, posts.for_relay("B"), "B", clock)
        a._claim()  # A holds the card...
        clock.advance(LEASE + 1)  # ...and its lease runs out while it waits its turn
        real_extend = outbox_sql.extend_lease
        main = threading.current_thread()
        b_claimed = threading.Event()

        def b_claims_first(s: Session, outbox_id: int, **kwargs: Any) -> bool:
            # A's start has opened its transaction and is about to take the row: B, in its own
            # session and thread, claims the lapsed row first.
            if threading.current_thread() is main and not b_claimed.is_set():
                other = threading.Thread(target=b._claim)
                other.start()
                other.join(20)
                assert not other.is_alive(), "B's claim did not finish"
                b_claimed.set()
            return real_extend(s, outbox_id, **kwargs)

        monkeypatch.setattr(outbox_sql, "extend_lease", b_claims_first)
        a.tick(claim=False)
        monkeypatch.setattr(outbox_sql, "extend_lease", real_extend)
        assert b_claimed.is_set(), "the race hook never ran: A's start no longer takes its lease"
        assert posts.made == []  # the row was B's by the time A went to send it
        b.tick()
        a.tick()
        card = _card(sessions)
        assert posts.made == [(card.id, "B")]
        assert card.sent_at is not None and card.lease_owner is None


def test_a_long_send_keeps_its_lease_so_no_other_relay_takes_the_row(
    sessions: sessionmaker[Session],
) -> None:
    submit_and_approve(sessions, POLICY, [1], approve=False)
    clock, posts = Clock(), Posts()
    a = _relay(sessions, posts.for_relay("A"), "A", clock)
    b = _relay(sessions, posts.for_relay("B"), "B", clock)

    def slow_lookup_then_b_runs(job: Delivery) -> None:
        posts.before = lambda _job: None
        clock.advance(LEASE - 5)  # a long lookup...
        assert job.keep()  # ...after which the sender extends the lease
        clock.advance(10)  # a slow post: past the first lease, within the extended one
        b.tick()

    posts.before = slow_lookup_then_b_runs
    a.tick()
    card = _card(sessions)
    assert posts.made == [(card.id, "A")]
    assert card.sent_at is not None and card.lease_owner is None


def test_a_relay_that_lost_its_lease_mid_send_does_not_post(
    sessions: sessionmaker[Session],
) -> None:
    """The reviewer's case with the real notifier: B took the row over during A's slow send."""
    submit_and_approve(sessions, POLICY, [1], approve=False)
    clock = Clock()
    with SlackWebApiStandIn(channels=[CHANNEL, INCIDENTS]) as slack:
        client = WebClient(
            token=DEFAULT_BOT_TOKEN, base_url=slack.api_url, timeout=2, retry_handlers=[]
        )
        b = _relay(sessions, OutboxNotifier(client, card_loader(sessions)), "B", clock)

        class SlowNotifier(OutboxNotifier):
            def deliver(self, job: Delivery) -> Sent:
                clock.advance(LEASE + 1)  # the send stalls past the lease...
                b.tick()  # ...B takes the row over, looks, finds nothing, posts it
                return super().deliver(job)

        a = _relay(sessions, SlowNotifier(client, card_loader(sessions)), "A", clock)
        a.tick()
        a.tick()
        b.tick()
        assert len(slack.messages(CHANNEL)) == 1
        card = _card(sessions)
        assert card.sent_at is not None and card.slack_ts == slack.messages(CHANNEL)[0].ts


def test_a_rate_limited_digest_leaves_no_covered_row_looking_for_itself(
    sessions: sessionmaker[Session],
) -> None:
    """On a 429 Slack applied nothing: no row of the digest needs a lookup next time."""
    ids = submit_and_approve(sessions, POLICY, range(30))
    with db.transaction(sessions) as s:
        for rid in ids:
            decisions.cancel(
                s,
                request_id=rid,
                actor_id="U0APPROVER1",
                actor_is_approver=True,
                policy=POLICY,
                now=db.utcnow(),
            )
    clock, posts = Clock(), Posts()
    refused: list[Delivery] = []

    def refuse_the_first_digest(job: Delivery) -> None:
        if job.digest and not refused:
            refused.append(job)
            raise RateLimitedError(600)

    posts.before = refuse_the_first_digest
    relay = _relay(sessions, posts.for_relay("A"), "A", clock)
    for _ in range(200):
        relay.tick()
        if refused:
            break
    assert refused and len(refused[0].digest) > 1
    with sessions() as s:
        covered = s.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_([d[0] for d in refused[0].digest]))
        ).all()
    assert covered and all(r.sent_at is None for r in covered)
    assert [r.send_started_at for r in covered] == [None] * len(covered)


def test_the_lease_outlasts_a_whole_lookup_and_the_post() -> None:
    assert RelayConfig().lease_seconds >= 1.2 * (LOOKUP_PAGES + 1) * SLACK_TIMEOUT


def test_a_dead_relays_rows_are_taken_over_within_a_minute() -> None:
    """CONTRACT.md: work held by a process that dies is taken over within 60 seconds."""
    config = RelayConfig()
    assert config.lease_seconds + config.claim_every <= 60
