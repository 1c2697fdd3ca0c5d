"""Declarative base, engines and sessions, and the Alembic entry points.

The database is the only source of truth and the only coordination point between processes.
SQLite (the embedded default) runs in WAL mode with a busy timeout and takes its write lock at
BEGIN (`BEGIN IMMEDIATE`), so a read-then-write transaction never fails half way with
"database is locked"; PostgreSQL runs at READ COMMITTED and claims rows with SKIP LOCKED.
Pure reads (`read`, `read_connection`: health, metrics, status views) begin deferred instead,
so they never queue behind a writer: in WAL mode a reader sees the last commit without a lock.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    create_engine,
    event,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connection execution option: this connection only reads, so its transaction begins deferred
# on SQLite (no write lock) and READ ONLY on PostgreSQL (a stray write fails loudly).
READ_ONLY = "enibot_read_only"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (compact, indexable), plain JSON text elsewhere.
JsonDict = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations can name what they drop."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def claim_leases(
    session: Session,
    model: Any,
    *,
    where: Sequence[ColumnElement[bool]],
    recheck: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    owner: str,
    now: datetime,
    until: datetime,
    limit: int,
) -> list[int]:
    """Lease up to `limit` rows matching `where` whose lease is free or expired; their IDs.

    `model` is an ORM class with `id`, `lease_owner` and `lease_until` columns (typed Any: a
    declarative class's columns are `int`/`str` on instances, expressions on the class).

    One atomic `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id`: on
    PostgreSQL concurrent claimers split the rows; SQLite has no row locks, and the statement
    runs under the write lock taken at BEGIN IMMEDIATE, its equivalent. The outer WHERE checks
    `recheck` (the row's own conditions) and the lease again, so no row is taken twice.
    """
    free = or_(model.lease_until.is_(None), model.lease_until < now)
    candidates = (
        select(model.id)
        .where(*where, free)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True, of=model)
    )
    stmt = (
        update(model)
        .where(model.id.in_(candidates.scalar_subquery()), *recheck, free)
        .values(lease_owner=owner, lease_until=until)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the per-dialect settings the workers rely on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("use a SQLite file, not :memory: (threads and processes share it)")
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        # Pooled: opening a SQLite connection (WAL and busy-timeout pragmas) costs more than
        # the short transactions the workers run.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(parsed, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN IMMEDIATE below is what runs.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        deferred = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (handlers read them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def _read_options(bind: Engine | Connection) -> dict[str, Any]:
    options: dict[str, Any] = {READ_ONLY: True}
    if bind.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return options


@contextmanager
def read(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only unit of work: never takes SQLite's write lock; nothing is committed.

    Closing the session ends the transaction without expiring what was loaded, so objects read
    here stay usable afterwards, as with `transaction`.
    """
    with factory() as session:
        session.connection(execution_options=_read_options(session.get_bind()))
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection for reads only (readiness, migration head): no write lock."""
    with engine.connect() as conn:
        conn.execution_options(**_read_options(engine))
        yield conn


def redacted_url(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL may still hold a password: show none of it
        return "<unparseable database URL>"


def alembic_config(url: str) -> Any:
    """Alembic configuration read from pyproject.toml, pointed at `url`."""
    from alembic.config import Config

    cfg = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`; concurrent starters are serialised by the database."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Undo migrations down to `revision` (tests and emergencies)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str | None:
    """The newest revision in migrations/ (read once: /readyz asks on every probe)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite:///unused.db")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with read_connection(engine) as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def is_ready(engine: Engine) -> tuple[bool, str]:
    """Readiness: the database answers and its schema is at head (read without the write lock)."""
    try:
        with read_connection(engine) as conn:
            conn.execute(text("SELECT 1"))
            current = _revision(conn)
    except Exception as exc:  # readiness must answer, whatever the driver raises
        return False, f"database unreachable: {type(exc).__name__}"
    head = head_revision()
    if current != head:
        return False, f"migrations not at head (at {current}, head {head})"
    return True, "ok"
