"""The relay reads what a failed send means off the port's error types, and nothing else.

The senders here are not Slack's: they raise bot.outbox.port's errors (or an impostor that
looks like them) so the relay's rules are seen on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox.models import MessageKind, OutboxMessage, OutboxThread
from bot.outbox.port import (
    CardHooks,
    Delivery,
    RateLimitedError,
    RejectedError,
    Sent,
    UnreachableError,
)
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import schemas

from support.clock import Clock
from support.stack import INCIDENTS
from support.workers_env import submit_and_approve

CONFIG = RelayConfig(post_interval=0.0, backoff_base=1.0, backoff_cap=4.0, give_up_after=3)
POLICY = schemas.Policy(incident_channel=INCIDENTS)


class SlackUnreachableError(Exception):
    """Not a port error, however it looks: a fault of ours, retried as if it may have posted."""

    retry_after = 600.0
    applied_maybe = False
    permanent = True
    channel_problem = True
    conclusive = True
    error = "channel_not_found"


@dataclass
class Failing:
    """A Sender that raises `errors` in turn, then posts."""

    errors: list[Exception]
    jobs: list[Delivery] = field(default_factory=list)

    def deliver(self, job: Delivery) -> Sent:
        self.jobs.append(job)
        if self.errors:
            raise self.errors.pop(0)
        return Sent(job.channel, f"{len(self.jobs)}.000100")


@dataclass
class Env:
    sessions: sessionmaker[Session]
    clock: Clock
    told: list[tuple[int, str]] = field(default_factory=list)

    def relay(self, sender: Failing) -> OutboxRelay:
        def undeliverable(_s: Session, rid: int, problem: str, _now: datetime) -> None:
            self.told.append((rid, problem))

        return OutboxRelay(
            sessions=self.sessions,
            sender=sender,
            owner="test",
            config=CONFIG,
            clock=self.clock,
            monotonic=self.clock.monotonic,
            hooks=CardHooks(undeliverable=undeliverable),
        )

    def card(self) -> OutboxMessage:
        with db.read(self.sessions) as s:
            rows = s.query(OutboxMessage).filter_by(kind=MessageKind.CARD.value).all()
            [row] = rows
            return row


@pytest.fixture
def env(sqlite_sessions: sessionmaker[Session]) -> Env:
    submit_and_approve(sqlite_sessions, POLICY, [1], approve=False)  # one card, due now
    return Env(sqlite_sessions, Clock(db.utcnow() + timedelta(seconds=1)))


def test_rate_limited_waits_retry_after_and_needs_no_lookup(env: Env) -> None:
    sender = Failing([RateLimitedError(7.0)])
    relay = env.relay(sender)
    relay.tick()
    card = env.card()
    assert card.sent_at is None and card.send_started_at is None  # nothing was applied
    assert card.scheduled_for == env.clock.now + timedelta(seconds=7)
    env.clock.advance(7)
    relay.tick()
    assert env.card().sent_at is not None
    assert sender.jobs[-1].started_at is None  # posted again without looking first


@pytest.mark.parametrize("applied_maybe", [True, False])
def test_unreachable_looks_first_only_when_the_post_may_have_landed(
    env: Env, applied_maybe: bool
) -> None:
    sender = Failing([UnreachableError("reset", applied_maybe=applied_maybe)])
    relay = env.relay(sender)
    relay.tick()
    card = env.card()
    assert card.sent_at is None
    assert (card.send_started_at is not None) is applied_maybe
    assert card.scheduled_for == env.clock.now + timedelta(seconds=CONFIG.backoff_base)


def test_a_conclusive_refusal_gives_the_card_up_at_once_and_tells_the_domain(env: Env) -> None:
    relay = env.relay(Failing([RejectedError("gone", permanent=True, conclusive=True)]))
    relay.tick()
    card = env.card()
    assert card.sent_at is not None and card.attempts == 1
    assert card.last_error == "undeliverable: refused: gone"
    assert env.told == [(card.request_id, "gone")]
    with db.read(env.sessions) as s:
        thread = s.get(OutboxThread, card.ordering_key)
    assert thread is not None and thread.root_ts is None


def test_a_permanent_refusal_is_tried_give_up_after_times(env: Env) -> None:
    refusals: list[Exception] = [RejectedError("bad", permanent=True) for _ in range(5)]
    relay = env.relay(Failing(refusals))
    for attempt in range(1, CONFIG.give_up_after + 1):
        relay.tick()
        card = env.card()
        assert card.attempts == attempt
        assert (card.sent_at is not None) is (attempt == CONFIG.give_up_after)
        if card.sent_at is None:
            assert card.send_started_at is None  # Slack applied nothing: no lookup next time
        env.clock.advance(CONFIG.backoff_cap)
    assert env.told == [(env.card().request_id, "bad")]


def test_a_passing_refusal_may_have_posted_so_the_next_try_looks(env: Env) -> None:
    sender = Failing([RejectedError("fatal_error", permanent=False)])
    relay = env.relay(sender)
    relay.tick()
    card = env.card()
    assert card.sent_at is None and card.send_started_at is not None
    env.clock.advance(CONFIG.backoff_cap)
    relay.tick()
    assert sender.jobs[-1].started_at is not None and env.card().sent_at is not None


def test_an_error_outside_the_port_is_a_fault_whatever_its_name_and_attributes(
    env: Env,
) -> None:
    sender = Failing([SlackUnreachableError("looks like Slack's")])
    relay = env.relay(sender)
    relay.tick()
    card = env.card()
    assert card.sent_at is None and env.told == []  # not given up, not a channel problem
    assert card.send_started_at is not None  # may have posted: the next try looks first
    assert card.scheduled_for == env.clock.now + timedelta(seconds=CONFIG.backoff_cap)
    env.clock.advance(CONFIG.backoff_cap)
    relay.tick()  # no 600 s block on the lane either
    assert env.card().sent_at is not None
