"""The outbox relay against the Slack stand-in: order, pace, faults, never twice, digests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import card_hooks, card_loader
from bot.outbox.models import OutboxMessage
from bot.outbox.port import CardHooks, CardUndeliverable
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import cards, decisions, schemas
from bot.requests.models import DetachRequest
from bot.requests.states import Status
from bot.sim.slack.records import RecordedCall
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import OutboxNotifier

from support.stack import APPROVER, CHANNEL, INCIDENTS
from support.workers_env import approve_all, submit_and_approve

FAST = RelayConfig(post_interval=0.0, claim_every=0.02, backoff_base=0.05, backoff_cap=0.3)
POLICY = schemas.Policy(incident_channel=INCIDENTS)


@dataclass
class Env:
    sessions: sessionmaker[Session]
    slack: SlackWebApiStandIn

    def relay(
        self,
        config: RelayConfig = FAST,
        owner: str = "test:relay",
        on_card_undeliverable: CardUndeliverable | None = None,
    ) -> OutboxRelay:
        client = WebClient(
            token=DEFAULT_BOT_TOKEN, base_url=self.slack.api_url, timeout=2, retry_handlers=[]
        )
        return OutboxRelay(
            sessions=self.sessions,
            sender=OutboxNotifier(client, card_loader(self.sessions)),
            owner=owner,
            config=config,
            hooks=CardHooks(posted=cards.card_posted, undeliverable=on_card_undeliverable),
        )


@pytest.fixture
def env(sqlite_sessions: sessionmaker[Session]) -> Iterator[Env]:
    with SlackWebApiStandIn(channels=[CHANNEL, INCIDENTS]) as slack:
        yield Env(sqlite_sessions, slack)


def _approve_then_cancel(env: Env, count: int, first: int = 0) -> list[int]:
    """Requests that go pending → approved → cancelled: card, 2 replies, 2 updates, summary."""
    ids = submit_and_approve(env.sessions, POLICY, range(first, first + count))
    with db.transaction(env.sessions) as s:
        for rid in ids:
            decisions.cancel(
                s,
                request_id=rid,
                actor_id=APPROVER,
                actor_is_approver=True,
                policy=POLICY,
                now=db.utcnow(),
            )
    return ids


def _rows(env: Env) -> list[OutboxMessage]:
    with env.sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _posted_once_in_order(env: Env) -> None:
    """Every post-type row has its own message; each thread's replies follow outbox order."""
    rows = _rows(env)
    assert all(r.sent_at is not None for r in rows)
    posts = [r for r in rows if r.kind in ("card", "thread_reply") and r.last_error is None]
    ts = [r.slack_ts for r in posts]
    assert len(set(ts)) == len(ts)
    messages = env.slack.messages(CHANNEL, include_replies=True)
    ids = [m.metadata["event_payload"]["outbox_id"] for m in messages if m.metadata]
    assert sorted(ids) == sorted(r.id for r in posts)  # each exactly once
    by_request: dict[int, list[int]] = {}
    for m in messages:
        if m.metadata:
            payload = m.metadata["event_payload"]
            by_request.setdefault(payload["request_id"], []).append(payload["outbox_id"])
    for sequence in by_request.values():
        assert sequence == sorted(sequence)


@pytest.mark.parametrize(
    "outage_seconds", [1.5, pytest.param(30.0, marks=pytest.mark.slow, id="30s-outage")]
)
def test_messages_arrive_once_and_in_order_through_429s_and_an_outage(
    env: Env, outage_seconds: float
) -> None:
    _approve_then_cancel(env, 6)
    env.slack.fail_next("chat.postMessage", 3, "rate_limited", retry_after=1)
    relay = env.relay()
    done = threading.Event()
    posted = threading.Event()
    env.slack.subscribe(lambda call: posted.set() if call.ok else None)

    def run() -> None:
        relay.drain(timeout=outage_seconds + 30)
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    assert posted.wait(10)
    env.slack.outage(outage_seconds)
    thread.join(outage_seconds + 40)
    assert done.is_set()
    _posted_once_in_order(env)
    assert len([c for c in env.slack.calls("chat.postMessage") if c.status == 429]) == 3


def _form_lookup_around(call: RecordedCall, ts: str) -> bool:
    """A lookup Slack would answer: form parameters (not JSON), metadata, a window around `ts`."""
    content_type = next(v for k, v in call.headers.items() if k.lower() == "content-type")
    params = call.params
    return (
        "json" not in content_type
        and params["include_all_metadata"] in ("1", "true")
        and float(params["oldest"]) <= float(ts) <= float(params["latest"])
    )


def test_a_post_whose_answer_was_lost_is_found_by_metadata_not_posted_again(env: Env) -> None:
    """Slack ignores a JSON body on conversations.history: a JSON lookup finds nothing."""
    submit_and_approve(env.sessions, POLICY, [1], approve=False)
    env.slack.fail_next("chat.postMessage", 1, "response_lost")
    env.relay().drain(timeout=10)
    assert len(env.slack.messages(CHANNEL)) == 1
    [row] = _rows(env)
    assert row.sent_at is not None and row.slack_ts == env.slack.messages(CHANNEL)[0].ts
    [lookup] = env.slack.calls("conversations.history")  # it looked before sending again
    assert lookup.ok and _form_lookup_around(lookup, row.slack_ts)


def test_a_reply_whose_answer_was_lost_is_found_in_the_thread(env: Env) -> None:
    submit_and_approve(env.sessions, POLICY, [2], approve=False)
    env.relay().drain(timeout=10)
    with db.read(env.sessions) as s:
        rid = s.scalars(select(OutboxMessage.request_id)).first()
    assert rid is not None
    approve_all(env.sessions, POLICY, [rid])
    env.slack.fail_next("chat.postMessage", 1, "response_lost")
    env.relay().drain(timeout=10)
    messages = env.slack.messages(CHANNEL, include_replies=True)
    assert len(messages) == 2
    [lookup] = env.slack.calls("conversations.replies")
    assert lookup.ok and _form_lookup_around(lookup, messages[1].ts)


def test_waiting_card_updates_for_one_request_are_coalesced(env: Env) -> None:
    _approve_then_cancel(env, 1)
    env.relay().drain(timeout=10)
    assert len([c for c in env.slack.calls("chat.update") if c.ok]) == 1
    card = env.slack.messages(CHANNEL)[0]
    assert "Cancelled" in card.text
    assert not [b for b in card.blocks if b["type"] == "actions"]


def test_a_burst_of_finished_requests_becomes_a_digest_in_the_incident_channel(env: Env) -> None:
    ids = _approve_then_cancel(env, 30)
    env.relay().drain(timeout=20)
    posts = env.slack.messages(INCIDENTS)
    assert len(posts) < 30
    text = "\n".join(str(b) for m in posts for b in m.blocks)
    for rid in ids:
        assert text.count(f"Request #{rid}:") == 1
    assert any("finished" in m.text for m in posts)
    assert all(r.sent_at is not None for r in _rows(env))


def test_few_finished_requests_get_one_summary_each(env: Env) -> None:
    ids = _approve_then_cancel(env, 3)
    env.relay().drain(timeout=10)
    posts = env.slack.messages(INCIDENTS)
    assert len(posts) == 3
    assert [f"#{rid}" in p.text for p, rid in zip(posts, ids, strict=True)] == [True] * 3


def test_an_undeliverable_card_is_given_up_and_does_not_block_others(env: Env) -> None:
    with db.transaction(env.sessions) as s:
        decisions.submit(
            s,
            new=schemas.NewRequest(
                region="cn-hangzhou",
                requester_id="U0REQUESTER",
                channel_id="C0GONE",
                reason="x",
                targets=(schemas.NewTarget(eni_id="eni-lost1", instance_id="i-lost1"),),
            ),
            policy=POLICY,
            now=db.utcnow(),
        )
    submit_and_approve(env.sessions, POLICY, [3], approve=False)
    env.relay(FAST).drain(timeout=10)
    assert len(env.slack.messages(CHANNEL)) == 1
    gone = [r for r in _rows(env) if r.slack_channel == "C0GONE"]
    assert gone and gone[0].last_error and "channel_not_found" in gone[0].last_error


def test_two_relays_never_send_the_same_row(env: Env) -> None:
    _approve_then_cancel(env, 10)
    relays = [env.relay(owner=f"test:{n}") for n in range(2)]
    threads = [threading.Thread(target=r.drain, kwargs={"timeout": 20}) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    _posted_once_in_order(env)


def _submit_in(env: Env, channel: str) -> int:
    [rid] = submit_and_approve(env.sessions, POLICY, [7], approve=False, channel=lambda _n: channel)
    return rid


# What the composition root plugs into every relay.
_cancel_and_tell = card_hooks(POLICY).undeliverable


def test_a_card_in_a_channel_that_takes_no_posts_is_given_up_at_slacks_first_answer(
    env: Env,
) -> None:
    env.slack.add_conversation("G0SECRET", kind="private", bot_member=False)
    rid = _submit_in(env, "G0SECRET")
    told: list[tuple[int, str]] = []
    env.relay(on_card_undeliverable=lambda _s, r, problem, _now: told.append((r, problem))).drain(
        timeout=10
    )
    assert len(env.slack.calls("chat.postMessage")) == 1  # not give_up_after attempts
    assert told == [(rid, "channel_not_found")]
    [card] = _rows(env)
    assert card.sent_at is not None and "channel_not_found" in (card.last_error or "")


def test_a_requester_the_bot_cannot_reach_either_is_logged_and_nothing_waits_on_it(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.slack.add_conversation("C0OLDOPS", archived=True)
    env.slack.set_messages_tab(False)
    rid = _submit_in(env, "C0OLDOPS")
    with caplog.at_level(logging.ERROR):
        env.relay(on_card_undeliverable=_cancel_and_tell).drain(timeout=10)
    assert all(r.sent_at is not None for r in _rows(env))
    with env.sessions() as s:
        request = s.get(DetachRequest, rid)
        assert request is not None and request.state is Status.CANCELLED
    tried = [c.method for c in env.slack.calls() if not c.ok]
    assert tried == ["chat.postMessage", "chat.postEphemeral", "chat.postMessage"]
    assert any("requester_notice" in r.getMessage() for r in caplog.records)
