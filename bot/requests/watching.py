"""The watch use case: what one DescribeNetworkInterfaces says about ≤100 targets in flight.

The poller worker (`bot.workers.poller`) claims targets through `claim`, groups them by region
and hands this one chunk (≤100 ENIs of a region, the API's limit) at a time: `poll_chunk` asks
ECS and records every answer in one transaction. Most answers only mean "look again later":
those are rescheduled in bulk, one UPDATE per (ENI status, poll count) group; the others
(detached, gone, newly stuck) go through `polling.record_poll` one by one, which moves the
target and rolls its request up. Every write is guarded by the poller's lease, and `renew`
extends the leases of the rows a long cycle has yet to record, in one UPDATE.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.backoff import capped_backoff
from bot.ecs.errors import EcsError
from bot.requests import target_store
from bot.requests.execution import release
from bot.requests.models import RequestTarget
from bot.requests.polling import WATCHED, claim_for_polling, poll_is_unchanged, record_poll
from bot.requests.ports import Clock, Ecs
from bot.requests.schedule import next_poll_delay
from bot.requests.schemas import EniObservation, Policy
from bot.requests.setbacks import note_ecs_trouble

__all__ = ["TargetWatch", "WatchConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchConfig:
    """Leases and waits; `poll_interval` is ENIBOT_POLL_INTERVAL (the schedule's cap)."""

    poll_interval: float = 5.0
    # Renewed before each Describe, so it must outlast one Describe with the client's retries
    # (about 40 s, as for the executor's Detach), and stay under CONTRACT's 60 s takeover.
    lease_seconds: float = 45.0
    trouble_base: float = 2.0
    trouble_cap: float = 60.0


class TargetWatch:
    """Claims due in-flight and stuck targets and applies what ECS says about their ENIs."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: Ecs,
        policy: Policy,
        owner: str,
        config: WatchConfig,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._ecs = ecs
        self._policy = policy
        self._owner = owner
        self._config = config
        self._clock = clock
        self._trouble: dict[str, int] = defaultdict(int)  # consecutive failures per region

    def claim(self, limit: int) -> list[RequestTarget]:
        """Lease up to `limit` in-flight and stuck targets whose next look is due."""
        now = self._clock()
        with db.transaction(self._sessions) as s:
            return claim_for_polling(
                s,
                owner=self._owner,
                now=now,
                lease_seconds=self._config.lease_seconds,
                limit=limit,
            )

    def renew(self, ids: set[int]) -> set[int]:
        """Extend the lease of every row this cycle has yet to record; the ones still ours."""
        if not ids:
            return ids
        now = self._clock()
        with db.transaction(self._sessions) as s:
            kept = target_store.extend_leases(
                s,
                ids,
                owner=self._owner,
                statuses=WATCHED,
                lease_until=now + timedelta(seconds=self._config.lease_seconds),
            )
        if len(kept) < len(ids):
            log.info("poller: %d leases taken over during the cycle", len(ids) - len(kept))
        return kept

    def poll_chunk(self, region: str, part: Sequence[RequestTarget]) -> int:
        """Describe ≤100 ENIs and record the answers in one transaction; how many changed.

        EcsError (from the Describe) is raised before anything is recorded: `put_off` the rest.
        """
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
            if poll_is_unchanged(r, seen.get(r.eni_id), policy=self._policy, now=now)
        ]
        changed = 0
        with db.transaction(self._sessions) as s:
            _reschedule(s, quiet, seen, owner=self._owner, now=now, cap=cap)
            quiet_ids = {t.id for t in quiet}
            for target in (t for t in part if t.id not in quiet_ids):
                moved = record_poll(
                    s,
                    target=target,
                    owner=self._owner,
                    observed=seen.get(target.eni_id),
                    policy=self._policy,
                    now=now,
                    next_poll_at=now + timedelta(seconds=next_poll_delay(target.poll_count, cap)),
                )
                if moved is not None:
                    changed += 1
                    log.info(
                        "request %d: %s is now %s",
                        target.request_id,
                        target.eni_id,
                        moved,
                        extra={"request_id": target.request_id, "eni_id": target.eni_id},
                    )
        return changed

    def put_off(self, region: str, targets: Collection[RequestTarget], exc: EcsError) -> None:
        """ECS did not answer usefully: look again later, and say so once per request."""
        self._trouble[region] += 1
        cfg = self._config
        delay = max(
            cfg.poll_interval,
            capped_backoff(self._trouble[region], base=cfg.trouble_base, cap=cfg.trouble_cap),
        )
        log.warning(
            "describe failed region=%s code=%s requests=%d retry_in=%.1fs",
            region, exc.code, len(targets), delay,
        )  # fmt: skip
        now = self._clock()
        with db.transaction(self._sessions) as s:
            for target in targets:
                note_ecs_trouble(
                    s, target_id=target.id, code=exc.code, message=exc.message, now=now
                )
                release(
                    s,
                    target_id=target.id,
                    owner=self._owner,
                    retry_at=now + timedelta(seconds=delay),
                )

    def release(self, ids: Collection[int]) -> None:
        """Give leases back (shutdown)."""
        with db.transaction(self._sessions) as s:
            for target_id in ids:
                release(s, target_id=target_id, owner=self._owner)


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
        target_store.reschedule_targets(
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
