"""Migrations from empty to head and back, and no drift between models and migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import bot.outbox.models
import bot.requests.models
from bot import db
from bot.db import Base

TABLES = {
    "detach_request",
    "request_target",
    "approval",
    "request_event",
    "outbox_message",
    "outbox_thread",
    "slack_pace",
}


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(db_url: str) -> None:
    db.upgrade(db_url)
    assert _tables(db_url) == TABLES
    db.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    db.upgrade(db_url)
    assert _tables(db_url) == TABLES
    engine = db.make_engine(db_url)
    try:
        assert db.current_revision(engine) == db.head_revision()
        assert db.is_ready(engine) == (True, "ok")
    finally:
        engine.dispose()


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_not_ready_before_migrations(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        ready, why = db.is_ready(engine)
    finally:
        engine.dispose()
    assert not ready
    assert "migrations not at head" in why


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    db.upgrade(db_url)
    db.upgrade(db_url)
    assert _tables(db_url) == TABLES


_ = bot.outbox.models

# Added after 0001: the hot-query indexes (7070f8bfb85b; the ENI one moved to the targets
# with 0003).
HOT_QUERY_INDEXES = {
    ("request_target", "ix_request_target_eni"),
    ("outbox_message", "ix_outbox_message_summaries"),
}


def _indexes(url: str) -> set[tuple[str, str]]:
    engine = db.make_engine(url)
    try:
        found = inspect(engine)
        tables = set(found.get_table_names())
        return {
            (table, str(ix["name"]))
            for table in ("detach_request", "request_target", "outbox_message")
            if table in tables
            for ix in found.get_indexes(table)
        }
    finally:
        engine.dispose()


def test_hot_query_indexes_come_and_go_with_their_revision(db_url: str) -> None:
    db.upgrade(db_url, "0001")
    assert not HOT_QUERY_INDEXES & _indexes(db_url)
    db.upgrade(db_url)
    assert _indexes(db_url) >= HOT_QUERY_INDEXES
    db.downgrade(db_url, "0001")
    assert not HOT_QUERY_INDEXES & _indexes(db_url)
    assert {"ix_detach_request_status_due", "ix_outbox_message_pending"} <= {
        name for _, name in _indexes(db_url)
    }
    db.upgrade(db_url)
    assert _indexes(db_url) >= HOT_QUERY_INDEXES


def test_replicas_starting_together_migrate_once(db_url: str) -> None:
    """CONTRACT.md: migrations at start are serialised by the database, not by luck."""
    import subprocess
    import sys

    code = "import sys; from bot import db; db.upgrade(sys.argv[1])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(rc == 0 for rc, _ in results), [err[-800:] for _, err in results]
    assert _tables(db_url) == TABLES
    engine = db.make_engine(db_url)
    try:
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()
