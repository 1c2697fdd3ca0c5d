"""Database-derived metrics: requests by state, outbox depth and age, transitions on commit."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from obs_scrape import samples, value
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.observability.metrics import Metrics
from bot.requests import decisions, schemas
from bot.requests.states import Status

from support.store import NOW, submit


@pytest.fixture
def sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """SQLite only here."""
    return sqlite_sessions


def test_unbound_metrics_have_no_database_series() -> None:
    names = {name for name, _ in samples(Metrics())}
    assert not any(n.startswith(("eni_bot_database_up", "eni_bot_requests")) for n in names)


def test_requests_by_state_are_read_from_the_database(sessions: sessionmaker[Session]) -> None:
    metrics = Metrics(sessions)
    assert value(metrics, "eni_bot_database_up") == 1
    assert value(metrics, "eni_bot_requests", state="pending") == 0
    first = submit(sessions, eni="eni-bp1000000000000000a")
    submit(sessions, eni="eni-bp1000000000000000b")
    with db.transaction(sessions) as s:
        decisions.cancel(
            s,
            request_id=first.id,
            actor_id="UREQ",
            actor_is_approver=False,
            policy=schemas.Policy(),
            now=NOW,
        )
    assert value(metrics, "eni_bot_requests", state="pending") == 1
    assert value(metrics, "eni_bot_requests", state="cancelled") == 1
    # Every state is present, so a dashboard's series never disappear.
    for status in Status:
        assert value(metrics, "eni_bot_requests", state=status.value) is not None


def test_outbox_depth_and_oldest_age(sessions: sessionmaker[Session]) -> None:
    metrics = Metrics(sessions, clock=lambda: NOW + timedelta(seconds=90))
    assert value(metrics, "eni_bot_outbox_depth") == 0
    assert value(metrics, "eni_bot_outbox_oldest_undelivered_seconds") == 0
    submit(sessions, eni="eni-bp1000000000000000a", now=NOW)
    submit(sessions, eni="eni-bp1000000000000000b", now=NOW + timedelta(seconds=30))
    assert value(metrics, "eni_bot_outbox_depth") == 2
    assert value(metrics, "eni_bot_outbox_oldest_undelivered_seconds") == 90


def test_transitions_are_counted_when_committed_not_when_rolled_back(
    sessions: sessionmaker[Session],
) -> None:
    metrics = Metrics(sessions)
    request = submit(sessions)
    assert value(metrics, "eni_bot_transitions_total", from_state="none", to_state="pending") == 1
    with pytest.raises(RuntimeError), db.transaction(sessions) as s:
        decisions.cancel(
            s,
            request_id=request.id,
            actor_id="UREQ",
            actor_is_approver=False,
            policy=schemas.Policy(),
            now=NOW,
        )
        raise RuntimeError("roll back")
    cancelled = {"from_state": "pending", "to_state": "cancelled"}
    assert value(metrics, "eni_bot_transitions_total", **cancelled) is None
    with db.transaction(sessions) as s:
        decisions.cancel(
            s,
            request_id=request.id,
            actor_id="UREQ",
            actor_is_approver=False,
            policy=schemas.Policy(),
            now=NOW,
        )
    assert value(metrics, "eni_bot_transitions_total", **cancelled) == 1


def test_rebinding_moves_the_transition_listener(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    metrics = Metrics(sessions)
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    db.upgrade(other_url)
    other_engine = db.make_engine(other_url)
    try:
        metrics.bind_database(db.session_factory(other_engine))
        submit(sessions)  # through the old factory: no longer counted
        assert (
            value(metrics, "eni_bot_transitions_total", from_state="none", to_state="pending")
            is None
        )
    finally:
        other_engine.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_database_down_still_renders_with_database_up_zero(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-such-dir" / "bot.db"
    engine = db.make_engine(f"sqlite:///{missing}")
    metrics = Metrics(db.session_factory(engine))
    metrics.observe_ack("command", 0.01)
    body, _ = metrics.render()
    assert value(metrics, "eni_bot_database_up") == 0
    assert b"eni_bot_requests{" not in body and b"eni_bot_outbox_depth " not in body
    assert value(metrics, "eni_bot_ack_seconds_count", kind="command") == 1
    engine.dispose()


def test_unreachable_postgres_is_reported_without_its_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql://bot:hunter2-db-password@127.0.0.1:{_closed_port()}/bot"
    engine = db.make_engine(url)
    metrics = Metrics(db.session_factory(engine))
    with caplog.at_level(logging.WARNING):
        assert value(metrics, "eni_bot_database_up") == 0
    assert "could not read the database" in caplog.text
    assert "hunter2" not in caplog.text
    engine.dispose()


def test_schema_missing_counts_as_down(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)  # never migrated: no tables
    metrics = Metrics(db.session_factory(engine))
    assert value(metrics, "eni_bot_database_up") == 0
    engine.dispose()
