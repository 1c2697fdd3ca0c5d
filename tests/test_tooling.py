"""The test infrastructure itself: a real PostgreSQL server, fresh databases, a clean env."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import support.postgres as pg
from support.fixtures import bot_variables, session_postgres
from support.postgres import LocalPostgres, PostgresServer, find_bindir, libpq_conninfo

REPO = Path(__file__).resolve().parents[1]


def test_postgres_server_answers_select_version(postgres_server: PostgresServer) -> None:
    with postgres_server.connect() as conn:
        row = conn.execute("SELECT version()").fetchone()
    assert row is not None
    assert str(row[0]).startswith("PostgreSQL ")


def test_two_connections_see_each_others_committed_rows(postgres_url: str) -> None:
    conninfo = libpq_conninfo(make_url(postgres_url))
    with psycopg.connect(conninfo) as first, psycopg.connect(conninfo) as second:
        first.execute("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)")
        first.commit()

        first.execute("INSERT INTO note VALUES (1, 'from first')")
        # Not yet committed: a separate connection (a separate server backend) must not see it.
        assert second.execute("SELECT count(*) FROM note").fetchone() == (0,)
        second.rollback()
        first.commit()
        assert second.execute("SELECT body FROM note").fetchall() == [("from first",)]
        second.execute("INSERT INTO note VALUES (2, 'from second')")
        second.commit()

        rows = first.execute("SELECT id, body FROM note ORDER BY id").fetchall()
        assert rows == [(1, "from first"), (2, "from second")]
        pids = {conn.execute("SELECT pg_backend_pid()").fetchone() for conn in (first, second)}
        assert len(pids) == 2


def test_each_test_gets_an_empty_database_of_its_own(postgres_url: str) -> None:
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.scalar(sa.text("SELECT current_database()")) == make_url(postgres_url).database
            )
            assert conn.scalar(sa.text(tables)) == 0
    finally:
        engine.dispose()


def test_fresh_database_is_dropped_afterwards(postgres_server: PostgresServer) -> None:
    with postgres_server.fresh_database() as url:
        name = make_url(url).database
        # A connection left open by the test must not stop the drop.
        leaked = psycopg.connect(libpq_conninfo(make_url(url)))
    try:
        with postgres_server.connect() as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            assert found.fetchone() is None
    finally:
        leaked.close()


def test_db_url_opens_the_backend_it_is_named_for(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["db_url"]
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT 1")) == 1
        assert engine.dialect.name == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
        assert (engine.dialect.driver == "psycopg") == (backend == "postgres")
    finally:
        engine.dispose()


def test_postgres_variant_of_db_url_carries_the_postgres_marker(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    marked = request.node.get_closest_marker("postgres") is not None
    assert marked == (request.node.callspec.params["db_url"] == "postgres")


def test_sqlite_url_is_a_file_in_the_tests_tmp_path(sqlite_url: str, tmp_path: Path) -> None:
    assert make_url(sqlite_url).database == str(tmp_path / "test.db")


def test_clean_env_runs_each_test_in_tmp_path_without_bot_variables(tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path
    assert bot_variables(os.environ) == []


def test_bot_variables_are_the_prefixes_the_bot_reads() -> None:
    environ = {
        "ENIBOT_POLL_INTERVAL": "1",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "id",
        "HOME": "/root",
        "MY_ENIBOT_X": "1",
    }
    assert sorted(bot_variables(environ)) == [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ENIBOT_POLL_INTERVAL",
        "SLACK_BOT_TOKEN",
    ]


def test_missing_postgres_skips_with_a_reason_that_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):  # noqa: SIM117
        with session_postgres({}):
            pytest.fail("no server should have been yielded")


def test_missing_postgres_fails_when_ci_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    with pytest.raises(pytest.fail.Exception, match="ENIBOT_REQUIRE_POSTGRES"):  # noqa: SIM117
        with session_postgres({"ENIBOT_REQUIRE_POSTGRES": "1"}):
            pass


def test_url_from_the_environment_is_used_instead_of_a_local_server(
    postgres_server: PostgresServer,
) -> None:
    given = postgres_server.admin_url.set(drivername="postgresql")
    environ = {"ENIBOT_TEST_POSTGRES_URL": given.render_as_string(hide_password=False)}
    with pg.postgres_server(environ) as server:
        assert server.admin_url == postgres_server.admin_url
        with server.fresh_database() as url:
            assert make_url(url).drivername == "postgresql+psycopg"


def test_unreachable_url_from_the_environment_is_an_error_not_a_skip() -> None:
    environ = {"ENIBOT_TEST_POSTGRES_URL": "postgresql://nobody:hunter2@127.0.0.1:1/x"}
    with pytest.raises(pg.PostgresStartError) as caught:  # noqa: SIM117
        with pg.postgres_server(environ):
            pass
    assert "hunter2" not in str(caught.value)


@pytest.mark.postgres
def test_local_server_stop_ends_the_process_and_removes_its_directory() -> None:
    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed")
    local = LocalPostgres.start()
    try:
        with local.server.connect() as conn:
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
    finally:
        local.stop()
    assert local.process.returncode is not None
    assert not local.base.exists()


def test_ci_script_is_executable_bash_that_requires_postgres() -> None:
    script = REPO / ".ci" / "run"
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert "ENIBOT_REQUIRE_POSTGRES=1" in script.read_text()


def test_stale_server_directories_are_removed_but_live_and_young_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale, live, young = (tmp_path / f"{pg.DIR_PREFIX}{name}" for name in ("a", "b", "c"))
    for base in (stale, live, young):
        (base / "data").mkdir(parents=True)
    (live / "data" / "postmaster.pid").write_text("1\n")
    for base in (stale, live):
        os.utime(base, (0, 0))

    assert pg.remove_stale_dirs() == [stale]
    assert not stale.exists()
    assert live.exists()
    assert young.exists()
