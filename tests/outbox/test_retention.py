"""Outbox retention: sent rows past ENIBOT_OUTBOX_RETENTION_DAYS go, in small batches; nothing else.

Kept whatever their age: unsent rows (including ones whose send is in doubt), the audit trail
(request_event, approval, the requests), and whatever the relay still reads: a thread whose card
row was deleted still gets its replies in the card's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import card_hooks, card_loader
from bot.outbox.enqueue import thread_key
from bot.outbox.models import MessageKind, OutboxMessage, OutboxThread
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.outbox.retention import OutboxRetention, RetentionConfig
from bot.requests import schemas
from bot.requests.models import Approval, DetachRequest, RequestEvent
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.notifier import OutboxNotifier

from support.stack import CHANNEL, INCIDENTS
from support.workers_env import approve_all, submit_and_approve

POLICY = schemas.Policy(incident_channel=INCIDENTS)
RELAY = RelayConfig(post_interval=0.0, claim_every=0.02, backoff_base=0.05, backoff_cap=0.3)


@dataclass(frozen=True)
class Counts:
    outbox: int
    unsent: int
    events: int
    approvals: int
    requests: int


def counts(sessions: sessionmaker[Session]) -> Counts:
    with db.read(sessions) as s:

        def n(model: type[object], *where: object) -> int:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return Counts(
            outbox=n(OutboxMessage),
            unsent=n(OutboxMessage, OutboxMessage.sent_at.is_(None)),
            events=n(RequestEvent),
            approvals=n(Approval),
            requests=n(DetachRequest),
        )


def age_outbox(sessions: sessionmaker[Session], *, sent_at: datetime, ids: list[int]) -> None:
    """Mark these rows as sent at `sent_at` (what the relay would have written back then)."""
    with db.transaction(sessions) as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(sent_at=sent_at, slack_ts="1700000000.000100", slack_channel=CHANNEL)
        )


def outbox_ids(sessions: sessionmaker[Session]) -> list[int]:
    with db.read(sessions) as s:
        return list(s.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def test_only_sent_rows_older_than_the_retention_are_deleted(
    sessions: sessionmaker[Session],
) -> None:
    now = db.utcnow()
    submit_and_approve(sessions, POLICY, range(6))
    ids = outbox_ids(sessions)
    old, recent, unsent = ids[:5], ids[5:8], ids[8:]
    age_outbox(sessions, sent_at=now - timedelta(days=31), ids=old)
    age_outbox(sessions, sent_at=now - timedelta(days=29), ids=recent)
    with db.transaction(sessions) as s:  # an old row whose send is in doubt is not "sent"
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == unsent[0])
            .values(send_started_at=now - timedelta(days=60), created_at=now - timedelta(days=60))
        )
    before = counts(sessions)

    retention = OutboxRetention(
        sessions=sessions, config=RetentionConfig(days=30), clock=lambda: now
    )
    assert retention.run_once() == len(old)

    after = counts(sessions)
    assert outbox_ids(sessions) == recent + unsent
    assert after.unsent == before.unsent == len(unsent)
    assert (after.events, after.approvals, after.requests) == (
        before.events,
        before.approvals,
        before.requests,
    )
    assert retention.run_once() == 0  # nothing more is old enough


def test_deletes_in_batches_each_in_its_own_short_transaction(
    sessions: sessionmaker[Session],
) -> None:
    now = db.utcnow()
    submit_and_approve(sessions, POLICY, range(12))
    ids = outbox_ids(sessions)
    age_outbox(sessions, sent_at=now - timedelta(days=40), ids=ids)
    commits: list[int] = []

    def pause(_seconds: float) -> None:  # between batches: what another connection sees now
        commits.append(counts(sessions).outbox)

    retention = OutboxRetention(
        sessions=sessions,
        config=RetentionConfig(days=30, batch=5),
        clock=lambda: now,
        sleep=pause,
    )
    assert retention.run_once() == len(ids)
    # Each batch was committed (visible elsewhere) before the next began: five rows at a time.
    assert commits == [len(ids) - 5 * k for k in range(1, len(ids) // 5 + 1)]
    assert counts(sessions).outbox == 0


def test_a_thread_whose_card_row_was_deleted_still_gets_its_replies(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    """Nothing the relay reads lives only in a sent row: the thread's ts is the outbox's own."""
    sessions = sqlite_sessions
    with SlackWebApiStandIn(channels=[CHANNEL, INCIDENTS]) as slack:
        client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])
        relay = OutboxRelay(
            sessions=sessions,
            sender=OutboxNotifier(client, card_loader(sessions)),
            owner="relay",
            config=RELAY,
            hooks=card_hooks(POLICY),
        )
        [rid] = submit_and_approve(sessions, POLICY, [1], approve=False)
        relay.drain()
        card_ts = _card_ts(sessions, rid)
        later = db.utcnow() + timedelta(days=31)
        deleted = OutboxRetention(
            sessions=sessions, config=RetentionConfig(days=30), clock=lambda: later
        ).run_once()
        assert deleted == 1 and counts(sessions).outbox == 0  # the card's row is gone

        approve_all(sessions, POLICY, [rid])
        relay.drain()
        replies = slack.thread(CHANNEL, card_ts)
        assert [m.thread_ts for m in replies] == [card_ts]
        assert "Approved" in replies[0].text
        assert counts(sessions).unsent == 0


def _card_ts(sessions: sessionmaker[Session], rid: int) -> str:
    with db.read(sessions) as s:
        found = s.get(DetachRequest, rid)
        thread = s.get(OutboxThread, thread_key(rid))
        assert found is not None and found.card_ts is not None
        assert thread is not None and thread.root_ts == found.card_ts
        kinds = s.scalars(select(OutboxMessage.kind)).all()
        assert kinds == [MessageKind.CARD.value]
        return found.card_ts
