"""Alembic environment: the URL comes from the caller (bot.db.upgrade) or ENIBOT_DATABASE_URL."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import Connection, text

import bot.outbox.models
import bot.requests.models
from bot.db import Base, make_engine

config = context.config
target_metadata = Base.metadata
_ = bot.outbox.models

# A fixed key for pg_advisory_xact_lock: replicas starting together migrate one at a time.
MIGRATION_LOCK_KEY = 0x656E6962


def _url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("ENIBOT_DATABASE_URL")
    return str(url or "sqlite:///eni-bot.db")


def run_migrations_offline() -> None:
    """Emit SQL without a connection (`alembic upgrade --sql`)."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations, serialised across processes by the database itself."""
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch migrations rebuild a table by copy, drop and rename; with foreign keys
                # on, the drop would cascade into every table that references it (approvals,
                # the audit trail, the outbox). Off for the migration, checked afterwards. The
                # pragma is a no-op inside a transaction, so it goes straight to the driver
                # before SQLAlchemy begins one.
                _driver(connection).execute("PRAGMA foreign_keys=OFF")
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                transaction_per_migration=False,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Held until commit: the second replica waits, then finds nothing to do.
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY}
                    )
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


def _driver(connection: Connection) -> Any:
    """The pysqlite connection under SQLAlchemy's (its pragmas run outside any transaction)."""
    return connection.connection.driver_connection


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
