"""The outbox relay: delivers outbox rows to Slack in order, at Slack's pace, never twice.

Rules it keeps:
- Order per `ordering_key`: a row is claimed only while no earlier row with the same key is
  unsent, so a thread's replies (and its card, first) go out one after another, across processes.
- Pace: one thread per relay sends at most one row per channel per tick, and every relay takes
  a slot from the channel's shared pace first (bot/outbox/pacer.py: `post_interval` between
  posts, and between updates, to one channel, across all replicas, with short bursts); a 429
  blocks that channel for Retry-After, for every relay; no answer at all backs this relay's
  channels off, capped, until Slack is back.
- Never twice: `send_started_at` is committed before a post; a row found with it set and no
  `sent_at` is looked up in Slack by its metadata before it is sent again.
- Card updates are rendered from the request's current state, so of several waiting for one
  request only the newest is sent. Incident summaries arriving in a burst share one digest.
- Threads: a card is its ordering key's root; where it went (channel, ts) is the outbox's own
  thread record (`OutboxThread`), which its replies and updates are placed by. The domain hears
  of its card through `CardHooks`; the relay never reads or writes the domain's tables.

The relay holds a row's lease from claim to record. Every write about a row in flight is one
guarded statement (owner, lease still running, not yet sent), so a relay whose lease ran out
while it waited or sent cannot start, post or record a row another relay has taken; the sender
re-extends the lease (`Delivery.keep`) after its lookup, just before it posts. What a failed
send means is read off the port's error types (bot/outbox/port.py) and nothing else.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox import repository as rows
from bot.outbox.models import MessageKind, OutboxMessage
from bot.outbox.pacer import DatabasePaceStore, MemoryPaceStore, Pace, Pacer, Slot
from bot.outbox.port import (
    CardHooks,
    Delivery,
    LeaseLostError,
    RateLimitedError,
    RejectedError,
    Sender,
    Sent,
    UnreachableError,
)

__all__ = ["OutboxRelay", "RelayConfig"]

log = logging.getLogger(__name__)

_CARD_UPDATE = MessageKind.CARD_UPDATE.value


@dataclass(frozen=True)
class RelayConfig:
    """Pace and limits; defaults follow Slack's documented limits."""

    post_interval: float = 1.0  # seconds between posts (and between updates) to one channel
    post_burst: int = 3  # posts to one channel that may go out back to back
    # The pace is kept in the database, so N replicas together keep it; False paces each
    # relay on its own (0.1's behaviour; benchmarks compare the two).
    shared_pace: bool = True
    # Longer than a whole lookup (3 pages, 200 messages each, since the first try) plus the post
    # at Slack's 10 s client timeout each: the lease is extended after the lookup, so it must
    # outlast the lookup on its own. And under CONTRACT's 60 s takeover of a dead process.
    lease_seconds: float = 50.0
    batch: int = 50  # rows held at most at once
    claim_every: float = 0.5  # seconds between claims when idle (a doorbell wakes earlier)
    backoff_base: float = 0.5
    backoff_cap: float = 5.0  # "outage": retry at least this often until delivered
    burst_threshold: int = 10  # summaries finishing within `burst_window` before digesting
    burst_window: float = 60.0
    digest_max: int = 100
    # Attempts for errors Slack calls permanent (bad blocks…); a channel that will not take the
    # bot's posts (private without it, archived, a DM) is given up at its first such answer.
    give_up_after: int = 5


@dataclass(frozen=True)
class _Held:
    outbox_id: int
    key: str  # ordering key
    channel: str
    kind: str
    # The thread root's ts as claimed: a row is claimed only once every earlier row of its key
    # (its root first) is finished, so the thread record cannot change while the row is held.
    root_ts: str | None


class OutboxRelay:
    """Claims, paces and records outbox deliveries; `tick()` is one step of its loop."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        sender: Sender,
        owner: str,
        config: RelayConfig | None = None,
        clock: Callable[[], datetime] = db.utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        hooks: CardHooks | None = None,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._owner = owner
        self._config = cfg = config or RelayConfig()
        self._clock = clock
        self._hooks = hooks or CardHooks()
        store = DatabasePaceStore(sessions) if cfg.shared_pace else MemoryPaceStore()
        self._pacer = Pacer(Pace(cfg.post_interval, cfg.post_burst), store, clock, monotonic)
        self._monotonic = monotonic
        self._held: dict[str, deque[_Held]] = {}
        self._last_claim = float("-inf")
        self._last_renew = monotonic()
        self.delivered = 0

    # ---- the loop ----

    def tick(self, *, claim: bool = True) -> float:
        """Send what is ready; returns how long the caller may sleep before the next tick."""
        if claim and self._held_count() < self._config.batch:
            self._claim()
        self._renew_if_due()
        progressed = False
        for channel in list(self._held):
            queue = self._held[channel]
            if not queue:
                continue
            head = queue[0]
            lane = self._lane(head)
            if self._pacer.wait(lane) > 0:
                continue
            slot = self._pacer.reserve(lane)
            if slot is None:
                continue  # the slot is taken (by any relay): the lane rests until its next one
            queue.popleft()
            if self._process(head, slot):
                progressed = True
            self._renew_if_due()  # a tick of slow sends must not let the other held leases lapse
        for channel in [c for c, q in self._held.items() if not q]:
            del self._held[channel]
        if progressed:
            return 0.0
        waits = [self._pacer.wait(self._lane(q[0])) for q in self._held.values() if q]
        return min([self._config.claim_every, *waits])

    def release_all(self) -> None:
        """Give back every held row (clean shutdown)."""
        ids = [h.outbox_id for q in self._held.values() for h in q]
        self._held.clear()
        if ids:
            with db.transaction(self._sessions) as s:
                rows.release(s, ids, owner=self._owner)

    def drain(self, *, timeout: float = 10.0) -> None:
        """Tick until every row is delivered or `timeout` passes (tests and benchmarks)."""
        deadline = self._monotonic() + timeout
        while self._monotonic() < deadline:
            self._last_claim = float("-inf")
            delay = self.tick()
            if not self._held and delay > 0 and self._unsent_count() == 0:
                return
            if delay > 0:
                time.sleep(min(delay, 0.05))

    # ---- claiming ----

    def _held_count(self) -> int:
        return sum(len(q) for q in self._held.values())

    @staticmethod
    def _lane(held: _Held) -> tuple[str, str]:
        method = "update" if held.kind == _CARD_UPDATE else "post"
        return (method, held.channel)

    def _until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._config.lease_seconds)

    def _claim(self) -> None:
        now_mono = self._monotonic()
        self._last_claim = now_mono
        room = self._config.batch - self._held_count()
        if room <= 0:
            return
        now = self._clock()
        with db.transaction(self._sessions) as s:
            ids = rows.claim_heads(
                s, owner=self._owner, now=now, until=self._until(now), limit=room
            )
            if not ids:
                return
            claimed = rows.rows(s, ids)
            threads = rows.threads(s, {r.ordering_key for r in claimed})
        for row in claimed:
            thread = threads.get(row.ordering_key)
            channel = rows.channel_of(row, thread)
            root_ts = thread.root_ts if thread is not None else None
            held = _Held(row.id, row.ordering_key, channel, row.kind, root_ts)
            self._held.setdefault(channel, deque()).append(held)

    def _unsent_count(self) -> int:
        with db.read(self._sessions) as s:
            return rows.unsent_count(s)

    def _renew_if_due(self) -> None:
        if self._monotonic() - self._last_renew < self._config.lease_seconds / 3:
            return
        self._last_renew = self._monotonic()
        ids = [h.outbox_id for q in self._held.values() for h in q]
        if not ids:
            return
        until = self._until(self._clock())
        with db.transaction(self._sessions) as s:
            rows.extend_leases(s, ids, owner=self._owner, until=until)

    # ---- one row ----

    def _process(self, held: _Held, slot: Slot) -> bool:
        """Deliver one held row in its slot; True when it is done (sent, coalesced, given up)."""
        job = self._start(held)
        if job is None:
            self._pacer.release(slot)
            return True  # coalesced, given up, or no longer ours
        try:
            sent = self._sender.deliver(job)
        except LeaseLostError:
            self._pacer.release(slot)
            log.info("outbox id=%d: lease taken over during the send; not posted", job.outbox_id)
            return True
        except Exception as exc:
            self._pacer.settle(slot)
            self._failed(held, job, slot.lane, exc)
            return False
        self._pacer.settle(slot)
        self._pacer.reachable()
        self._record(held, job, sent)
        return True

    def _start(self, held: _Held) -> Delivery | None:
        """Commit the send's start (guarded by our lease) and build what the sender needs."""
        now = self._clock()
        with db.transaction(self._sessions) as s:
            # One guarded UPDATE first: it fails unless the lease is ours and still running, and
            # on PostgreSQL it locks the row until commit, so the writes below cannot interleave
            # with another relay's claim (a read-then-check would).
            if not rows.extend_lease(
                s, held.outbox_id, owner=self._owner, now=now, until=self._until(now)
            ):
                return None
            row = s.get(OutboxMessage, held.outbox_id, populate_existing=True)
            if row is None:
                return None
            kind = MessageKind(row.kind)
            if kind is MessageKind.CARD_UPDATE and rows.newer_card_update(s, row):
                # The newer update renders the same current state; this one adds nothing.
                rows.finish(s, row, now=now, ts=None, channel=held.channel, note="coalesced")
                return None
            in_thread = kind in (MessageKind.THREAD_REPLY, MessageKind.CARD_UPDATE)
            if in_thread and held.root_ts is None:
                # The card was never delivered (given up): there is no thread to reply in.
                rows.finish(s, row, now=now, ts=None, channel=held.channel, note="no card")
                return None
            digest = self._digest(s, row, now) if kind is MessageKind.INCIDENT_SUMMARY else []
            started_at = row.send_started_at
            # Keep the earliest unknown start: the lookup must search from the first send that
            # may have landed, not from a later one that failed before posting.
            row.send_started_at = started_at or now
            row.attempts = (row.attempts or 0) + 1
            row.slack_channel = held.channel
            # Mark the covered rows too, so a crash leaves each of them "outcome unknown";
            # remember which this send marked, to unmark them if Slack applies nothing.
            marked = rows.mark_started(s, [d[0] for d in digest[1:]], now=now)
            outbox_id = row.id
            return Delivery(
                outbox_id=row.id,
                kind=kind,
                channel=held.channel,
                payload=dict(row.payload or {}),
                subject_id=row.request_id,
                thread_ts=held.root_ts if kind is MessageKind.THREAD_REPLY else None,
                target_ts=held.root_ts if kind is MessageKind.CARD_UPDATE else None,
                started_at=started_at,
                digest=digest if len(digest) > 1 else [],
                keep=lambda: self._keep(outbox_id),
                marked=marked,
            )

    def _digest(
        self, s: Session, head: OutboxMessage, now: datetime
    ) -> list[tuple[int, int, Mapping[str, Any]]]:
        """The head and the summaries queued behind it, when the channel is in a burst."""
        cfg = self._config
        since = now - timedelta(seconds=cfg.burst_window)
        return rows.digest_members(
            s, head, since=since, threshold=cfg.burst_threshold, limit=cfg.digest_max
        )

    def _keep(self, outbox_id: int) -> bool:
        """Extend a row's lease mid-send (guarded); False when it is no longer ours."""
        now = self._clock()
        with db.transaction(self._sessions) as s:
            return rows.extend_lease(
                s, outbox_id, owner=self._owner, now=now, until=self._until(now)
            )

    def _record(self, held: _Held, job: Delivery, sent: Sent) -> None:
        now = self._clock()
        with db.transaction(self._sessions) as s:
            if not rows.take(s, job.outbox_id, owner=self._owner):
                # Our lease lapsed and another relay holds the row: it finds this post by its
                # metadata (send_started_at is set) and records it.
                log.warning(
                    "outbox id=%d sent but no longer ours; left to its holder", job.outbox_id
                )
                return
            covers = [job.outbox_id, *[c for c in sent.covers if c != job.outbox_id]]
            for row in rows.unsent(s, covers):
                note = None if row.id == job.outbox_id else f"in digest {job.outbox_id}"
                rows.finish(s, row, now=now, ts=sent.ts, channel=sent.channel, note=note)
            if job.kind is MessageKind.CARD:
                # Replies go where the card was asked to go (the request's channel), as in 0.1.
                rows.record_root(s, held.key, channel=job.channel, ts=sent.ts, now=now)
                if self._hooks.posted is not None and job.subject_id is not None:
                    self._hooks.posted(s, job.subject_id, sent.channel, sent.ts)
        self.delivered += len(covers)
        log.debug("outbox sent id=%d kind=%s ts=%s", job.outbox_id, job.kind, sent.ts)

    def _failed(self, held: _Held, job: Delivery, lane: tuple[str, str], exc: Exception) -> None:
        """Reschedule (or give up on) a row whose send failed, and slow the lane down."""
        cfg = self._config
        rejected = exc if isinstance(exc, RejectedError) else None
        # Whether this attempt may have posted: only "no" lets the next one skip the lookup.
        applied_maybe = True
        delay = cfg.backoff_cap
        if isinstance(exc, RateLimitedError):
            delay, applied_maybe = exc.retry_after, False
            self._pacer.block(lane, delay)
        elif isinstance(exc, UnreachableError):
            delay = self._pacer.unreachable(cfg.backoff_base, cfg.backoff_cap)
            applied_maybe = exc.applied_maybe
        elif rejected is not None:
            applied_maybe = rejected.applied_maybe
            if not rejected.permanent:
                log.warning("outbox send failed id=%d: %s", job.outbox_id, exc)
        else:  # a fault of ours or of the database, not an answer: assume it may have posted
            log.warning("outbox send failed id=%d: %s", job.outbox_id, exc)
        now = self._clock()
        with db.transaction(self._sessions) as s:
            if not rows.take(s, job.outbox_id, owner=self._owner):
                return  # sent, or taken over by another relay: not ours to reschedule
            row = s.get(OutboxMessage, job.outbox_id, populate_existing=True)
            if row is None:
                return
            row.last_error = str(exc)[:500]
            tried = (row.attempts or 0) >= cfg.give_up_after
            if rejected is not None and rejected.permanent and (rejected.conclusive or tried):
                self._give_up(s, row, held, job, rejected, now)
                return
            if not applied_maybe:
                # Slack applied nothing: the next attempt need not look for it first.
                row.send_started_at = job.started_at
                if job.marked:
                    rows.unmark_started(s, job.marked)
            rows.reschedule(s, row, at=now + timedelta(seconds=delay))

    def _give_up(
        self,
        s: Session,
        row: OutboxMessage,
        held: _Held,
        job: Delivery,
        exc: RejectedError,
        now: datetime,
    ) -> None:
        log.error("outbox giving up id=%d kind=%s: %s", row.id, row.kind, exc)
        rows.finish(s, row, now=now, ts=None, channel=job.channel, note=f"undeliverable: {exc}")
        if job.kind is not MessageKind.CARD:
            return
        # The thread has a channel but no root: its replies are dropped ("no card"), and the
        # requester's notice (queued by the hook below) still knows where to go.
        rows.record_root(s, held.key, channel=job.channel, ts=None, now=now)
        if self._hooks.undeliverable is not None and job.subject_id is not None:
            self._hooks.undeliverable(s, job.subject_id, exc.error or type(exc).__name__, now)
