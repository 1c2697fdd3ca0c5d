"""The poller: one DescribeNetworkInterfaces per region per ≤100 ENIs, never one per ENI.

It claims the in-flight and stuck targets (of every request) whose next look is due, groups
them by region, asks
ECS about them one chunk of ≤100 ENIs (the API's limit) at a time and applies each chunk's
answers in one transaction with `service.record_poll`, which posts only when the state changed.

A cycle may last longer than its lease (many regions, a slow ECS): before each Describe the
poller renews the lease of every row it still has to record, in one UPDATE, and drops those
that are no longer its own. Otherwise another poller would claim the rows still waiting, and
each would throw the other's answers away (every write is guarded by the lease).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.backoff import capped_backoff
from bot.ecs.client import MAX_IDS_PER_CALL, EcsClient
from bot.ecs.errors import EcsError
from bot.requests import repository, service
from bot.requests.models import RequestTarget
from bot.requests.polling import WATCHED
from bot.requests.service import EniObservation, Policy
from bot.workers.schedule import next_poll_delay

__all__ = ["PollStats", "Poller", "PollerConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollerConfig:
    """Batch sizes and leases; `poll_interval` is ENIBOT_POLL_INTERVAL (the schedule's cap)."""

    poll_interval: float = 5.0
    # Renewed before each Describe, so it must outlast one Describe with the client's retries
    # (about 40 s, as for the executor's Detach), and stay under CONTRACT's 60 s takeover.
    lease_seconds: float = 45.0
    batch: int = 1000  # targets per claim: ten Describe calls per region at most
    chunk: int = MAX_IDS_PER_CALL  # ENIs per Describe; its answers are recorded in one transaction
    trouble_base: float = 2.0
    trouble_cap: float = 60.0


@dataclass
class PollStats:
    """What one cycle did (benchmarks and logs)."""

    claimed: int = 0
    regions: int = 0
    changed: int = 0
    troubled: int = 0


class Poller:
    """Claims due detaching/stuck requests and applies what ECS says about their ENIs."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: EcsClient,
        policy: Policy,
        owner: str,
        config: PollerConfig | None = None,
        clock: Callable[[], datetime] = db.utcnow,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._ecs = ecs
        self._policy = policy
        self._owner = owner
        self._config = config or PollerConfig()
        self._clock = clock
        self._on_change = on_change or (lambda: None)
        self._trouble: dict[str, int] = defaultdict(int)  # consecutive failures per region

    def run_once(self) -> PollStats:
        """Claim one batch of due requests and poll them, one Describe per region per 100."""
        stats = PollStats()
        now = self._clock()
        with db.transaction(self._sessions) as s:
            claimed = service.claim_for_polling(
                s,
                owner=self._owner,
                now=now,
                lease_seconds=self._config.lease_seconds,
                limit=self._config.batch,
            )
        stats.claimed = len(claimed)
        by_region: dict[str, list[RequestTarget]] = defaultdict(list)
        for target in claimed:
            by_region[target.region].append(target)
        stats.regions = len(by_region)
        waiting = {r.id for r in claimed}  # ours, not yet recorded
        size = max(1, min(self._config.chunk, MAX_IDS_PER_CALL))
        fresh = True  # the claim has just set every lease
        for region, requests in by_region.items():
            for start in range(0, len(requests), size):
                if not fresh:
                    waiting = self._renew(waiting)
                fresh = False
                part = [r for r in requests[start : start + size] if r.id in waiting]
                if not part:
                    continue
                try:
                    self._poll_chunk(region, part, stats)
                except EcsError as exc:
                    # The rest of the region waits for a later cycle, with the same back-off.
                    rest = [r for r in requests[start:] if r.id in waiting]
                    self._troubled(region, rest, exc)
                    stats.troubled += len(rest)
                    waiting.difference_update(r.id for r in rest)
                    break
                waiting.difference_update(r.id for r in part)
        if stats.changed:
            self._on_change()
        return stats

    def release(self, ids: Sequence[int]) -> None:
        """Give leases back (shutdown)."""
        with db.transaction(self._sessions) as s:
            for target_id in ids:
                service.release(s, target_id=target_id, owner=self._owner)

    def _renew(self, ids: set[int]) -> set[int]:
        """Extend the lease of every row this cycle has yet to record; the ones still ours."""
        if not ids:
            return ids
        now = self._clock()
        with db.transaction(self._sessions) as s:
            kept = repository.extend_leases(
                s,
                ids,
                owner=self._owner,
                statuses=WATCHED,
                lease_until=now + timedelta(seconds=self._config.lease_seconds),
            )
        if len(kept) < len(ids):
            log.info("poller: %d leases taken over during the cycle", len(ids) - len(kept))
        return kept

    def _poll_chunk(self, region: str, part: list[RequestTarget], stats: PollStats) -> None:
        """Describe ≤100 ENIs and record the answers in one transaction; EcsError is raised."""
        enis = self._ecs.describe_network_interfaces(region, [r.eni_id for r in part])
        self._trouble.pop(region, None)
        seen: dict[str, EniObservation] = {
            e.eni_id: EniObservation(e.status, e.instance_id) for e in enis
        }
        cap = self._config.poll_interval
        now = self._clock()
        quiet = [
            r
            for r in part
            if service.poll_is_unchanged(r, seen.get(r.eni_id), policy=self._policy, now=now)
        ]
        with db.transaction(self._sessions) as s:
            _reschedule(s, quiet, seen, owner=self._owner, now=now, cap=cap)
            quiet_ids = {t.id for t in quiet}
            for target in (t for t in part if t.id not in quiet_ids):
                changed = service.record_poll(
                    s,
                    target=target,
                    owner=self._owner,
                    observed=seen.get(target.eni_id),
                    policy=self._policy,
                    now=now,
                    next_poll_at=now + timedelta(seconds=next_poll_delay(target.poll_count, cap)),
                )
                if changed is not None:
                    stats.changed += 1
                    log.info(
                        "request %d: %s is now %s",
                        target.request_id,
                        target.eni_id,
                        changed,
                        extra={"request_id": target.request_id, "eni_id": target.eni_id},
                    )

    def _troubled(self, region: str, requests: list[RequestTarget], exc: EcsError) -> None:
        """ECS did not answer usefully: look again later, and say so once per request."""
        self._trouble[region] += 1
        cfg = self._config
        delay = max(
            cfg.poll_interval,
            capped_backoff(self._trouble[region], base=cfg.trouble_base, cap=cfg.trouble_cap),
        )
        log.warning(
            "describe failed region=%s code=%s requests=%d retry_in=%.1fs",
            region, exc.code, len(requests), delay,
        )  # fmt: skip
        now = self._clock()
        with db.transaction(self._sessions) as s:
            for target in requests:
                service.note_ecs_trouble(
                    s, target_id=target.id, code=exc.code, message=exc.message, now=now
                )
                service.release(
                    s,
                    target_id=target.id,
                    owner=self._owner,
                    retry_at=now + timedelta(seconds=delay),
                )


def _reschedule(
    s: Session,
    targets: Sequence[RequestTarget],
    seen: dict[str, EniObservation],
    *,
    owner: str,
    now: datetime,
    cap: float,
) -> None:
    """Record "no change" for many targets: one UPDATE per (ENI status, poll count) group."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for target in targets:
        groups[(str(seen[target.eni_id].status), target.poll_count)].append(target.id)
    for (eni_status, polls), ids in groups.items():
        repository.reschedule_targets(
            s,
            ids,
            owner=owner,
            statuses=WATCHED,
            values={
                "eni_status": eni_status,
                "poll_count": polls + 1,
                "next_poll_at": now + timedelta(seconds=next_poll_delay(polls, cap)),
                "lease_owner": None,
                "lease_until": None,
            },
        )
