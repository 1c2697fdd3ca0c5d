"""The poller: one DescribeNetworkInterfaces per region per ≤100 ENIs, never one per ENI.

It claims the in-flight and stuck targets (of every request) whose next look is due, groups
them by region, and hands the watch use case (`bot.requests.watching.TargetWatch`) one chunk of
≤100 ENIs (the API's limit) at a time, which asks ECS and records the chunk's answers in one
transaction (posting only when the state changed).

A cycle may last longer than its lease (many regions, a slow ECS): before each Describe the
poller renews the lease of every row it still has to record, in one UPDATE, and drops those
that are no longer its own. Otherwise another poller would claim the rows still waiting, and
each would throw the other's answers away (every write is guarded by the lease).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.ecs.errors import EcsError
from bot.requests.models import RequestTarget
from bot.requests.ports import MAX_IDS_PER_CALL, SYSTEM_CLOCK, Ecs
from bot.requests.schemas import Policy
from bot.requests.watching import TargetWatch, WatchConfig

__all__ = ["PollStats", "Poller", "PollerConfig"]


@dataclass(frozen=True)
class PollerConfig(WatchConfig):
    """The use case's leases and waits, and how many targets one claim and one Describe take."""

    batch: int = 1000  # targets per claim: ten Describe calls per region at most
    chunk: int = MAX_IDS_PER_CALL  # ENIs per Describe; its answers are recorded in one transaction


@dataclass
class PollStats:
    """What one cycle did (benchmarks and logs)."""

    claimed: int = 0
    regions: int = 0
    changed: int = 0
    troubled: int = 0


class Poller:
    """Claims due in-flight/stuck targets and has their ENIs' answers recorded, chunk by chunk."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: Ecs,
        policy: Policy,
        owner: str,
        config: PollerConfig | None = None,
        clock: Callable[[], datetime] = SYSTEM_CLOCK,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._config = config or PollerConfig()
        self._on_change = on_change or (lambda: None)
        self._watch = TargetWatch(
            sessions=sessions,
            ecs=ecs,
            policy=policy,
            owner=owner,
            config=self._config,
            clock=clock,
        )

    def run_once(self) -> PollStats:
        """Claim one batch of due targets and poll them, one Describe per region per 100."""
        stats = PollStats()
        claimed = self._watch.claim(self._config.batch)
        stats.claimed = len(claimed)
        by_region: dict[str, list[RequestTarget]] = defaultdict(list)
        for target in claimed:
            by_region[target.region].append(target)
        stats.regions = len(by_region)
        waiting = {t.id for t in claimed}  # ours, not yet recorded
        size = max(1, min(self._config.chunk, MAX_IDS_PER_CALL))
        fresh = True  # the claim has just set every lease
        for region, targets in by_region.items():
            for start in range(0, len(targets), size):
                if not fresh:
                    waiting = self._watch.renew(waiting)
                fresh = False
                part = [t for t in targets[start : start + size] if t.id in waiting]
                if not part:
                    continue
                try:
                    stats.changed += self._watch.poll_chunk(region, part)
                except EcsError as exc:
                    # The rest of the region waits for a later cycle, with the same back-off.
                    rest = [t for t in targets[start:] if t.id in waiting]
                    self._watch.put_off(region, rest, exc)
                    stats.troubled += len(rest)
                    waiting.difference_update(t.id for t in rest)
                    break
                waiting.difference_update(t.id for t in part)
        if stats.changed:
            self._on_change()
        return stats

    def release(self, ids: Sequence[int]) -> None:
        """Give leases back (shutdown)."""
        self._watch.release(ids)
