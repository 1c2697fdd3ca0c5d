"""A migrated database on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database migrated to head (SQLite and PostgreSQL)."""
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    yield db.session_factory(engine)
    engine.dispose()
