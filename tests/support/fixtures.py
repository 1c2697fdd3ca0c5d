"""The logic behind conftest's fixtures, kept here so conftest stays a list of names."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

import pytest

from support.postgres import (
    PostgresServer,
    PostgresUnavailableError,
    postgres_required,
    postgres_server,
)

# Variables the bot reads; a developer's shell or .env must not change what a test sees.
BOT_ENV_PREFIXES = ("ENIBOT_", "SLACK_", "ALIBABA_CLOUD_")

# Test modules that use these fixtures talk to PostgreSQL and get the `postgres` marker.
POSTGRES_FIXTURES = frozenset({"postgres_server", "postgres_url"})


def bot_variables(environ: Mapping[str, str]) -> list[str]:
    """Names of the variables in `environ` that the bot would read."""
    return [name for name in environ if name.startswith(BOT_ENV_PREFIXES)]


@contextlib.contextmanager
def session_postgres(environ: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """A server for the whole run; skip its tests if there is none, fail them if CI requires it."""
    env = dict(os.environ if environ is None else environ)
    try:
        with postgres_server(env) as server:
            yield server
    except PostgresUnavailableError as exc:
        if postgres_required(env):
            pytest.fail(f"ENIBOT_REQUIRE_POSTGRES is set but {exc}", pytrace=False)
        pytest.skip(str(exc))


def mark_postgres_items(items: list[pytest.Item]) -> None:
    """Give the `postgres` marker to every test that uses a PostgreSQL fixture."""
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
