"""What the Slack benchmarks share: the bot on loopback stand-ins, a world of many ENIs, figures.

`BotStack` is the tests' shared stack (tests/support/stack.py): an ECS simulator and a Slack Web
API stand-in on free ports, a Runtime from Settings pointed at them (a temp SQLite file), the
real Bolt app (its listeners counted) on the real waitress server, optionally the real workers.
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
from typing import Any, ParamSpec, Self, TypeVar

from slack_bolt import App

from bot import db
from bot.bootstrap import build_app
from bot.ecs.client import EcsCallObserver, EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.requests import decisions, schemas
from bot.runtime import Runtime
from bot.sim.ecs import EcsSimulator, World
from bot.sim.ecs.fixture import build_world, parse_world
from bot.sim.http import Lifecycle
from bot.sim.slack.records import Message
from bot.slack.app import listener_pools
from bot.slack.server import EVENTS_PATH
from bot.workers.runner import WorkerOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: support.*

from support.stack import APPROVER, CHANNEL, REQUESTER, SIM_KEY, SIM_SECRET, build_stack
from support.waiting import wait_until

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
REGION = "cn-hangzhou"
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
    from support.postgres import postgres_server

    with postgres_server() as server, server.fresh_database() as url:
        yield url


def database_label(url: str) -> str:
    """What the figures were measured on."""
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def bench_fields(**extra: Any) -> dict[str, Any]:
    """The benchmarks' settings over the stack's connections; `extra` overrides (field names)."""
    return {
        "auto_migrate": True,
        "security_token": None,
        "slack_app_token": None,
        "approvers": [APPROVER],
        "requesters": [],
        "allowed_regions": [REGION],
        "default_region": REGION,
        "incident_channel": None,
        **extra,
    }


class BotStack(Lifecycle):
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

    def start(self) -> Self:
        """Start every part (`with BotStack(...)` does this)."""
        stack = self._stack
        try:
            tmpdir = Path(tempfile.mkdtemp(prefix="eni-bot-bench-"))
            stack.callback(shutil.rmtree, tmpdir, True)
            database_url = stack.enter_context(bench_database(tmpdir))

            def sim_keys(observer: EcsCallObserver, url: str) -> EcsClient:
                # build_runtime prefers keys found in the environment (a real account's,
                # perhaps): sign with the simulator's pair instead, as the console sandbox does.
                return EcsClient(
                    credentials=StaticCredentials(SIM_KEY, SIM_SECRET),
                    endpoint=url,
                    observer=observer,
                )

            self.bot = stack.enter_context(
                build_stack(
                    database_url,
                    world=self._world,
                    prepare_ecs=self._before_start,
                    signing_secret=SIGNING_SECRET,
                    settings=bench_fields(**self._extra_settings),
                    ecs_client=sim_keys,
                    app=self._counted_app,
                    workers=self._workers_options,
                )
            )
            self.stand_in = self.bot.slack
            self.simulator = self.bot.ecs
            self.settings = self.bot.settings
            self.runtime = self.bot.runtime
            assert self.bot.server is not None
            self.server = self.bot.server
            self.workers = self.bot.workers[0] if self.bot.workers else None
        except BaseException:
            stack.close()
            raise
        return self

    def _counted_app(self, runtime: Runtime) -> App:
        """The real Bolt app; listeners still working after their ack are counted, so a cell can
        wait for them (the post-ack pool of bot.slack.app is counted too, and kept separate)."""
        self.listeners = BusyCount()
        return build_app(runtime, pools=listener_pools(wrap=self.listeners.wrap))

    def stop(self) -> None:
        """Stop every part and remove the temp dir."""
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
                new = schemas.NewRequest(
                    region=REGION,
                    requester_id=REQUESTER,
                    channel_id=CHANNEL,
                    reason=f"bench request {n}",
                    targets=(
                        schemas.NewTarget(
                            eni_id=eni_id(n),
                            instance_id=instance_id(n),
                            eni_snapshot={"name": f"app-{n}", "vpc_id": "vpc-bench1"},
                        ),
                    ),
                )
                request = decisions.submit(
                    session, new=new, policy=runtime.policy, now=runtime.clock()
                )
                ids.append(request.id)
        return ids

    def post_card(self, request_id: int) -> Message:
        """Post a request's approval card to the stand-in, as the relay would, and return it."""
        return self.bot.post_card(request_id)
