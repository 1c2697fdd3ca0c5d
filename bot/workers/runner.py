"""Run the executor, poller, outbox relay, expiry sweeper and outbox retention as threads.

The composition root (`bot.bootstrap.build_workers`) builds a `Workers` from its parts: the
sessions, the ECS client, the outbox `Sender` (the Slack adapter, which this package never
imports), the relay's `CardHooks` into the domain, the doorbells and the clock. `eni-bot
serve`/`socket` start it next to the app; `eni-bot worker` hands it to `run_workers`, which
blocks until SIGTERM/SIGINT. Each thread sleeps on its doorbell (rung by the app and by the
other threads) or until its periodic sweep, which is how work written by other processes is
found. On stop, each thread finishes the item in hand and gives its remaining leases back; a
process that dies instead has its leases expire.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import FrameType
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.doorbells import Doorbells
from bot.outbox.port import CardHooks, Sender
from bot.outbox.relay import OutboxRelay, RelayConfig
from bot.outbox.retention import OutboxRetention, RetentionConfig
from bot.requests.ports import Ecs
from bot.requests.schemas import Policy
from bot.workers.executor import Executor, ExecutorConfig
from bot.workers.expiry import ExpirySweeper
from bot.workers.poller import Poller, PollerConfig

__all__ = ["WorkerOptions", "Workers", "lease_owners", "run_workers", "worker_identity"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_ERROR_PAUSE = 1.0  # after an unexpected error (database down…), before the loop goes on


@dataclass(frozen=True)
class WorkerOptions:
    """Tuning; the defaults are production's. `lease_seconds` overrides every lease."""

    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    poller: PollerConfig | None = None  # None: Workers' poll_interval (ENIBOT_POLL_INTERVAL)
    relay: RelayConfig = field(default_factory=RelayConfig)
    retention: RetentionConfig | None = None  # None: retention_days (ENIBOT_OUTBOX_RETENTION_DAYS)
    lease_seconds: float | None = None
    executor_sweep: float = 1.0  # how often to look for work other processes queued
    poller_sweep: float = 0.25  # due polls are picked up within this
    expiry_sweep: float = 5.0
    retention_sweep: float = 3600.0  # sent rows are kept for days: hourly is plenty
    enable: frozenset[str] = frozenset({"executor", "poller", "relay", "expiry", "retention"})


ROLES = ("executor", "poller", "relay")


def worker_identity() -> str:
    """hostname:pid:random, unique per process start (each worker's lease owner adds its role)."""
    # Cut the host name: lease_owner is 128 characters and an FQDN may have 253.
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_owners(identity: str) -> dict[str, str]:
    """One lease owner per worker thread of a process.

    A shared owner lets one thread's lease check pass on a row another thread holds: the
    executor, reaching a row of its batch late, would find this process's poller's lease
    "ours" and release it mid-Describe (tests/workers/test_runner.py shows it).
    """
    return {role: f"{identity}:{role}" for role in ROLES}


class Workers:
    """The background threads of one process, started and stopped together."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: Ecs,
        policy: Policy,
        sender: Sender,
        card_hooks: CardHooks,
        doorbells: Doorbells,
        clock: Callable[[], datetime],
        poll_interval: float,
        retention_days: float,
        options: WorkerOptions | None = None,
    ) -> None:
        """Wire the threads' parts; `clock` should be the database's (`bot.clock.DatabaseClock`)."""
        self.options = options = options or WorkerOptions()
        self.doorbells = bells = doorbells
        self.clock = clock
        self.identity = worker_identity()
        self.owners = owners = lease_owners(self.identity)
        lease = options.lease_seconds
        exec_cfg = (
            options.executor if lease is None else replace(options.executor, lease_seconds=lease)
        )
        poll_cfg = options.poller or PollerConfig(poll_interval=poll_interval)
        if lease is not None:
            poll_cfg = replace(poll_cfg, lease_seconds=lease)
        relay_cfg = options.relay if lease is None else replace(options.relay, lease_seconds=lease)
        self.executor = Executor(
            sessions=sessions,
            ecs=ecs,
            policy=policy,
            owner=owners["executor"],
            config=exec_cfg,
            clock=clock,
            poller_bell=lambda: _ring(bells.poller, bells.outbox),
        )
        self.poller = Poller(
            sessions=sessions,
            ecs=ecs,
            policy=policy,
            owner=owners["poller"],
            config=poll_cfg,
            clock=clock,
            # A target that finished frees a place of its request: its next ENI can go now.
            on_change=lambda: _ring(bells.outbox, bells.executor),
        )
        self.relay = OutboxRelay(
            sessions=sessions,
            sender=sender,
            owner=owners["relay"],
            config=relay_cfg,
            clock=clock,
            hooks=card_hooks,
        )
        self.expiry = ExpirySweeper(sessions=sessions, policy=policy, clock=clock)
        self.retention = OutboxRetention(
            sessions=sessions,
            config=options.retention or RetentionConfig(days=retention_days),
            clock=clock,
        )
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._failing: set[str] = set()  # loops whose last step failed (log once per episode)

    def __repr__(self) -> str:
        return f"Workers({self.identity}, running={self.running})"

    @property
    def running(self) -> bool:
        """Whether any worker thread is alive."""
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        """Start the enabled threads (idempotent)."""
        if self._threads:
            return
        self._stopping.clear()
        loops: dict[str, Callable[[], None]] = {
            "executor": self._executor_loop,
            "poller": self._poller_loop,
            "relay": self._relay_loop,
            "expiry": self._expiry_loop,
            "retention": self._retention_loop,
        }
        for name, loop in loops.items():
            if name in self.options.enable:
                thread = threading.Thread(target=loop, name=f"eni-bot-{name}", daemon=True)
                self._threads.append(thread)
                thread.start()
        log.info("workers started as %s", self.identity)

    def stop(self, timeout: float = 20.0) -> bool:
        """Ask every thread to finish its item and give leases back; True if all ended in time."""
        self._stopping.set()
        bells = self.doorbells
        _ring(bells.executor, bells.poller, bells.outbox)
        for thread in self._threads:
            thread.join(timeout=max(0.0, timeout))
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = [t for t in self._threads if t.is_alive()]
        if alive:
            log.warning("workers still running after %.0fs: %s", timeout, ", ".join(alive))
        else:
            log.info("workers stopped (%s)", self.identity)
        return not alive

    # ---- loops ----

    def _executor_loop(self) -> None:
        bell = self.doorbells.executor
        outbox = self.doorbells.outbox
        while not self._stopping.is_set():
            bell.clear()
            claimed = self._guarded(
                "executor", lambda: self.executor.run_once(should_stop=self._stopping.is_set)
            )
            if claimed:
                outbox.set()
                continue
            bell.wait(self.options.executor_sweep)

    def _poller_loop(self) -> None:
        bell = self.doorbells.poller
        while not self._stopping.is_set():
            bell.clear()
            stats = self._guarded("poller", self.poller.run_once)
            if stats is not None and stats.claimed:
                continue
            bell.wait(self.options.poller_sweep)

    def _relay_loop(self) -> None:
        bell = self.doorbells.outbox
        try:
            while not self._stopping.is_set():
                bell.clear()
                delay = self._guarded("relay", self.relay.tick)
                if delay is None:
                    delay = _ERROR_PAUSE
                if delay > 0:
                    bell.wait(delay)
        finally:
            self._guarded("relay", self.relay.release_all)

    def _expiry_loop(self) -> None:
        outbox = self.doorbells.outbox
        while not self._stopping.is_set():
            expired = self._guarded("expiry", self.expiry.run_once)
            if expired:
                outbox.set()
                continue
            self._stopping.wait(self.options.expiry_sweep)

    def _retention_loop(self) -> None:
        while not self._stopping.is_set():
            self._guarded(
                "retention", lambda: self.retention.run_once(should_stop=self._stopping.is_set)
            )
            self._stopping.wait(self.options.retention_sweep)

    def _guarded(self, name: str, step: Callable[[], T]) -> T | None:
        """Run one step; an unexpected error is logged and paused on, never fatal.

        A database outage makes every step fail every few seconds: say so once per loop (and
        once when it is over), not with a traceback a second.
        """
        try:
            result = step()
        except Exception as exc:
            first = name not in self._failing
            self._failing.add(name)
            if isinstance(exc, (OperationalError, InterfaceError)):
                if first:
                    log.warning(
                        "%s: database unavailable (%s); retrying every %.0fs",
                        name, type(exc.orig or exc).__name__, _ERROR_PAUSE,
                    )  # fmt: skip
            elif first:
                log.exception("%s step failed; retrying in %.0fs", name, _ERROR_PAUSE)
            else:
                log.warning("%s step failed again (%s)", name, type(exc).__name__)
            self._stopping.wait(_ERROR_PAUSE)
            return None
        if name in self._failing:
            self._failing.discard(name)
            log.info("%s recovered", name)
        return result


def _ring(*bells: threading.Event) -> None:
    for bell in bells:
        bell.set()


def run_workers(workers: Workers) -> None:
    """`eni-bot worker`: run the workers until SIGTERM or SIGINT, then stop cleanly."""
    done = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping workers", signum)
        done.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        workers.start()
        while not done.wait(1.0):
            if not workers.running:
                log.error("worker threads ended unexpectedly")
                break
    finally:
        workers.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
