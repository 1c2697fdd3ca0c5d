"""The runner: what its threads do together (retention, lease owners, clocks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, update

from bot import db
from bot.outbox.models import OutboxMessage
from bot.outbox.retention import RetentionConfig

from support.workers_env import FAST, BotFactory, submit_and_approve, unsent, wait_until


def test_workers_delete_old_sent_outbox_rows_and_keep_the_rest(make_bot: BotFactory) -> None:
    bot = make_bot(outbox_retention_days=30)
    sessions = bot.runtime.sessions
    ids = submit_and_approve(sessions, bot.runtime.policy, [1, 2], approve=False)
    with db.transaction(sessions) as s:  # the first request's card went out long ago
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.request_id == ids[0])
            .values(sent_at=db.utcnow() - timedelta(days=31), slack_ts="1700000000.000100")
        )
    assert unsent(sessions) == 1
    bot.start(replace(FAST, enable=frozenset({"retention"}), retention_sweep=0.05))

    def rows() -> int:
        with db.read(sessions) as s:
            return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)

    wait_until(lambda: rows() == 1)
    assert unsent(sessions) == 1  # the unsent card of the second request is still there


def test_retention_days_come_from_the_settings(make_bot: BotFactory) -> None:
    bot = make_bot(outbox_retention_days=7)
    workers = bot.start(replace(FAST, enable=frozenset()))
    assert workers.retention.config == RetentionConfig(days=7)
