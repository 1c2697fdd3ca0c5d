"""A PostgreSQL server for tests: the one named by the environment, or a throwaway local one.

Order: `ENIBOT_TEST_POSTGRES_URL` if set; else the PostgreSQL binaries on this machine, started in
a temporary directory on a free loopback port (durability off, since the data is thrown away);
else `PostgresUnavailableError`, whose message says how to get PostgreSQL. PostgreSQL refuses to
run as root and CI runs as root, so as root the server runs as an unprivileged system user.

Errors:
    PostgresUnavailableError  no server and no binaries: tests skip (or fail when required)
    PostgresStartError        binaries found but the server would not start: a real error
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

URL_VARIABLE = "ENIBOT_TEST_POSTGRES_URL"
REQUIRE_VARIABLE = "ENIBOT_REQUIRE_POSTGRES"
UNPRIVILEGED_USER = "enibot-pg"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
DIR_PREFIX = "enibot-pg-"
STALE_AFTER = 3600.0
HOW_TO_GET = (
    f"set {URL_VARIABLE}=postgresql://user:password@host:port/db, or install the server "
    "(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql)"
)

# Durability buys nothing for a database that is deleted at the end of the run.
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "200",
}


class PostgresUnavailableError(Exception):
    """No PostgreSQL to test against; the message says what was looked for and how to get it."""


class PostgresStartError(Exception):
    """PostgreSQL binaries were found but the server did not come up; carries the log tail."""


def postgres_required(environ: Mapping[str, str]) -> bool:
    """True when a missing PostgreSQL must fail the run (CI) instead of skipping tests."""
    return environ.get(REQUIRE_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def libpq_conninfo(url: URL) -> str:
    """The libpq form of a SQLAlchemy URL, for psycopg.connect."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class PostgresServer:
    """A reachable server on which tests may create and drop databases."""

    admin_url: URL
    """Where CREATE/DROP DATABASE is issued (driver `postgresql+psycopg`)."""

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (with password) for one database on this server."""
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def connect(self, database: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit psycopg connection, to the admin database unless one is named."""
        url = self.admin_url if database is None else self.admin_url.set(database=database)
        return psycopg.connect(libpq_conninfo(url), autocommit=True, connect_timeout=10)

    def create_database(self) -> str:
        """Create an empty database with a unique name and return the name."""
        name = f"enibot_test_{secrets.token_hex(6)}"
        with self.connect() as conn:
            # template0: never picks up objects someone left in template1.
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
            )
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database even if a test leaked connections to it."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """Yield the SQLAlchemy URL of a new empty database; drop it afterwards."""
        name = self.create_database()
        try:
            yield self.url_for(name)
        finally:
            self.drop_database(name)


@contextlib.contextmanager
def postgres_server(environ: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """The server named by ENIBOT_TEST_POSTGRES_URL, else a throwaway local one for the block."""
    env = os.environ if environ is None else environ
    given = env.get(URL_VARIABLE, "").strip()
    if given:
        yield _external_server(given)
        return
    local = LocalPostgres.start()
    try:
        yield local.server
    finally:
        local.stop()


def _external_server(raw: str) -> PostgresServer:
    try:
        url = make_url(raw)
    except Exception as exc:  # sqlalchemy raises ArgumentError; the value may hold a password
        raise PostgresStartError(f"{URL_VARIABLE} is not a database URL") from exc
    if not url.drivername.startswith("postgresql"):
        raise PostgresStartError(f"{URL_VARIABLE} must be a postgresql:// URL")
    server = PostgresServer(url.set(drivername="postgresql+psycopg"))
    try:
        server.connect().close()
    except psycopg.Error as exc:
        shown = url.render_as_string(hide_password=True)
        raise PostgresStartError(f"cannot connect to {URL_VARIABLE} {shown}: {exc}") from None
    return server


def find_bindir() -> Path | None:
    """The directory holding `initdb` and `postgres`, or None if this machine has none."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        # Debian's libpq-dev ships pg_config without the server, so the answer is only a hint.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True))
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    return None


def _version(bindir: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in bindir.parent.name.split("."))
    except ValueError:
        return (0,)


@dataclass(frozen=True)
class _RunAs:
    """Who the server runs as: ourselves, or an unprivileged user when we are root."""

    uid: int | None = None
    gid: int | None = None
    name: str = ""

    @property
    def extra_groups(self) -> list[int] | None:
        """Drop root's supplementary groups too; only root may set them."""
        return None if self.uid is None else []


def _run_as() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs()
    for name in ("postgres", UNPRIVILEGED_USER):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return _RunAs(entry.pw_uid, entry.pw_gid, name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    try:
        subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                UNPRIVILEGED_USER,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise PostgresUnavailableError(
            f"running as root and could not create the user {UNPRIVILEGED_USER!r} that "
            f"PostgreSQL needs ({exc}); run as a normal user or {HOW_TO_GET}"
        ) from None
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return _RunAs(entry.pw_uid, entry.pw_gid, UNPRIVILEGED_USER)


def _die_with_parent() -> None:
    """Runs in the server's child process: if the test run is killed, stop the server too."""
    # PR_SET_PDEATHSIG=1; SIGINT is PostgreSQL's fast shutdown. Set after the uid switch,
    # which would clear it. Best effort: Linux only.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT, 0, 0, 0)


def remove_stale_dirs(older_than: float = STALE_AFTER) -> list[Path]:
    """Delete directories of servers whose test run was killed (SIGKILL/SIGTERM skip cleanup)."""
    removed = []
    cutoff = time.time() - older_than
    for base in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            # A live server holds postmaster.pid; a young directory may be initdb at work.
            if (base / "data" / "postmaster.pid").exists() or base.stat().st_mtime > cutoff:
                continue
        except OSError:
            continue
        shutil.rmtree(base, ignore_errors=True)
        removed.append(base)
    return removed


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LocalPostgres:
    """A server we started in a temporary directory; `stop()` ends it and deletes everything."""

    process: subprocess.Popen[bytes]
    base: Path
    server: PostgresServer
    _stopped: bool = field(default=False, repr=False)

    @classmethod
    def start(cls) -> LocalPostgres:
        """initdb and start a server, or raise PostgresUnavailableError / PostgresStartError."""
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailableError(
                "PostgreSQL server binaries not found (looked at pg_config --bindir, initdb on "
                f"PATH, /usr/lib/postgresql/*/bin); {HOW_TO_GET}"
            )
        run_as = _run_as()
        remove_stale_dirs()
        base = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        local: LocalPostgres | None = None
        try:
            if run_as.uid is not None and run_as.gid is not None:
                os.chown(base, run_as.uid, run_as.gid)
            _initdb(bindir, base, run_as)
            for _attempt in range(3):
                port = _free_port()
                process = _spawn(bindir, base, port, run_as)
                local = cls(process, base, PostgresServer(_local_url(port)))
                atexit.register(local.stop)
                if local._wait_ready():
                    return local
                local.stop(remove=False)
                if "already in use" not in _log_tail(base):
                    break  # not a port race: retrying would fail the same way
            raise PostgresStartError(f"PostgreSQL did not start; log tail:\n{_log_tail(base)}")
        except BaseException:  # also Ctrl-C while waiting: leave no server behind
            if local is not None:
                local.stop(remove=False)
            shutil.rmtree(base, ignore_errors=True)
            raise

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                self.server.connect().close()
            except psycopg.OperationalError:
                time.sleep(0.05)
            else:
                return True
        return False

    def stop(self, remove: bool = True) -> None:
        """Fast shutdown (SIGINT), escalating if it hangs; then delete the directory."""
        if not self._stopped:
            self._stopped = True
            atexit.unregister(self.stop)
            _terminate(self.process)
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)


def _local_url(port: int) -> URL:
    return URL.create(
        "postgresql+psycopg", username="postgres", host="127.0.0.1", port=port, database="postgres"
    )


def _terminate(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)


def _initdb(bindir: Path, base: Path, run_as: _RunAs) -> None:
    # Trust authentication: the server listens on 127.0.0.1 only and lives for one test run.
    cmd = [
        str(bindir / "initdb"),
        "--pgdata",
        str(base / "data"),
        "--username",
        "postgres",
        "--auth",
        "trust",
        "--encoding",
        "UTF8",
        "--locale",
        "C",
        "--no-sync",
    ]
    result = subprocess.run(
        cmd,
        cwd=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        user=run_as.uid,
        group=run_as.gid,
        extra_groups=run_as.extra_groups,
    )
    if result.returncode != 0:
        who = f" as user {run_as.name}" if run_as.name else ""
        raise PostgresStartError(
            f"initdb{who} failed ({result.returncode}): {(result.stderr or result.stdout)[-2000:]}"
        )


def _spawn(bindir: Path, base: Path, port: int, run_as: _RunAs) -> subprocess.Popen[bytes]:
    sockets = base / "sockets"
    sockets.mkdir(exist_ok=True)
    if run_as.uid is not None and run_as.gid is not None:
        os.chown(sockets, run_as.uid, run_as.gid)
    settings = {**_SERVER_SETTINGS, "port": str(port), "unix_socket_directories": str(sockets)}
    cmd = [str(bindir / "postgres"), "-D", str(base / "data")]
    for name, value in settings.items():
        cmd += ["-c", f"{name}={value}"]
    with (base / "server.log").open("ab") as log:
        return subprocess.Popen(
            cmd,
            cwd=base,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: a Ctrl-C at the terminal reaches pytest, which then stops
            # the server in order, instead of reaching the server mid-test.
            process_group=0,
            preexec_fn=_die_with_parent,
            user=run_as.uid,
            group=run_as.gid,
            extra_groups=run_as.extra_groups,
        )


def _log_tail(base: Path, lines: int = 20) -> str:
    try:
        text = (base / "server.log").read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:])
