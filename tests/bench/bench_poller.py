"""Poller figures: Describe calls per cycle, cycle CPU time and peak RSS, Available→reply latency.

Run: .venv/bin/python tests/bench/bench_poller.py   (prints figures; asserts nothing)
The ECS simulator runs in a child process so the CPU and memory figures are the bot's own.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]

from sqlalchemy import insert  # noqa: E402

from bot import db  # noqa: E402
from bot.ecs.client import EcsClient  # noqa: E402
from bot.ecs.credentials import StaticCredentials  # noqa: E402
from bot.requests.models import DetachRequest, RequestTarget  # noqa: E402
from bot.requests.schemas import Policy  # noqa: E402
from bot.workers.poller import Poller, PollerConfig  # noqa: E402

from support.stack import CHANNEL, SIM_KEY, SIM_SECRET  # noqa: E402
from support.workers_env import REGION, eni_id, instance_id  # noqa: E402

_SIM_CHILD = """
import sys, time
sys.path[:0] = {paths!r}
from support.workers_env import make_world
from bot.sim.ecs.server import EcsSimulator
sim = EcsSimulator(make_world({count}, detach_delay=3600.0))
sim.start()
for n in range({count}):
    from support.workers_env import eni_id
    sim.world.update_network_interface(eni_id(n), {{"status": "Detaching"}})
print(sim.url, flush=True)
sys.stdin.read()
"""


def start_sim(count: int) -> tuple[subprocess.Popen[str], str]:
    """The simulator in a child process, with `count` ENIs Detaching for an hour."""
    here = Path(__file__).resolve()
    paths = [str(here.parents[1]), str(here.parents[2])]
    proc = subprocess.Popen(
        [sys.executable, "-c", _SIM_CHILD.format(paths=paths, count=count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def describe_calls(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_sim/calls", timeout=10) as answer:  # noqa: S310
        body = json.load(answer)
    return int(body["by_action"].get("DescribeNetworkInterfaces", 0))


def seed(url: str, count: int) -> None:
    """`count` one-ENI requests already detaching, their targets in flight and due for a poll."""
    engine = db.make_engine(url)
    now = db.utcnow()
    requests = [
        {
            "id": n + 1,
            "operation": "detach",
            "region": REGION,
            "requester_id": "U0REQUESTER",
            "channel_id": CHANNEL,
            "reason": "bench",
            "status": "detaching",
            "approvals_needed": 1,
            "expires_at": now,
            "left_out": [],
            "rule": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    targets = [
        {
            "request_id": n + 1,
            "position": 0,
            "region": REGION,
            "operation": "detach",
            "eni_id": eni_id(n),
            "instance_id": instance_id(n),
            "status": "in_flight",
            "eni_snapshot": {},
            "attempts": 1,
            "poll_count": 0,
            "ecs_trouble_reported": False,
            "eni_status": "Detaching",
            "sent_at": now,
            "next_poll_at": now - timedelta(seconds=1),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    with db.transaction(db.session_factory(engine)) as s:
        s.execute(insert(DetachRequest), requests)
        s.execute(insert(RequestTarget), targets)
    engine.dispose()


def one_cycle(count: int) -> tuple[int, float, float]:
    """Describe calls, CPU seconds and wall seconds of one full poll cycle over `count`."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        db.upgrade(url)
        seed(url, count)
        proc, sim_url = start_sim(count)
        try:
            engine = db.make_engine(url)
            ecs = EcsClient(
                credentials=StaticCredentials(SIM_KEY, SIM_SECRET), endpoint=sim_url, timeout=20
            )
            poller = Poller(
                sessions=db.session_factory(engine),
                ecs=ecs,
                policy=Policy(stuck_after=3600),
                owner="bench",
                config=PollerConfig(poll_interval=60),
            )
            before = describe_calls(sim_url)
            cpu, wall = time.process_time(), time.perf_counter()
            polled = 0
            while polled < count:  # one cycle: every in-flight request looked at once
                claimed = poller.run_once().claimed
                if not claimed:
                    break
                polled += claimed
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            calls = describe_calls(sim_url) - before
            ecs.close()
            engine.dispose()
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(10)
    return calls, cpu, wall


def latency(samples: int = 30, poll_interval: float = 1.0) -> tuple[float, float]:
    """Seconds from an ENI becoming Available to its "Available" reply in Slack (p50, p95)."""
    from bot.outbox.relay import RelayConfig
    from bot.workers import WorkerOptions

    from support.stack import INCIDENTS, build_stack
    from support.waiting import wait_until
    from support.workers_env import make_world, runtime_for, submit_and_approve, unsent

    world = make_world(samples, detach_delay=2.0)
    rng = random.Random(7)
    for n in range(samples):
        world.update_network_interface(eni_id(n), {"detach_delay": rng.uniform(1.0, 8.0)})
    options = WorkerOptions(relay=RelayConfig(post_interval=1.0))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/lat.db"
        db.upgrade(url)
        settings = {
            "poll_interval": poll_interval,
            "stuck_after": 600,
            "incident_channel": INCIDENTS,
            "auto_migrate": False,
        }
        with build_stack(
            url, world=world, settings=settings, runtime=runtime_for, serve=False
        ) as bot:
            runtime = bot.runtime
            available_at: dict[str, float] = {}
            offset = time.time() - time.monotonic()

            def watch() -> bool:
                with world.locked():
                    for n in range(samples):
                        eni = world._enis[eni_id(n)]
                        if eni.detaching_since is not None and eni_id(n) not in available_at:
                            delay = eni.detach_delay or 0.0
                            available_at[eni_id(n)] = eni.detaching_since + delay + offset
                return len(available_at) == samples

            # One channel per request: the figure is the poll-to-post delay, not a queue.
            ids = submit_and_approve(
                runtime.sessions, runtime.policy, range(samples), channel=lambda n: f"C0BENCH{n}"
            )
            bot.start_workers(options)
            bot.ring()
            wait_until(watch, timeout=60, every=0.01)
            wait_until(
                lambda: unsent(runtime.sessions) == 0 and _all_done(runtime, ids), timeout=120
            )
            replies = [
                c
                for c in bot.slack.calls("chat.postMessage")
                if c.ok and "Available:" in str(c.params.get("text"))
            ]
            lags = []
            for call in replies:
                eni = next(e for e in available_at if e in str(call.params.get("text")))
                lags.append(call.time - available_at[eni])
    q = statistics.quantiles(lags, n=20)
    return statistics.median(lags), q[18]


def _all_done(runtime, ids) -> bool:  # type: ignore[no-untyped-def]
    from support.workers_env import statuses

    return set(statuses(runtime.sessions, ids).values()) == {"detached"}


def main() -> None:
    print("Describe calls per poll cycle, one region (batched vs one call per ENI):")
    print(f"{'in flight':>10} {'calls':>6} {'per-ENI':>8} {'ratio':>7} {'cpu s':>7} {'wall s':>7}")
    for count in (10, 100, 1_000, 10_000):
        calls, cpu, wall = one_cycle(count)
        print(f"{count:>10} {calls:>6} {count:>8} {count / calls:>6.0f}x {cpu:>7.2f} {wall:>7.2f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the bot process after the 10,000 cycle: {peak_mb:.0f} MB")
    p50, p95 = latency()
    print(f"Available -> thread reply, ENIBOT_POLL_INTERVAL=1 s: p50 {p50:.2f} s, p95 {p95:.2f} s")


if __name__ == "__main__":
    main()
