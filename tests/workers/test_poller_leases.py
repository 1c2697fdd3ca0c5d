"""The poller keeps its leases through a cycle longer than one lease (slow ECS, many regions).

A poller claims every due row at once, then Describes region by region. When ECS is slow the
cycle outlasts the lease; unless the poller renews as it goes, another poller claims the rows
still waiting and each throws the other's answers away (their writes are lease-guarded).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from bot import db
from bot.bootstrap import build_workers
from bot.ecs.client import DESCRIBE_ENIS
from bot.requests import decisions, schemas
from bot.sim.ecs.faults import FaultSpec
from bot.sim.ecs.fixture import build_world, parse_world
from bot.workers.poller import PollerConfig, PollStats

from support.stack import CHANNEL, FAST, REQUESTER, Stack, StackFactory
from support.waiting import wait_until
from support.workers_env import approve_all, request, statuses

REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing")
LEASE = 1.0  # seconds; each Describe takes LATENCY, the cycle len(REGIONS) × LATENCY
LATENCY = 0.6


def _world() -> dict[str, Any]:
    """Two InUse secondary ENIs on one running instance in each region."""
    return {
        "detach_delay": 0.1,
        "regions": [{"id": r} for r in REGIONS],
        "instances": [{"id": f"i-test{k:05d}", "region": r} for k, r in enumerate(REGIONS)],
        "network_interfaces": [
            {
                "id": f"eni-test{k:02d}{n:04d}",
                "region": r,
                "status": "InUse",
                "instance_id": f"i-test{k:05d}",
                "device_index": 1 + n,
            }
            for k, r in enumerate(REGIONS)
            for n in range(2)
        ],
    }


def _submit_all(bot: Stack) -> list[int]:
    sessions, policy = bot.runtime.sessions, bot.runtime.policy
    ids: list[int] = []
    with db.transaction(sessions) as s:
        for k, region in enumerate(REGIONS):
            for n in range(2):
                new = schemas.NewRequest(
                    region=region,
                    requester_id=REQUESTER,
                    channel_id=CHANNEL,
                    reason="rotate",
                    targets=(
                        schemas.NewTarget(
                            eni_id=f"eni-test{k:02d}{n:04d}", instance_id=f"i-test{k:05d}"
                        ),
                    ),
                )
                ids.append(decisions.submit(s, new=new, policy=policy, now=db.utcnow()).id)
    approve_all(sessions, policy, ids)
    return ids


def test_a_cycle_slower_than_the_lease_keeps_its_rows_and_records_its_answers(
    make_bot: StackFactory, db_url: str
) -> None:
    bot = make_bot(build_world(parse_world(_world())), database_url=db_url)
    sessions = bot.runtime.sessions
    options = replace(
        FAST, lease_seconds=None, poller=PollerConfig(poll_interval=0.2, lease_seconds=LEASE)
    )
    here, there = build_workers(bot.runtime, options), build_workers(bot.runtime, options)
    ids = _submit_all(bot)
    while here.executor.run_once():
        pass
    assert set(statuses(sessions, ids).values()) == {"detaching"}
    time.sleep(0.3)  # first poll due (FAST: 0.2 s after the Detach)
    bot.ecs.faults.add(FaultSpec(kind="latency", action=DESCRIBE_ENIS, seconds=LATENCY, times=None))

    cycle: list[PollStats] = []
    poll = threading.Thread(target=lambda: cycle.append(here.poller.run_once()))
    began = time.monotonic()
    poll.start()
    wait_until(lambda: all(request(sessions, rid).target.lease_owner for rid in ids))
    taken = 0
    while poll.is_alive():  # another replica's poller tries all along
        taken += there.poller.run_once().claimed
        time.sleep(0.05)
    poll.join()
    took = time.monotonic() - began

    assert took > LEASE * 1.5, took  # the cycle did outlast its lease
    assert taken == 0
    assert cycle[0].claimed == len(ids) and cycle[0].changed == len(ids)
    wait_until(lambda: set(statuses(sessions, ids).values()) == {"detached"}, timeout=5)
