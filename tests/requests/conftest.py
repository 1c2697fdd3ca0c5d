"""A migrated database on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker


@pytest.fixture
def factory(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on a database migrated to head (SQLite and PostgreSQL)."""
    return sessions
