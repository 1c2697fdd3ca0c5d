"""Fixtures shared by every test; the logic lives in tests/support."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from support.fixtures import bot_variables, mark_postgres_items, session_postgres
from support.postgres import PostgresServer
from support.store import migrated


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark PostgreSQL tests so `-m "not postgres"` deselects them."""
    mark_postgres_items(items)


@pytest.fixture(scope="session")
def original_environ() -> dict[str, str]:
    """The environment pytest was started with, read before clean_env empties it."""
    return dict(os.environ)


@pytest.fixture(autouse=True)
def clean_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, original_environ: dict[str, str]
) -> None:
    """No ENIBOT_*/SLACK_*/ALIBABA_CLOUD_* variable, and no .env file, reaches a test."""
    for name in bot_variables(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def postgres_server(original_environ: dict[str, str]) -> Iterator[PostgresServer]:
    """One PostgreSQL server for the run (ENIBOT_TEST_POSTGRES_URL or a throwaway local one)."""
    with session_postgres(original_environ) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a new empty PostgreSQL database, dropped after the test."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLAlchemy URL of a new SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each supported backend, so store tests run on both."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database migrated to head, on each backend."""
    with migrated(db_url) as factory:
        yield factory


@pytest.fixture
def sqlite_sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a SQLite file migrated to head."""
    with migrated(sqlite_url) as factory:
        yield factory
