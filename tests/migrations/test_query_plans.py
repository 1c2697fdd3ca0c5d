"""The hot queries use their indexes, as the database plans them (SQLite and PostgreSQL).

Tables only grow, so a query that scans one gets slower every day. Each test runs the real code
path, captures the SQL it sends, and asks the database how it would run exactly that statement
(EXPLAIN QUERY PLAN on SQLite; EXPLAIN with sequential scans priced out on PostgreSQL, so the
plan does not depend on how few rows a test table holds). The plan must name the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox import enqueue
from bot.outbox.models import MessageKind
from bot.outbox.port import Delivery, Sent
from bot.outbox.relay import OutboxRelay
from bot.outbox.retention import OutboxRetention
from bot.requests import repository

from support.store import NOW, submit


@dataclass
class Captured:
    statement: str
    parameters: Any


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


def captured(engine: Engine, run: Callable[[], object], wanted: Callable[[str], bool]) -> Captured:
    """The one statement `run` sends that `wanted` picks out."""
    seen: list[Captured] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _m: bool) -> None:
        if wanted(statement):
            seen.append(Captured(statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1, [c.statement for c in seen]
    return seen[0]


def plan(engine: Engine, query: Captured) -> str:
    """How the database would run the captured statement, as one string."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query.statement}", query.parameters)
            text = "\n".join(str(row[-1]) for row in rows)
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = conn.exec_driver_sql(f"EXPLAIN {query.statement}", query.parameters)
            text = "\n".join(str(row[0]) for row in rows)
        conn.rollback()
    return text


def test_status_by_eni_uses_the_eni_index(engine: Engine) -> None:
    factory = db.session_factory(engine)
    for n in range(5):
        submit(factory, eni=f"eni-bp1{n:017d}")

    def status() -> None:
        with db.read(factory) as session:
            assert repository.latest_for_eni(session, "eni-bp100000000000000003") is not None

    query = captured(engine, status, lambda sql: "request_target.eni_id =" in sql)
    shown = plan(engine, query)
    assert "ix_request_target_eni" in shown, shown
    assert "TEMP B-TREE" not in shown and "Sort" not in shown, shown  # newest first, no sort


class _Posted:
    """A Sender that accepts everything (the relay's digest check runs before it is called)."""

    def deliver(self, job: Delivery) -> Sent:
        return Sent(channel=job.channel, ts="1700000000.000100")


def test_digest_count_uses_the_summary_index(engine: Engine) -> None:
    factory: sessionmaker[Session] = db.session_factory(engine)
    rid = submit(factory).id
    with db.transaction(factory) as s:
        for n in range(3):
            enqueue.enqueue(
                s,
                kind=MessageKind.INCIDENT_SUMMARY,
                request_id=rid,
                payload={"channel": "C0INCIDENTS"},
                ordering_key=enqueue.channel_key("C0INCIDENTS"),
                dedupe_key=f"summary:{n}",
                now=NOW - timedelta(minutes=n),
            )
    relay = OutboxRelay(sessions=factory, sender=_Posted(), owner="plan", clock=lambda: NOW)
    query = captured(
        engine,
        lambda: relay.tick(),
        lambda sql: "count(*)" in sql and "outbox_message.created_at >=" in sql,
    )
    shown = plan(engine, query)
    assert "ix_outbox_message_summaries" in shown, shown


def test_retention_finds_old_sent_rows_by_the_sent_index(engine: Engine) -> None:
    factory = db.session_factory(engine)
    submit(factory)
    retention = OutboxRetention(sessions=factory, clock=lambda: NOW + timedelta(days=60))
    query = captured(engine, retention.run_once, lambda sql: sql.lstrip().startswith("DELETE"))
    shown = plan(engine, query)
    assert "ix_outbox_message_pending" in shown, shown
