"""bot.db: read-only units of work on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests.models import DetachRequest

from support.store import submit


@pytest.fixture
def factory(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return sessions


def test_read_sees_committed_rows_and_they_outlive_the_session(
    factory: sessionmaker[Session],
) -> None:
    rid = submit(factory).id
    with db.read(factory) as session:
        found = session.scalars(select(DetachRequest)).all()
    assert [r.id for r in found] == [rid]
    assert found[0].reason == "rotate the NIC"  # loaded state survives the end of the read


def test_read_only_connections_leave_the_pool_writable(factory: sessionmaker[Session]) -> None:
    for n in range(3):  # the same pooled connections go back and forth between the two kinds
        with db.read(factory) as session:
            session.execute(text("SELECT 1"))
        rid = submit(factory, eni=f"eni-bp1{n:017d}").id
        with db.transaction(factory) as session:
            session.execute(update(DetachRequest).where(DetachRequest.id == rid).values(reason="x"))


@pytest.mark.postgres
def test_a_write_inside_read_fails_on_postgresql(postgres_url: str) -> None:
    db.upgrade(postgres_url)
    engine = db.make_engine(postgres_url)
    try:
        factory = db.session_factory(engine)
        submit(factory)
        with pytest.raises(DBAPIError, match="read-only transaction"), db.read(factory) as s:
            s.execute(update(DetachRequest).values(reason="changed"))
            s.flush()
    finally:
        engine.dispose()
