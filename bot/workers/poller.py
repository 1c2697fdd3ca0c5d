"""The poller: one DescribeNetworkInterfaces per region per ≤100 ENIs, never one per ENI.

It claims the detaching and stuck requests whose next look is due, groups them by region, asks
ECS about all of a region's ENIs at once (the client splits at the API's 100-ID limit) and
applies each answer with `service.record_poll`, which posts only when the state changed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.client import EcsClient
from bot.ecs.errors import EcsError
from bot.requests import service
from bot.requests.models import DetachRequest
from bot.requests.service import EniObservation, Policy
from bot.requests.states import Status
from bot.workers.schedule import backoff, next_poll_delay

__all__ = ["PollStats", "Poller", "PollerConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollerConfig:
    """Batch sizes and leases; `poll_interval` is ENIBOT_POLL_INTERVAL (the schedule's cap)."""

    poll_interval: float = 5.0
    lease_seconds: float = 30.0
    batch: int = 1000  # requests per claim: ten Describe calls per region at most
    record_chunk: int = 200  # requests recorded per transaction
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
        by_region: dict[str, list[DetachRequest]] = defaultdict(list)
        for request in claimed:
            by_region[request.region].append(request)
        stats.regions = len(by_region)
        for region, requests in by_region.items():
            self._poll_region(region, requests, stats)
        if stats.changed:
            self._on_change()
        return stats

    def release(self, ids: Sequence[int]) -> None:
        """Give leases back (shutdown)."""
        with db.transaction(self._sessions) as s:
            for request_id in ids:
                service.release(s, request_id=request_id, owner=self._owner)

    def _poll_region(self, region: str, requests: list[DetachRequest], stats: PollStats) -> None:
        try:
            enis = self._ecs.describe_network_interfaces(region, [r.eni_id for r in requests])
        except EcsError as exc:
            self._troubled(region, requests, exc)
            stats.troubled += len(requests)
            return
        self._trouble.pop(region, None)
        seen: dict[str, EniObservation] = {
            e.eni_id: EniObservation(e.status, e.instance_id) for e in enis
        }
        cap = self._config.poll_interval
        chunk = self._config.record_chunk
        for start in range(0, len(requests), chunk):
            now = self._clock()
            part = requests[start : start + chunk]
            quiet = [
                r
                for r in part
                if service.poll_is_unchanged(r, seen.get(r.eni_id), policy=self._policy, now=now)
            ]
            with db.transaction(self._sessions) as s:
                _reschedule(s, quiet, seen, owner=self._owner, now=now, cap=cap)
                quiet_ids = {r.id for r in quiet}
                for request in (r for r in part if r.id not in quiet_ids):
                    observed = seen.get(request.eni_id)
                    changed = service.record_poll(
                        s,
                        request_id=request.id,
                        owner=self._owner,
                        observed=observed,
                        policy=self._policy,
                        now=now,
                        next_poll_at=now
                        + timedelta(seconds=next_poll_delay(request.poll_count, cap)),
                    )
                    if changed is not None:
                        stats.changed += 1
                        log.info(
                            "request %d is now %s",
                            request.id,
                            changed,
                            extra={"request_id": request.id, "eni_id": request.eni_id},
                        )

    def _troubled(self, region: str, requests: list[DetachRequest], exc: EcsError) -> None:
        """ECS did not answer usefully: look again later, and say so once per request."""
        self._trouble[region] += 1
        cfg = self._config
        delay = max(
            cfg.poll_interval,
            backoff(self._trouble[region], base=cfg.trouble_base, cap=cfg.trouble_cap),
        )
        log.warning(
            "describe failed region=%s code=%s requests=%d retry_in=%.1fs",
            region, exc.code, len(requests), delay,
        )  # fmt: skip
        now = self._clock()
        with db.transaction(self._sessions) as s:
            for request in requests:
                service.note_ecs_trouble(
                    s, request_id=request.id, code=exc.code, message=exc.message, now=now
                )
                service.release(
                    s,
                    request_id=request.id,
                    owner=self._owner,
                    retry_at=now + timedelta(seconds=delay),
                )


def _reschedule(
    s: Session,
    requests: Sequence[DetachRequest],
    seen: dict[str, EniObservation],
    *,
    owner: str,
    now: datetime,
    cap: float,
) -> None:
    """Record "no change" for many requests: one UPDATE per (ENI status, poll count) group."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for request in requests:
        groups[(str(seen[request.eni_id].status), request.poll_count)].append(request.id)
    for (eni_status, polls), ids in groups.items():
        s.execute(
            update(DetachRequest)
            .where(
                DetachRequest.id.in_(ids),
                DetachRequest.lease_owner == owner,
                DetachRequest.status.in_([Status.DETACHING.value, Status.STUCK.value]),
            )
            .values(
                eni_status=eni_status,
                poll_count=polls + 1,
                next_poll_at=now + timedelta(seconds=next_poll_delay(polls, cap)),
                lease_owner=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
