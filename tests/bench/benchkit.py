"""What the Slack benchmarks share: the bot on loopback stand-ins, a world of many ENIs, figures.

`BotStack` composes the parts the way the console sandbox does (bot/console/sandbox.py): an ECS
simulator and a Slack Web API stand-in on free ports, a Runtime from Settings pointed at them
(a temp SQLite file), the real Bolt app on the real waitress server, optionally the real workers.
Nothing is created at import; every part is stopped, and the temp dir removed, on exit.
The database is SQLite unless BENCH_DATABASE=postgres asks for PostgreSQL (ENIBOT_TEST_POSTGRES_URL,
or a throwaway local server: see tests/support/postgres.py).
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from pydantic import SecretStr

from bot import db
from bot.bootstrap import build_app, build_ecs_client, build_runtime, build_workers
from bot.config import Settings, load_settings
from bot.ecs.credentials import StaticCredentials
from bot.requests import repository, service
from bot.sim.ecs import EcsSimulator, World
from bot.sim.ecs.fixture import build_world, parse_world
from bot.sim.slack.records import Message
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.app import listener_pools
from bot.slack.blocks.card import approval_card
from bot.slack.server import EVENTS_PATH, HttpServer
from bot.workers.runner import WorkerOptions, Workers

__all__ = [
    "APPROVER",
    "CHANNEL",
    "REGION",
    "REQUESTER",
    "SIGNING_SECRET",
    "BotStack",
    "Summary",
    "eni_id",
    "instance_id",
    "make_world",
    "summarize",
    "wait_until",
]

# Fake, and only ever between two loopback ends of this process.
SIGNING_SECRET = "bench-signing-secret"
SIM_KEY = "sim-access-key"
SIM_SECRET = "sim-access-secret"
REGION = "cn-hangzhou"
CHANNEL = "C0ENIOPS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
ENIS_PER_INSTANCE = 10


def eni_id(n: int) -> str:
    """The n-th bench ENI (a detachable secondary, InUse)."""
    return f"eni-bench{n:06d}"


def instance_id(n: int) -> str:
    """The running instance the n-th bench ENI is attached to."""
    return f"i-bench{n // ENIS_PER_INSTANCE:05d}"


def make_world(count: int, *, detach_delay: float) -> World:
    """A simulator world with `count` secondary ENIs InUse on Running instances, one region."""
    instances = [
        {"id": f"i-bench{k:05d}", "region": REGION, "name": f"host-{k}"}
        for k in range(math.ceil(count / ENIS_PER_INSTANCE))
    ]
    enis = [
        {
            "id": eni_id(n),
            "region": REGION,
            "status": "InUse",
            "instance_id": instance_id(n),
            "device_index": 1 + n % ENIS_PER_INSTANCE,
            "private_ip": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "name": f"app-{n}",
            "vpc_id": "vpc-bench1",
            "vswitch_id": "vsw-bench1",
            "security_groups": ["sg-bench1"],
        }
        for n in range(count)
    ]
    fixture = {
        "detach_delay": detach_delay,
        "regions": [{"id": REGION}],
        "instances": instances,
        "network_interfaces": enis,
    }
    return build_world(parse_world(fixture, source="bench world"))


P = ParamSpec("P")
T = TypeVar("T")


class BusyCount:
    """Listeners at work in the Bolt app's pools (listeners and post-ack work), one count.

    Listeners ack first and go on working in these threads (pre-flight, respond()); a cell
    waits for that work to end so it does not spill into the next cell's figures.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._last = time.monotonic()

    def wrap(self, base: Executor) -> Executor:
        """`base`, its work counted here (the `wrap` of bot.slack.app.listener_pools)."""
        return _CountedExecutor(base, self)

    def started(self) -> None:
        with self._lock:
            self._busy += 1

    def finished(self) -> None:
        with self._lock:
            self._busy -= 1
            self._last = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last listener ended; 0 while one is at work or queued."""
        with self._lock:
            return 0.0 if self._busy else time.monotonic() - self._last


class _CountedExecutor(Executor):
    def __init__(self, base: Executor, count: BusyCount) -> None:
        self._base = base
        self._count = count

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn` on the base executor, counted until it returns."""
        count = self._count
        count.started()

        def counted() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                count.finished()

        return self._base.submit(counted)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the base executor down."""
        self._base.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass(frozen=True)
class Summary:
    """Latency figures of one sample set, in seconds."""

    n: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float
    late: int = 0  # samples above the `late_after` given to summarize


def summarize(samples: Sequence[float], *, late_after: float = float("inf")) -> Summary:
    """Mean, percentiles (inclusive interpolation), max and how many exceed `late_after`."""
    if not samples:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan)
    late = sum(1 for s in samples if s > late_after)
    if len(samples) == 1:
        only = samples[0]
        return Summary(1, only, only, only, only, only, late)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Summary(
        n=len(samples),
        mean=statistics.fmean(samples),
        p50=cuts[49],
        p95=cuts[94],
        p99=cuts[98],
        max=max(samples),
        late=late,
    )


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, every: float = 0.02, what: str = "condition"
) -> None:
    """Poll `predicate` until true; TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f} s")
        time.sleep(every)


DATABASE_VARIABLE = "BENCH_DATABASE"


@contextmanager
def bench_database(tmpdir: Path) -> Iterator[str]:
    """The database URL for a run: a SQLite file in `tmpdir`, or PostgreSQL when asked."""
    choice = os.environ.get(DATABASE_VARIABLE, "sqlite").strip().lower()
    if choice == "sqlite":
        yield f"sqlite:///{tmpdir / 'bench.db'}"
        return
    if choice not in ("postgres", "postgresql"):
        raise SystemExit(f"{DATABASE_VARIABLE} must be sqlite or postgres, not {choice!r}")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from support.postgres import postgres_server

    with postgres_server() as server, server.fresh_database() as url:
        yield url


def database_label(url: str) -> str:
    """What the figures were measured on."""
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def bench_settings(database_url: str, ecs_url: str, slack_api_url: str, **extra: Any) -> Settings:
    """Settings pointed at the stand-ins, with fake secrets; `extra` overrides (field names)."""
    fields: dict[str, Any] = {
        "database_url": database_url,
        "auto_migrate": True,
        "ecs_endpoint": ecs_url,
        "access_key_id": SIM_KEY,
        "access_key_secret": SecretStr(SIM_SECRET),
        "security_token": None,
        "slack_api_url": slack_api_url,
        "slack_bot_token": SecretStr(DEFAULT_BOT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_app_token": None,
        "approvers": [APPROVER],
        "requesters": [],
        "allowed_regions": [REGION],
        "default_region": REGION,
        "incident_channel": None,
    }
    fields.update(extra)
    return load_settings(**fields)


class BotStack:
    """Simulator, stand-in, runtime, the served bot and (optionally) its workers, in one stack."""

    def __init__(
        self,
        world: World,
        *,
        workers: WorkerOptions | None = None,
        settings: dict[str, Any] | None = None,
        before_start: Callable[[EcsSimulator], None] | None = None,
    ) -> None:
        """`before_start` may adjust the simulator (e.g. its call records) before it serves."""
        self._world = world
        self._before_start = before_start
        self._workers_options = workers
        self._extra_settings = settings or {}
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        stack = self._stack
        try:
            tmpdir = Path(tempfile.mkdtemp(prefix="eni-bot-bench-"))
            stack.callback(shutil.rmtree, tmpdir, True)

            self.stand_in = SlackWebApiStandIn().start()
            stack.callback(self.stand_in.stop)

            self.simulator = EcsSimulator(self._world, keys={SIM_KEY: SIM_SECRET})
            if self._before_start is not None:
                self._before_start(self.simulator)
            self.simulator.start()
            stack.callback(self.simulator.stop)

            database_url = stack.enter_context(bench_database(tmpdir))
            self.settings = bench_settings(
                database_url,
                self.simulator.url,
                self.stand_in.api_url,
                **self._extra_settings,
            )
            # The default credentials prefer keys found in the environment (a real account's,
            # perhaps): sign with the simulator's pair instead, as the console sandbox does.
            self.runtime = build_runtime(
                self.settings,
                migrate=True,
                ecs=lambda observer: build_ecs_client(
                    self.settings, observer, credentials=StaticCredentials(SIM_KEY, SIM_SECRET)
                ),
            )
            stack.callback(self.runtime.close)

            # Count listeners still working after their ack, so a cell can wait for them; the
            # post-ack pool (bot.slack.app) is counted too, and kept separate.
            self.listeners = BusyCount()
            app = build_app(self.runtime, pools=listener_pools(wrap=self.listeners.wrap))
            self.server = HttpServer(self.runtime, "127.0.0.1", 0, app=app).start()
            stack.callback(self.server.stop)

            self.workers: Workers | None = None
            if self._workers_options is not None:
                self.workers = build_workers(self.runtime, self._workers_options)
                self.workers.start()
                stack.callback(self.workers.stop)
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    @property
    def database(self) -> str:
        """SQLite or PostgreSQL."""
        return database_label(self.settings.database_url)

    @property
    def events_url(self) -> str:
        """The bot's `POST /slack/events` URL."""
        return self.server.url + EVENTS_PATH

    def settle(self, *, quiet: float = 0.3, timeout: float = 120.0) -> None:
        """Wait until no listener has been at work for `quiet` seconds (post-ack work done)."""
        wait_until(
            lambda: self.listeners.quiet_for() >= quiet,
            timeout=timeout,
            every=0.05,
            what="listeners idle",
        )

    def pending_requests(self, numbers: Iterable[int]) -> list[int]:
        """Store pending requests for the numbered ENIs (as pre-flight would), returns IDs."""
        runtime = self.runtime
        ids: list[int] = []
        with db.transaction(runtime.sessions) as session:
            for n in numbers:
                new = service.NewRequest(
                    region=REGION,
                    eni_id=eni_id(n),
                    instance_id=instance_id(n),
                    requester_id=REQUESTER,
                    channel_id=CHANNEL,
                    reason=f"bench request {n}",
                    eni_snapshot={"name": f"app-{n}", "vpc_id": "vpc-bench1"},
                )
                request = service.submit(
                    session, new=new, policy=runtime.policy, now=runtime.clock()
                )
                ids.append(request.id)
        return ids

    def post_card(self, request_id: int) -> Message:
        """Post a request's approval card to the stand-in, as the relay would, and return it."""
        runtime = self.runtime
        with db.transaction(runtime.sessions) as session:
            request = repository.get(session, request_id)
            assert request is not None
            rendered = approval_card(request)
            channel = request.channel_id
        answer = runtime.slack.chat_postMessage(
            channel=channel, text=rendered.text, blocks=rendered.blocks
        )
        message = self.stand_in.message(channel, str(answer["ts"]))
        assert message is not None
        return message
