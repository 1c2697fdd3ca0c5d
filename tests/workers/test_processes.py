"""Worker processes killed at the worst moments, and several processes on one PostgreSQL.

Each scenario ends with the same two checks: the simulator accepted exactly one Detach per
request, and the Slack stand-in holds exactly one message per outbox row (per state change).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from workers.test_attach_flow import submit_attach

from bot import db
from bot.outbox.models import OutboxMessage
from bot.requests.schemas import Policy
from bot.sim.ecs.faults import FaultSpec
from bot.sim.slack.records import RecordedCall
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN

from support.stack import CHANNEL, INCIDENTS, SIM_KEY, SIM_SECRET, Servers, servers
from support.waiting import wait_until
from support.workers_env import (
    eni_id,
    make_world,
    request,
    statuses,
    submit_and_approve,
    submit_several,
    unsent,
)

WORKER_MAIN = Path(__file__).resolve().parents[1] / "support" / "worker_process.py"
LEASE = 3.0


@dataclass
class Cluster:
    """Servers, a database and the worker processes started on them."""

    url: str
    servers: Servers
    sessions: sessionmaker[Session]
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    policy: Policy = field(default_factory=lambda: Policy(incident_channel=INCIDENTS))

    def spawn(self, **options: float) -> subprocess.Popen[bytes]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "ENIBOT_DATABASE_URL": self.url,
            "ENIBOT_AUTO_MIGRATE": "false",
            "ENIBOT_ECS_ENDPOINT": self.servers.ecs.url,
            "ENIBOT_SLACK_API_URL": self.servers.slack.api_url,
            "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": SIM_KEY,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SIM_SECRET,
            "ENIBOT_POLL_INTERVAL": "0.2",
            "ENIBOT_STUCK_AFTER": "60",
            "ENIBOT_INCIDENT_CHANNEL": INCIDENTS,
            "ENIBOT_TEST_WORKER_OPTIONS": json.dumps({"lease_seconds": LEASE, **options}),
        }
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, str(WORKER_MAIN)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """kill -9, as a crash or host loss would."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def approve(self, numbers: Sequence[int]) -> list[int]:
        return submit_and_approve(self.sessions, self.policy, numbers)

    def wait_done(self, ids: Sequence[int], timeout: float = 60.0) -> None:
        wait_until(
            lambda: set(statuses(self.sessions, ids).values()) == {"detached"}, timeout=timeout
        )
        wait_until(lambda: unsent(self.sessions) == 0, timeout=timeout)

    def check_exactly_once(self, numbers: Sequence[int]) -> None:
        ecs = self.servers.ecs
        assert [ecs.calls.accepted_detaches(eni_id(n)) for n in numbers] == [1] * len(numbers)
        slack = self.servers.slack
        posted = [
            m.metadata["event_payload"]
            for channel in (CHANNEL, INCIDENTS)
            for m in slack.messages(channel, include_replies=True)
            if m.metadata
        ]
        seen = Counter(int(p["outbox_id"]) for p in posted)
        assert [k for k, n in seen.items() if n > 1] == []  # nothing posted twice
        with self.sessions() as s:
            rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind != "card_update"))
            for row in rows:
                assert row.sent_at is not None
                if row.last_error is None:  # not covered by a digest
                    assert seen[row.id] == 1, (row.id, row.kind)


@pytest.fixture
def cluster(sqlite_url: str, tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    made: list[tuple[Cluster, object]] = []

    def factory(count: int = 10, url: str | None = None, **world: Any) -> Cluster:
        database = url or sqlite_url
        db.upgrade(database)
        engine = db.make_engine(database)
        ctx = servers(make_world(count, **world), channels=[CHANNEL, INCIDENTS])
        srv = ctx.__enter__()
        made.append((Cluster(database, srv, db.session_factory(engine), tmp_path), ctx))
        return made[-1][0]

    yield factory
    for c, ctx in made:
        for proc in c.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        ctx.__exit__(None, None, None)  # type: ignore[attr-defined]


def test_sigterm_stops_the_worker_cleanly(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    proc = c.spawn()
    ids = c.approve([0])
    c.wait_done(ids)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def test_killed_after_claim_the_next_process_detaches_once(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    # The re-check after the claim hangs, so the kill lands between claim and Detach.
    c.servers.ecs.faults.add(
        FaultSpec(kind="latency", action="DescribeNetworkInterfaces", seconds=2.0, times=1)
    )
    ids = c.approve([1])
    first = c.spawn()
    wait_until(lambda: request(c.sessions, ids[0]).status == "executing")
    c.kill(first)
    c.spawn()
    c.wait_done(ids)
    c.check_exactly_once([1])


def test_killed_after_detach_sent_before_recorded_is_reconciled_not_resent(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    # ECS holds the Detach for 1.5 s (it is applied then); the sender dies meanwhile.
    c.servers.ecs.faults.add(
        FaultSpec(kind="latency", action="DetachNetworkInterface", seconds=1.5, times=1)
    )
    ids = c.approve([2])
    first = c.spawn()
    wait_until(lambda: request(c.sessions, ids[0]).target.intent_at is not None)
    c.kill(first)
    c.spawn()
    c.wait_done(ids)
    assert c.servers.ecs.calls.total("DetachNetworkInterface") == 1
    c.check_exactly_once([2])
    assert request(c.sessions, ids[0]).status == "detached"


def test_killed_while_detaching_the_next_process_finishes_the_watch(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster(detach_delay=2.0)
    ids = c.approve([3, 4])
    first = c.spawn()
    wait_until(lambda: set(statuses(c.sessions, ids).values()) == {"detaching"})
    c.kill(first)
    c.spawn()
    c.wait_done(ids)
    c.check_exactly_once([3, 4])


def test_killed_between_slack_post_and_record_does_not_post_twice(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    ids = c.approve([5])
    first = c.spawn()
    killed = threading.Event()

    def on_call(call: RecordedCall) -> None:
        # Runs before the stand-in answers: the worker dies with the post made, unrecorded.
        text = str(call.params.get("text") or "")
        wanted = call.method == "chat.postMessage" and call.ok and "Detach sent" in text
        if wanted and not killed.is_set():
            killed.set()
            os.kill(first.pid, signal.SIGKILL)

    c.servers.slack.subscribe(on_call)
    wait_until(killed.is_set)
    first.wait(10)
    c.spawn()
    c.wait_done(ids)
    c.check_exactly_once([5])
    assert c.servers.slack.calls("conversations.replies")  # it looked before re-sending


@pytest.mark.slow
def test_three_processes_on_postgresql_detach_each_request_once(
    cluster: Callable[..., Cluster], postgres_url: str
) -> None:
    count = 300
    c = cluster(count, url=postgres_url, detach_delay=0.5)
    for _ in range(3):
        c.spawn()
    ids = c.approve(range(count))
    c.wait_done(ids, timeout=240)
    c.check_exactly_once(range(count))


def test_killed_in_the_middle_of_a_20_eni_request_detaches_each_once_with_one_finishing_reply(
    cluster: Callable[..., Cluster],
) -> None:
    """kill -9 while some of a bulk request's ENIs are in flight, some sent, some waiting."""
    c = cluster(count=20, detach_delay=0.8)
    # The fifth Detach is held on the wire when the worker dies: unknown outcome, reconciled.
    c.servers.ecs.faults.add(
        FaultSpec(kind="latency", action="DetachNetworkInterface", seconds=1.5, times=1)
    )
    rid = submit_several(c.sessions, c.policy, range(20))
    first = c.spawn()
    wait_until(
        lambda: sum(c.servers.ecs.calls.accepted_detaches(eni_id(n)) for n in range(20)) >= 4
    )
    c.kill(first)
    c.spawn()
    c.wait_done([rid], timeout=90)
    c.check_exactly_once(list(range(20)))
    card_ts = request(c.sessions, rid).card_ts
    assert card_ts is not None
    replies = [m.text for m in c.servers.slack.thread(CHANNEL, card_ts)]
    finishing = [t for t in replies if "20 of 20 Available" in t]
    assert len(finishing) == 1, replies


def test_killed_between_the_attach_and_its_record_attaches_once_with_one_attached_reply(
    cluster: Callable[..., Cluster],
) -> None:
    """CONTRACT: a kill -9 between the Attach and its record ends with one Attach and one
    "Attached" reply (the next process settles the unanswered call with a Describe)."""
    c = cluster(count=4, available=[3])
    c.servers.ecs.faults.add(
        FaultSpec(kind="latency", action="AttachNetworkInterface", seconds=1.5, times=1)
    )
    rid = submit_attach(c.sessions, c.policy, [3])
    first = c.spawn()
    wait_until(lambda: request(c.sessions, rid).target.intent_at is not None)
    c.kill(first)
    c.spawn()
    wait_until(lambda: request(c.sessions, rid).status == "attached", timeout=60)
    wait_until(lambda: unsent(c.sessions) == 0, timeout=60)
    assert c.servers.ecs.calls.total("AttachNetworkInterface") == 1
    assert c.servers.ecs.calls.accepted_attaches(eni_id(3)) == 1
    card_ts = request(c.sessions, rid).card_ts
    assert card_ts is not None
    replies = [m.text for m in c.servers.slack.thread(CHANNEL, card_ts)]
    assert len([t for t in replies if t.startswith("Attached:")]) == 1, replies
