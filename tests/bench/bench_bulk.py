"""A 100-ENI request against the simulator, ECS answering every call after 200 ms.

Run: .venv/bin/python tests/bench/bench_bulk.py   (prints figures; asserts nothing)

Two runs in one process, same world, same latency: one request of 100 ENIs, and the baseline of
100 requests of one ENI each (what people did before 0.2). Each is approved in one transaction
and timed from that commit until its last ENI is Available (the simulator's clock). Figures:
- wall time, and its ratio to the ideal ⌈100 / ENIBOT_BULK_CONCURRENCY⌉ × (call latency +
  detach delay) + one poll interval;
- Slack calls after the cards (chat.postMessage, chat.update): delivered and counted for the
  bulk request; for the 100 single requests, the outbox rows queued (each becomes one call);
- DescribeNetworkInterfaces calls per poll cycle (the poller's, by thread), and the most ENIs
  one of them asked about.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from benchkit import BotStack, eni_id, instance_id, make_world
from sqlalchemy import select

from bot import db
from bot.outbox.models import OutboxMessage
from bot.requests import decisions
from bot.requests.schemas import NewRequest, NewTarget
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.faults import FaultSpec
from bot.workers.runner import WorkerOptions

from support.judges import anyone
from support.stack import APPROVER, CHANNEL, REQUESTER
from support.waiting import wait_until

ENIS = int(os.environ.get("BENCH_ENIS", "100"))
LATENCY = 0.2  # seconds before ECS answers any call
DETACH_DELAY = 0.5  # Detaching → Available
CONCURRENCY = 10
POLL_INTERVAL = 1.0
REGION = "cn-hangzhou"


class DescribeLog:
    """Which thread asked DescribeNetworkInterfaces about how many ENIs."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def wrap(self, describe: Callable[..., Any]) -> Callable[..., Any]:
        def counted(region: str, eni_ids: Sequence[str], *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append((threading.current_thread().name, len(eni_ids)))
            return describe(region, eni_ids, *args, **kwargs)

        return counted


def slow(simulator: EcsSimulator) -> None:
    simulator.faults.add(FaultSpec(kind="latency", seconds=LATENCY, times=None))


def _submit(bot: BotStack, groups: Sequence[Sequence[int]]) -> list[int]:
    runtime = bot.runtime
    ids = []
    with db.transaction(runtime.sessions) as s:
        for group in groups:
            new = NewRequest(
                region=REGION,
                requester_id=REQUESTER,
                channel_id=CHANNEL,
                reason="bench",
                targets=tuple(
                    NewTarget(eni_id=eni_id(n), instance_id=instance_id(n)) for n in group
                ),
            )
            ids.append(decisions.submit(s, new=new, policy=runtime.policy, now=db.utcnow()).id)
    return ids


def _rows(bot: BotStack) -> Counter[str]:
    """Outbox rows by kind: each is one Slack call (post or update) once delivered."""
    with bot.runtime.sessions() as s:
        return Counter(str(k) for k in s.scalars(select(OutboxMessage.kind)))


def run(groups: Sequence[Sequence[int]], *, deliver: bool) -> dict[str, float]:
    """Approve `groups` (one request each) at once; the figures of getting them all detached.

    `deliver`: wait for Slack to have every message and count its calls; otherwise count the
    outbox rows (one channel takes about one post a second: 300 posts take 5 minutes).
    """
    options = WorkerOptions()
    settings = {"bulk_concurrency": CONCURRENCY, "poll_interval": POLL_INTERVAL}
    world = make_world(ENIS, detach_delay=DETACH_DELAY)
    with BotStack(world, workers=options, settings=settings, before_start=slow) as bot:
        log = DescribeLog()
        ecs = bot.runtime.ecs
        ecs.describe_network_interfaces = log.wrap(ecs.describe_network_interfaces)  # type: ignore[method-assign]
        ids = _submit(bot, groups)
        if deliver:
            wait_until(lambda: bot.bot.undelivered() == 0, timeout=60)  # cards posted
        before = Counter(c.method for c in bot.stand_in.calls() if c.ok)
        start = time.time()
        with db.transaction(bot.runtime.sessions) as s:
            for rid in ids:
                decisions.approve(
                    s,
                    request_id=rid,
                    approver_id=APPROVER,
                    judge=anyone(),
                    policy=bot.runtime.policy,
                    now=db.utcnow(),
                )
        bot.bot.ring()
        simulator = bot.simulator
        wait_until(
            lambda: all(
                getattr(simulator.world.network_interface(eni_id(n)), "status", None) == "Available"
                for n in range(ENIS)
            ),
            timeout=600,
            every=0.05,
        )
        elapsed = time.time() - start
        wait_until(lambda: all(bot.bot.request(r).status == "detached" for r in ids), timeout=120)
        polls = [n for name, n in log.calls if "poller" in name]
        if deliver:
            wait_until(lambda: bot.bot.undelivered() == 0, timeout=120)
            after = Counter(c.method for c in bot.stand_in.calls() if c.ok)
            posts = after["chat.postMessage"] - before["chat.postMessage"]
            updates = after["chat.update"] - before["chat.update"]
        else:
            rows = _rows(bot)
            posts = rows["thread_reply"] + rows["incident_summary"]  # after the cards
            updates = rows["card_update"]
        return {
            "seconds": elapsed,
            "posts": posts,
            "updates": updates,
            "poll_describes": len(polls),
            "most_per_describe": max(polls, default=0),
            "detaches": sum(simulator.calls.accepted_detaches(eni_id(n)) for n in range(ENIS)),
        }


def main() -> None:
    ideal = math.ceil(ENIS / CONCURRENCY) * (LATENCY + DETACH_DELAY) + POLL_INTERVAL
    bulk = run([range(ENIS)], deliver=True)
    single = run([[n] for n in range(ENIS)], deliver=False)
    print(f"== {ENIS} ENIs, ECS latency {LATENCY * 1000:.0f} ms, detach delay {DETACH_DELAY} s,")
    print(f"   concurrency {CONCURRENCY}, poll interval {POLL_INTERVAL} s")
    for name, figures in (("one bulk request", bulk), (f"{ENIS} single requests", single)):
        print(
            f"{name:>22}: approval → last Available {figures['seconds']:.1f} s"
            f" (ideal {ideal:.1f} s, ratio {figures['seconds'] / ideal:.2f});"
            f" Slack posts {figures['posts']:.0f}, card updates {figures['updates']:.0f};"
            f" poller Describes {figures['poll_describes']:.0f}"
            f" (at most {figures['most_per_describe']:.0f} ENIs each);"
            f" Detaches accepted {figures['detaches']:.0f}"
        )
    print(
        f"Slack posts, bulk vs single: {bulk['posts']:.0f} vs {single['posts']:.0f}"
        f" (ratio {bulk['posts'] / max(1.0, single['posts']):.3f});"
        f" updates per second of the bulk run {bulk['updates'] / bulk['seconds']:.2f}"
    )


if __name__ == "__main__":
    main()
