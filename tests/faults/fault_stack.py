"""The whole bot on loopback for fault tests, and a PostgreSQL server that can be restarted.

`running_bot` is the shared stack (tests/support/stack.py): the ECS simulator (on a port it can
be brought back on), the Slack stand-in, the Bolt app on waitress and the workers, against any
database URL, with the ECS client going through a CountingTransport. `RestartablePostgres` is a
dedicated throwaway server (never the session's, which other tests share) that a test stops
with `pg_ctl stop -m fast` and starts again on the same port and data directory.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bot.ecs.client import EcsCallObserver, EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.retry import RetryPolicy
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.world import World
from bot.workers.poller import PollerConfig

from support.postgres import STOP_TIMEOUT, LocalPostgres, _run_as, _spawn, find_bindir
from support.stack import APPROVER, FAST, INCIDENTS, SIM_KEY, SIM_SECRET, Stack, build_stack
from support.waiting import wait_until

SIGNING_SECRET = "fault-tests-signing-secret"
BOT_TOKEN = "xoxb-fault-tests"
# The ECS client gives up quickly, so the workers' own retry-later path is what is exercised.
QUICK_RETRY = RetryPolicy(max_attempts=2, base_delay=0.05, max_delay=0.1, max_total=2.0)
# Workers as in tests/workers, with the poller's back-off after ECS trouble short too.
OPTIONS = replace(FAST, poller=PollerConfig(poll_interval=0.2, trouble_base=0.3, trouble_cap=1.0))


class CountingTransport(httpx.HTTPTransport):
    """A real HTTP transport that counts the ECS requests it tried and keeps the failed ones."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.attempts = 0
        self._failed: list[str] = []

    @property
    def failures(self) -> int:
        """Requests that got no answer at all."""
        with self._lock:
            return len(self._failed)

    def failures_about(self, eni_id: str) -> int:
        """Failed requests that named `eni_id` (a Describe or a Detach of it)."""
        with self._lock:
            return sum(eni_id in url for url in self._failed)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.attempts += 1
        try:
            return super().handle_request(request)
        except httpx.TransportError:
            with self._lock:
                self._failed.append(str(request.url))
            raise


@contextmanager
def running_bot(
    database_url: str,
    world: World,
    *,
    transport: CountingTransport | None = None,
    **overrides: Any,
) -> Iterator[Stack]:
    """The shared stack, workers included, ECS calls through `transport`; all stopped on exit."""
    through = transport or CountingTransport()

    def quick_client(observer: EcsCallObserver, url: str) -> EcsClient:
        return EcsClient(
            credentials=StaticCredentials(SIM_KEY, SIM_SECRET),
            endpoint=url,
            timeout=2.0,
            retry=QUICK_RETRY,
            transport=through,
            observer=observer,
        )

    fields: dict[str, Any] = {
        "approvers": APPROVER,
        "incident_channel": INCIDENTS,
        "poll_interval": 0.2,
        "stuck_after": 60.0,
        **overrides,
    }
    with build_stack(
        database_url,
        world=world,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        settings=fields,
        ecs_client=quick_client,
        workers=OPTIONS,
    ) as bot:
        yield bot


def restart_on_same_port(simulator: EcsSimulator, port: int) -> None:
    """Bring a stopped simulator back where the bot expects it."""
    simulator.port = port
    simulator.start()


class RestartablePostgres:
    """A throwaway PostgreSQL of this test alone, stopped and started on the same port."""

    def __init__(self, local: LocalPostgres, bindir: Path) -> None:
        self.local = local
        self._bindir = bindir
        self._run_as = _run_as()

    @classmethod
    def start(cls) -> RestartablePostgres:
        """initdb and start; raises PostgresUnavailableError when this machine has none."""
        local = LocalPostgres.start()
        bindir = find_bindir()
        assert bindir is not None  # LocalPostgres.start found it a moment ago
        return cls(local, bindir)

    @property
    def port(self) -> int:
        port = self.local.server.admin_url.port
        assert port is not None
        return port

    def new_database_url(self) -> str:
        server = self.local.server
        return server.url_for(server.create_database())

    def stop_server(self) -> None:
        """`pg_ctl stop -m fast`: open connections are cut, new ones refused."""
        subprocess.run(
            [
                str(self._bindir / "pg_ctl"),
                "stop",
                "--pgdata",
                str(self.local.base / "data"),
                "--mode",
                "fast",
                "--wait",
                "--timeout",
                str(int(STOP_TIMEOUT)),
            ],
            capture_output=True,
            check=True,
            timeout=STOP_TIMEOUT + 5,
            user=self._run_as.uid,
            group=self._run_as.gid,
            extra_groups=self._run_as.extra_groups,
        )
        self.local.process.wait(timeout=STOP_TIMEOUT)

    def start_server(self) -> None:
        """Start the same data directory on the same port again and wait until it answers."""
        self.local.process = _spawn(self._bindir, self.local.base, self.port, self._run_as)
        wait_until(self._answers, timeout=30, every=0.05)

    def _answers(self) -> bool:
        try:
            self.local.server.connect().close()
        except Exception:
            return False
        return True

    def close(self) -> None:
        self.local.stop()
