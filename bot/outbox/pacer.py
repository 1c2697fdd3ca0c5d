"""Slack's pace per channel, kept in the database so every relay together keeps it.

Slack takes about one message per second per channel, with short bursts. Each relay pacing on
its own lets N replicas post N times that. So each lane (method, channel) has one shared value,
its GCRA "theoretical arrival time" `tat` (a token bucket kept as one timestamp): a message may
go at `now` when `tat - (burst - 1) * interval <= now`, and taking it moves `tat` to
`max(tat, now) + interval`. A relay takes its slot by compare-and-swap on that value before it
posts, so two relays never take one slot, whichever database and however many processes.

Taking the slot before the post counts the message at its start; Slack counts it when it
arrives, a little later. `settle` re-counts it at the answer (an upper bound of its arrival),
so a burst is never followed too soon by the next message (the bucket Slack keeps is never
emptier than ours). `block` shares a 429's Retry-After with every relay. A slot taken for a row
that then needs no post is given back (`release`) when nobody took a later one meanwhile.

Each relay also remembers, in memory, how long a lane is known to be busy (so it does not ask
the database again before then) and backs off on its own when Slack does not answer at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

from bot import db
from bot.backoff import capped_backoff
from bot.outbox.models import SlackPace

__all__ = [
    "DatabasePaceStore",
    "MemoryPaceStore",
    "Pace",
    "PaceStore",
    "Pacer",
    "Slot",
    "next_tat",
    "wait_for",
]

Lane = tuple[str, str]  # (method, channel): "post" or "update", and the channel ID
Decide = Callable[[datetime | None], datetime | None]

_CAS_ATTEMPTS = 5  # lost races in a row before a reservation gives up for this tick
_CONTENDED = 0.01  # seconds a lane rests locally after losing every race


@dataclass(frozen=True)
class Pace:
    """On average one message per `interval` seconds, up to `burst` back to back."""

    interval: float
    burst: int = 3

    @property
    def tolerance(self) -> timedelta:
        """How far ahead of now `tat` may be while a message may still go."""
        return timedelta(seconds=self.interval * (max(1, self.burst) - 1))


def wait_for(tat: datetime | None, now: datetime, pace: Pace) -> float:
    """Seconds until a message may go on a lane whose value is `tat` (0: now)."""
    if tat is None:
        return 0.0
    return max(0.0, (tat - pace.tolerance - now).total_seconds())


def next_tat(tat: datetime | None, now: datetime, pace: Pace) -> datetime:
    """The lane's value once one more message is counted at `now`."""
    start = now if tat is None or tat < now else tat
    return start + timedelta(seconds=pace.interval)


@dataclass(frozen=True)
class Slot:
    """A slot taken on a lane: the value before and after, and when it was taken."""

    lane: Lane
    before: datetime | None
    after: datetime | None  # None: the lane is not paced (interval 0), nothing was stored
    taken_at: datetime


class PaceStore(Protocol):
    """Where the lanes' values live: the database (shared) or this process's memory."""

    def change(self, key: str, decide: Decide) -> tuple[datetime | None, datetime | None]:
        """Replace the value by `decide(value)` atomically; returns (before, after or None)."""
        ...


class MemoryPaceStore:
    """Lanes in this process only: each replica paces on its own (0.1's behaviour)."""

    def __init__(self) -> None:
        self._values: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def change(self, key: str, decide: Decide) -> tuple[datetime | None, datetime | None]:
        """Replace the value by `decide(value)` under a lock."""
        with self._lock:
            before = self._values.get(key)
            after = decide(before)
            if after is not None:
                self._values[key] = after
            return before, after


class DatabasePaceStore:
    """Lanes in the `slack_pace` table, changed by compare-and-swap (SQLite and PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def change(self, key: str, decide: Decide) -> tuple[datetime | None, datetime | None]:
        """Read, decide, swap only if unchanged meanwhile; on a lost race read again."""
        before: datetime | None = None
        for _ in range(_CAS_ATTEMPTS):
            with db.transaction(self._sessions) as s:
                before = s.scalar(select(SlackPace.tat).where(SlackPace.lane == key))
                after = decide(before)
                if after is None:
                    return before, None
                if s.scalar(_swap(s, key, before, after)) is not None:
                    return before, after
        return before, None


def _swap(s: Session, key: str, before: datetime | None, after: datetime) -> Executable:
    """One statement that writes `after` only if the lane still holds `before`."""
    if before is not None:
        return (
            update(SlackPace)
            .where(SlackPace.lane == key, SlackPace.tat == before)
            .values(tat=after)
            .returning(SlackPace.lane)
        )
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    return (
        insert(SlackPace)
        .values(lane=key, tat=after)
        .on_conflict_do_nothing(index_elements=[SlackPace.lane])
        .returning(SlackPace.lane)
    )


@dataclass
class Pacer:
    """The relay's view of the lanes: shared slots, plus what this process knows locally."""

    pace: Pace
    store: PaceStore
    clock: Callable[[], datetime]  # wall clock: the stored values are compared across hosts
    monotonic: Callable[[], float]
    resting_until: dict[Lane, float] = field(default_factory=dict)
    unreachable_until: float = 0.0
    outage_failures: int = 0

    def wait(self, lane: Lane) -> float:
        """Seconds this process knows it must wait before trying the lane (0: try now)."""
        now = self.monotonic()
        return max(0.0, self.resting_until.get(lane, 0.0) - now, self.unreachable_until - now)

    def reserve(self, lane: Lane) -> Slot | None:
        """Take the lane's next slot for one message, or None (then `wait` says how long)."""
        now = self.clock()
        if self.pace.interval <= 0:
            return Slot(lane, None, None, now)

        def decide(tat: datetime | None) -> datetime | None:
            return next_tat(tat, now, self.pace) if wait_for(tat, now, self.pace) <= 0 else None

        before, after = self.store.change(_key(lane), decide)
        if after is None:
            self._rest(lane, max(_CONTENDED, wait_for(before, now, self.pace)))
            return None
        return Slot(lane, before, after, now)

    def settle(self, slot: Slot) -> None:
        """Count the slot's message at its answer rather than its start (see the module doc)."""
        if slot.after is None:
            return
        exact = next_tat(slot.before, self.clock(), self.pace)
        if exact <= slot.after:
            return  # the usual case: the lane was ahead of now anyway
        shift = exact - slot.after

        def decide(tat: datetime | None) -> datetime | None:
            if tat is None or tat == slot.after:
                return exact
            return max(tat + shift, exact)  # later slots were counted from ours: move them too

        self.store.change(_key(slot.lane), decide)

    def release(self, slot: Slot) -> None:
        """Give a slot back when no message was sent, unless someone took a later one."""
        if slot.after is None or slot.before is None:
            return
        before = slot.before
        self.store.change(_key(slot.lane), lambda tat: before if tat == slot.after else None)

    def block(self, lane: Lane, seconds: float) -> None:
        """Slack answered 429: nobody uses the lane for `seconds` (Retry-After)."""
        self._rest(lane, seconds)
        if self.pace.interval <= 0:
            return
        until = self.clock() + timedelta(seconds=seconds) + self.pace.tolerance
        self.store.change(_key(lane), lambda tat: until if tat is None or tat < until else None)

    def unreachable(self, base: float, cap: float) -> float:
        """Slack did not answer: back every lane off, doubling up to `cap`; returns the delay."""
        self.outage_failures += 1
        delay = capped_backoff(self.outage_failures, base=base, cap=cap)
        self.unreachable_until = self.monotonic() + delay
        return delay

    def reachable(self) -> None:
        """Slack answered: the outage backoff starts from the beginning next time."""
        self.outage_failures = 0

    def _rest(self, lane: Lane, seconds: float) -> None:
        until = self.monotonic() + seconds
        self.resting_until[lane] = max(self.resting_until.get(lane, 0.0), until)


def _key(lane: Lane) -> str:
    return f"{lane[0]}:{lane[1]}"
