"""The whole bot on loopback for fault tests, and a PostgreSQL server that can be restarted.

`running_bot` starts the ECS simulator (on a port it can be brought back on), the Slack stand-in,
the Bolt app on waitress and the workers, against any database URL. `RestartablePostgres` is a
dedicated throwaway server (never the session's, which other tests share) that a test stops
with `pg_ctl stop -m fast` and starts again on the same port and data directory.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.config import load_settings
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.retry import RetryPolicy
from bot.outbox.models import OutboxMessage
from bot.requests import repository
from bot.requests.models import DetachRequest
from bot.runtime import Runtime, build_runtime
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.world import World
from bot.sim.slack.records import Message
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.webapi import SlackWebApiStandIn
from bot.slack.ids import ActionId
from bot.slack.server import EVENTS_PATH, HttpServer
from bot.workers import Workers
from bot.workers.poller import PollerConfig

from support.postgres import STOP_TIMEOUT, LocalPostgres, _run_as, _spawn, find_bindir
from support.workers_env import FAST, SIM_KEY, SIM_SECRET, wait_until

SIGNING_SECRET = "fault-tests-signing-secret"
BOT_TOKEN = "xoxb-fault-tests"
CHANNEL = "C0ENIOPS"
INCIDENTS = "C0INCIDENTS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
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


@dataclass
class Bot:
    """The running parts a fault test drives, breaks and inspects."""

    runtime: Runtime
    server: HttpServer
    sender: SlackSender
    slack: SlackWebApiStandIn
    ecs: EcsSimulator
    transport: CountingTransport
    workers: Workers

    def request_detach(self, eni: str, reason: str) -> int:
        """`/eni detach` that must be accepted; returns the new request's ID."""
        before = set(self.request_ids())
        response = self.sender.command(
            f"detach {eni} {reason}", user_id=REQUESTER, channel_id=CHANNEL
        )
        assert response.status_code == 200, response.text
        (rid,) = wait_until(lambda: set(self.request_ids()) - before, timeout=10)
        return rid

    def card(self, rid: int) -> Message:
        ts: str = wait_until(lambda: self.request(rid).card_ts or "", timeout=10)
        message = self.slack.message(CHANNEL, ts)
        assert message is not None
        return message

    def approve(self, rid: int) -> None:
        response = self.sender.click(self.card(rid), ActionId.APPROVE.value, user_id=APPROVER)
        assert response.status_code == 200
        wait_until(lambda: self.request(rid).status != "pending", timeout=10)

    def request(self, rid: int) -> DetachRequest:
        with self.runtime.sessions() as session:
            found = repository.get(session, rid)
            assert found is not None
            return found

    def request_ids(self) -> list[int]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(DetachRequest.id).order_by(DetachRequest.id)))

    def undelivered(self) -> int:
        with self.runtime.sessions() as session:
            query = select(func.count()).select_from(OutboxMessage)
            return int(session.scalar(query.where(OutboxMessage.sent_at.is_(None))) or 0)

    def thread(self, rid: int) -> list[Message]:
        card_ts = self.request(rid).card_ts
        assert card_ts is not None
        return self.slack.thread(CHANNEL, card_ts)

    def readyz(self) -> int:
        return httpx.get(self.server.url + "/readyz", timeout=10).status_code


@contextmanager
def running_bot(database_url: str, world: World, **overrides: Any) -> Iterator[Bot]:
    """Every part started, workers included; all stopped on exit, workers first."""
    with ExitStack() as stack:
        ecs = EcsSimulator(world, keys={SIM_KEY: SIM_SECRET})
        ecs.start()
        stack.callback(ecs.stop)
        slack = SlackWebApiStandIn(bot_token=BOT_TOKEN).start()
        stack.callback(slack.stop)
        fields: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.api_url,
            "access_key_id": SIM_KEY,
            "access_key_secret": SIM_SECRET,
            "ecs_endpoint": ecs.url,
            "database_url": database_url,
            "approvers": APPROVER,
            "incident_channel": INCIDENTS,
            "poll_interval": 0.2,
            "stuck_after": 60.0,
        }
        fields.update(overrides)
        runtime = build_runtime(load_settings(**fields), migrate=True)
        stack.callback(runtime.close)
        transport = CountingTransport()
        runtime.ecs.close()
        runtime.ecs = EcsClient(
            credentials=StaticCredentials(SIM_KEY, SIM_SECRET),
            endpoint=ecs.url,
            timeout=2.0,
            retry=QUICK_RETRY,
            transport=transport,
            observer=runtime.metrics.ecs_observer,
        )
        server = HttpServer(runtime).start()
        stack.callback(server.stop)
        sender = SlackSender(server.url + EVENTS_PATH, SIGNING_SECRET, stand_in=slack)
        stack.callback(sender.close)
        workers = Workers(runtime, OPTIONS)
        workers.start()
        stack.callback(workers.stop, 15)
        yield Bot(runtime, server, sender, slack, ecs, transport, workers)


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
