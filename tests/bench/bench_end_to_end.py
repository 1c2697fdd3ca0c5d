"""End to end with the real workers: request -> card, approve -> Detach, Available -> reply.

Run: .venv/bin/python tests/bench/bench_end_to_end.py   (prints figures; asserts nothing)

The bot runs as `eni-bot serve` does (HTTP app plus workers with production tuning) against the
ECS simulator and the Slack stand-in; ENIBOT_POLL_INTERVAL is 1 s unless set in the environment.
Each request is typed in its own channel so Slack's one-post-per-second pacing of a channel
queues a request's messages behind its own only, not behind other requests'. Times come from
the fakes' own records: the stand-in's time of each Web API call, and the simulator's moment of
accepting a Detach (stamped where it counts accepted detaches); an ENI becomes Available exactly
its detach delay after that moment.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchkit import (
    APPROVER,
    REQUESTER,
    SIGNING_SECRET,
    BotStack,
    Summary,
    eni_id,
    make_world,
    summarize,
)
from sqlalchemy import select

from bot import db
from bot.requests.models import DetachRequest, RequestEvent
from bot.requests.states import Status
from bot.sim.ecs import CallCounters, EcsSimulator
from bot.sim.slack import RecordedCall, SlackSender
from bot.slack.ids import ActionId
from bot.workers.runner import WorkerOptions

SAMPLES = 40
DRIVERS = 8  # requests in flight at once, each in its own channel
DETACH_DELAY = (0.8, 1.6)  # seconds, per ENI, uniform: "about 1 s" without phase-locking polls
DEFAULT_POLL_INTERVAL = 1.0
WAIT = 30.0  # for any one step; a step that takes longer is a failure, not a figure


class TimedCounters(CallCounters):
    """The simulator's call counters, also stamping when each ENI's Detach was accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted_at: dict[str, float] = {}
        self._stamps = threading.Condition()

    def record_detach(self, eni_id: str) -> None:
        """Count, and keep the wall time of the first accepted detach of `eni_id`."""
        now = time.time()
        super().record_detach(eni_id)
        with self._stamps:
            self.accepted_at.setdefault(eni_id, now)
            self._stamps.notify_all()

    def wait_accepted(self, eni_id: str, timeout: float) -> float:
        """The wall time the Detach of `eni_id` was accepted, waiting for it if need be."""
        with self._stamps:
            if not self._stamps.wait_for(lambda: eni_id in self.accepted_at, timeout):
                raise TimeoutError(f"no Detach of {eni_id} within {timeout:.0f} s")
            return self.accepted_at[eni_id]


def install(counters: TimedCounters) -> Callable[[EcsSimulator], None]:
    """A BotStack hook putting `counters` where the simulator records calls."""

    def hook(simulator: EcsSimulator) -> None:
        simulator.calls = counters
        simulator.service.counters = counters
        simulator.control.counters = counters

    return hook


class ChannelCalls:
    """The stand-in's successful chat.postMessage calls, by channel, waitable."""

    def __init__(self) -> None:
        self._calls: dict[str, list[RecordedCall]] = {}
        self._changed = threading.Condition()

    def record(self, call: RecordedCall) -> None:
        """Stand-in listener (runs on its request thread)."""
        if call.method != "chat.postMessage" or not call.ok:
            return
        with self._changed:
            self._calls.setdefault(str(call.params.get("channel")), []).append(call)
            self._changed.notify_all()

    def wait(self, channel: str, match: Callable[[RecordedCall], bool], what: str) -> RecordedCall:
        """The first post in `channel` that `match`es."""

        def found() -> RecordedCall | None:
            return next((c for c in self._calls.get(channel, []) if match(c)), None)

        with self._changed:
            call = self._changed.wait_for(found, WAIT)
        if call is None:
            raise TimeoutError(f"{what} not posted in {channel} within {WAIT:.0f} s")
        return call


@dataclass
class Sample:
    """One request's moments (wall clock, seconds)."""

    eni: str
    requested: float = 0.0
    card: float = 0.0
    clicked: float = 0.0
    detach: float = 0.0
    available: float = 0.0
    recorded: float = 0.0  # the poller's "detached" transition in the audit trail
    reply: float = 0.0


@dataclass
class Run:
    """Everything the drivers share."""

    stack: BotStack
    counters: TimedCounters
    posts: ChannelCalls
    delays: dict[str, float]
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def one_request(run: Run, sender: SlackSender, n: int) -> Sample:
    """Type `/eni detach`, wait for the card, approve it, wait for the Available reply."""
    eni = eni_id(n)
    channel = f"C0BENCH{n:04d}"
    stand_in = run.stack.stand_in
    sample = Sample(eni=eni, requested=time.time())
    answer = sender.command(
        f"detach {eni} bench: move the app network", user_id=REQUESTER, channel_id=channel
    )
    if answer.status_code != 200:
        raise RuntimeError(f"/eni detach {eni} answered {answer.status_code}")
    card_call = run.posts.wait(channel, lambda c: "thread_ts" not in c.params, "card")
    sample.card = card_call.time
    card = stand_in.message(channel, str(card_call.response.get("ts")))
    if card is None:
        raise RuntimeError(f"card of {eni} not found in {channel}")
    sample.clicked = time.time()
    answer = sender.click(card, ActionId.APPROVE.value, user_id=APPROVER)
    if answer.status_code != 200:
        raise RuntimeError(f"approve click on {eni} answered {answer.status_code}")
    sample.detach = run.counters.wait_accepted(eni, WAIT)
    sample.available = sample.detach + run.delays[eni]
    reply = run.posts.wait(
        channel, lambda c: "Available:" in str(c.params.get("text")), "Available reply"
    )
    sample.reply = reply.time
    return sample


def add_recorded(stack: BotStack, samples: list[Sample]) -> None:
    """Fill in when the bot recorded each request as detached (its audit trail's time)."""
    by_eni = {s.eni: s for s in samples}
    with db.transaction(stack.runtime.sessions) as session:
        rows = session.execute(
            select(DetachRequest.eni_id, RequestEvent.at)
            .join(RequestEvent, RequestEvent.request_id == DetachRequest.id)
            .where(RequestEvent.to_status == Status.DETACHED.value)
        )
        for eni, at in rows:
            if eni in by_eni:
                by_eni[eni].recorded = at.timestamp()


def driver(run: Run, numbers: list[int]) -> None:
    """Run requests one after another; each driver has its own keep-alive sender."""
    stack = run.stack
    with SlackSender(stack.events_url, SIGNING_SECRET, stand_in=stack.stand_in) as sender:
        for n in numbers:
            try:
                sample = one_request(run, sender, n)
            except Exception as exc:
                with run.lock:
                    run.errors.append(f"request {n}: {type(exc).__name__}: {exc}")
                continue
            with run.lock:
                run.samples.append(sample)


def poll_interval() -> float:
    """ENIBOT_POLL_INTERVAL if the environment sets it, else the bench's 1 s."""
    value = os.environ.get("ENIBOT_POLL_INTERVAL")
    return float(value) if value else DEFAULT_POLL_INTERVAL


def main() -> None:
    interval = poll_interval()
    rng = random.Random(7)
    world = make_world(SAMPLES, detach_delay=1.0)
    delays = {eni_id(n): rng.uniform(*DETACH_DELAY) for n in range(SAMPLES)}
    for eni, delay in delays.items():
        world.update_network_interface(eni, {"detach_delay": delay})
    counters = TimedCounters()
    posts = ChannelCalls()
    started = time.perf_counter()
    with BotStack(
        world,
        workers=WorkerOptions(),
        settings={"poll_interval": interval},
        before_start=install(counters),
    ) as stack:
        stack.stand_in.subscribe(posts.record)
        run = Run(stack=stack, counters=counters, posts=posts, delays=delays)
        threads = [
            threading.Thread(
                target=driver,
                args=(run, list(range(k, SAMPLES, DRIVERS))),
                name=f"bench-driver-{k}",
                daemon=True,
            )
            for k in range(DRIVERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        add_recorded(stack, run.samples)
        database = stack.database
    report(run, interval, database, time.perf_counter() - started)


def row(label: str, figures: Summary) -> str:
    """One figure line in seconds."""
    return (
        f"  {label:<30} p50 {figures.p50:6.3f} s   p95 {figures.p95:6.3f} s"
        f"   max {figures.max:6.3f} s   (n={figures.n})"
    )


def report(run: Run, interval: float, database: str, elapsed: float) -> None:
    """The three figures, the target line for Available -> reply, and any failed request."""
    samples = run.samples
    print(
        f"End to end, {len(samples)} requests ({DRIVERS} at a time, one channel each);"
        f" ENIBOT_POLL_INTERVAL={interval:g} s; detach delay {DETACH_DELAY[0]:g}-"
        f"{DETACH_DELAY[1]:g} s; workers with production tuning; {database}"
    )
    print(row("request -> card posted", summarize([s.card - s.requested for s in samples])))
    print(row("approve click -> Detach sent", summarize([s.detach - s.clicked for s in samples])))
    available = summarize([s.reply - s.available for s in samples])
    print(row("Available -> thread reply", available))
    print(
        row("  Available -> bot records it", summarize([s.recorded - s.available for s in samples]))
    )
    print(row("  recorded -> reply posted", summarize([s.reply - s.recorded for s in samples])))
    print(row("approve click -> reply", summarize([s.reply - s.clicked for s in samples])))
    target = interval + 1.0
    verdict = "PASS" if available.p95 <= target and not run.errors else "WARN"
    print(
        f"{verdict} Available -> reply p95 {available.p95:.2f} s; target <= poll interval + 1 s"
        f" = {target:g} s"
    )
    for error in run.errors:
        print(f"FAILED {error}")
    print(f"(whole run {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
