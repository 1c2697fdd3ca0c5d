"""Replicas whose host clocks disagree by minutes still share leases fairly (SQLite, PostgreSQL).

Two sets of workers on one database stand for two hosts: one whose clock runs five minutes
ahead, one five minutes behind. Computed with host clocks, the behind host's live leases look
long expired to the ahead host (it steals them), and the ahead host's leases look ten minutes
longer to the behind one (a dead holder's rows wait that long). Lease times must come from the
database's clock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import update

from bot import db
from bot.bootstrap import build_workers
from bot.ecs.client import DESCRIBE_ENIS
from bot.requests.models import RequestTarget
from bot.sim.ecs.faults import FaultSpec
from bot.workers import Workers
from bot.workers.poller import PollerConfig, PollStats

from support.stack import FAST, Stack, StackFactory
from support.waiting import wait_until
from support.workers_env import make_world, request, statuses, submit_and_approve

SKEW = timedelta(minutes=5)
STALL = 2.0  # seconds a Describe takes while a host holds the rows (under the client timeout)


def _on_host(bot: Stack, skew: timedelta, *, lease: float = 30.0) -> Workers:
    """Unstarted workers on a host whose clock is `skew` off (same database, same servers)."""
    runtime = replace(bot.runtime, clock=lambda: db.utcnow() + skew)
    poller = PollerConfig(poll_interval=0.2, lease_seconds=lease)
    return build_workers(runtime, replace(FAST, lease_seconds=None, poller=poller))


def _detaching(bot: Stack, count: int) -> list[int]:
    """Requests whose Detach was sent and whose poll is due on any host's clock."""
    sessions = bot.runtime.sessions
    ids = submit_and_approve(sessions, bot.runtime.policy, range(count))
    executor = _on_host(bot, timedelta(0)).executor
    while executor.run_once():
        pass
    assert set(statuses(sessions, ids).values()) == {"detaching"}
    with db.transaction(sessions) as s:
        s.execute(
            update(RequestTarget)
            .where(RequestTarget.request_id.in_(ids))
            .values(next_poll_at=db.utcnow() - 2 * SKEW)
        )
    return ids


def _polling(workers: Workers) -> tuple[threading.Thread, list[PollStats]]:
    """One poll cycle of `workers` in a thread (it stalls on the slow Describe)."""
    cycle: list[PollStats] = []
    thread = threading.Thread(target=lambda: cycle.append(workers.poller.run_once()))
    thread.start()
    return thread, cycle


def test_a_host_ahead_does_not_steal_the_live_leases_of_a_host_behind(
    make_bot: StackFactory, db_url: str
) -> None:
    bot = make_bot(make_world(4, detach_delay=60.0), database_url=db_url)
    ahead, behind = _on_host(bot, SKEW), _on_host(bot, -SKEW)
    ids = _detaching(bot, 2)
    bot.ecs.faults.add(FaultSpec(kind="latency", action=DESCRIBE_ENIS, seconds=STALL))
    thread, cycle = _polling(behind)  # the host behind claims both rows, then waits on ECS
    try:
        wait_until(lambda: all(request(bot.runtime.sessions, r).target.lease_owner for r in ids), 5)
        assert ahead.poller.run_once().claimed == 0
    finally:
        thread.join(15)
    assert cycle and cycle[0].claimed == len(ids)


def test_a_host_behind_takes_over_from_a_stalled_host_once_its_lease_is_over(
    make_bot: StackFactory, db_url: str
) -> None:
    bot = make_bot(make_world(4, detach_delay=60.0), database_url=db_url)
    ahead, behind = _on_host(bot, SKEW, lease=0.5), _on_host(bot, -SKEW)
    ids = _detaching(bot, 2)
    bot.ecs.faults.add(FaultSpec(kind="latency", action=DESCRIBE_ENIS, seconds=STALL))
    thread, _ = _polling(ahead)  # the host ahead claims both rows and stalls past its lease
    taken = 0
    try:
        wait_until(lambda: all(request(bot.runtime.sessions, r).target.lease_owner for r in ids), 5)
        while not taken and thread.is_alive():
            taken = behind.poller.run_once().claimed
            time.sleep(0.05)
    finally:
        thread.join(15)
    # Taken over while the stalled host still waited: after its 0.5 s lease, not ten minutes.
    assert taken == len(ids)
