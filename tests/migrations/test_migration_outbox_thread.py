"""c45bdb9575de carries every request's channel and card ts over into the outbox's thread record."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy import inspect, text

from bot import db
from bot.bootstrap import card_loader
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.requests import schemas
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import OutboxNotifier

from support.workers_env import approve_all

BEFORE = "a7c3e1f05b2d"

_REQUEST = text(
    "INSERT INTO detach_request (id, region, eni_id, instance_id, requester_id, channel_id,"
    " reason, status, approvals_needed, expires_at, eni_snapshot, attempts, poll_count,"
    " ecs_trouble_reported, card_ts, created_at, updated_at)"
    " VALUES (:id, 'cn-hangzhou', :eni, 'i-1', 'U1', :channel, 'r', :status, 1,"
    " '2030-12-01 10:00:00', '{}', 0, 0, false, :card_ts, '2026-12-01 09:00:00',"
    " '2026-12-01 09:30:00')"
)
_OUTBOX = text(
    "INSERT INTO outbox_message (request_id, kind, payload, ordering_key, dedupe_key, attempts,"
    " scheduled_for, created_at, sent_at, slack_channel, slack_ts)"
    " VALUES (:rid, :kind, :payload, :key, :dedupe, 0, '2026-12-01 09:00:00',"
    " '2026-12-01 09:00:00', :sent_at, :channel, :ts)"
)


def _threads(url: str) -> dict[str, tuple[str, str | None]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT ordering_key, channel, root_ts FROM outbox_thread"))
            return {key: (channel, ts) for key, channel, ts in found}
    finally:
        engine.dispose()


def _seed(url: str, card_ts: str = "1700000000.000100") -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            posted = {"id": 1, "eni": "eni-a", "channel": "C0OPS", "card_ts": card_ts}
            conn.execute(_REQUEST, {**posted, "status": "pending"})
            conn.execute(
                _OUTBOX,
                {
                    "rid": 1,
                    "kind": "card",
                    "payload": '{"channel": "C0OPS"}',
                    "key": "request:1",
                    "dedupe": "request:1:card",
                    "sent_at": "2026-12-01 09:00:01",
                    "channel": "C0OPS",
                    "ts": card_ts,
                },
            )
            # Its card still queued: the thread has a channel and no root yet.
            queued = {"id": 2, "eni": "eni-b", "channel": "C0DEV", "card_ts": None}
            conn.execute(_REQUEST, {**queued, "status": "pending"})
    finally:
        engine.dispose()


def test_every_request_gets_its_thread_record_and_downgrade_drops_it(db_url: str) -> None:
    db.upgrade(db_url, BEFORE)
    _seed(db_url)
    db.upgrade(db_url)
    assert _threads(db_url) == {
        "request:1": ("C0OPS", "1700000000.000100"),
        "request:2": ("C0DEV", None),
    }
    db.downgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        assert "outbox_thread" not in inspect(engine).get_table_names()
        with engine.connect() as conn:  # the domain's card_ts was never the thread's only copy
            kept = conn.execute(text("SELECT card_ts FROM detach_request WHERE id = 1")).scalar()
        assert kept == "1700000000.000100"
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert set(_threads(db_url)) == {"request:1", "request:2"}


def test_a_thread_carried_over_gets_its_replies_under_the_card_posted_before(
    sqlite_url: str,
) -> None:
    """After the upgrade the relay, which no longer reads card_ts, replies under the 0.1 card."""
    with SlackWebApiStandIn(channels=["C0OPS", "C0DEV"]) as slack:
        client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])
        card_ts = str(client.chat_postMessage(channel="C0OPS", text="the 0.1 card")["ts"])
        db.upgrade(sqlite_url, BEFORE)
        _seed(sqlite_url, card_ts)
        db.upgrade(sqlite_url)
        engine = db.make_engine(sqlite_url)
        sessions = db.session_factory(engine)
        try:
            approve_all(sessions, schemas.Policy(), [1])
            OutboxRelay(
                sessions=sessions,
                sender=OutboxNotifier(client, card_loader(sessions)),
                owner="test",
                config=RelayConfig(post_interval=0.0, claim_every=0.02),
            ).drain(timeout=10)
        finally:
            engine.dispose()
        [reply] = slack.thread("C0OPS", card_ts)
        assert "Approved" in reply.text
        card = slack.message("C0OPS", card_ts)
        assert card is not None and "Approved" in card.text  # updated in place
