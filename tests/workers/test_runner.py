"""The runner: what its threads do together (retention, lease owners, clocks)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.bootstrap import build_workers
from bot.ecs.client import DESCRIBE_ENIS
from bot.outbox.models import OutboxMessage
from bot.outbox.retention import RetentionConfig
from bot.sim.ecs.faults import FaultSpec
from bot.workers.poller import PollerConfig, PollStats

from support.stack import FAST, StackFactory
from support.waiting import wait_until
from support.workers_env import eni_id, make_world, request, statuses, submit_and_approve, unsent


def test_workers_delete_old_sent_outbox_rows_and_keep_the_rest(make_bot: StackFactory) -> None:
    bot = make_bot(outbox_retention_days=30)
    sessions = bot.runtime.sessions
    ids = submit_and_approve(sessions, bot.runtime.policy, [1, 2], approve=False)
    with db.transaction(sessions) as s:  # the first request's card went out long ago
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.request_id == ids[0])
            .values(sent_at=db.utcnow() - timedelta(days=31), slack_ts="1700000000.000100")
        )
    assert unsent(sessions) == 1
    bot.start_workers(replace(FAST, enable=frozenset({"retention"}), retention_sweep=0.05))

    def rows() -> int:
        with db.read(sessions) as s:
            return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)

    wait_until(lambda: rows() == 1)
    assert unsent(sessions) == 1  # the unsent card of the second request is still there


def test_retention_days_come_from_the_settings(make_bot: StackFactory) -> None:
    bot = make_bot(outbox_retention_days=7)
    workers = bot.start_workers(replace(FAST, enable=frozenset()))
    assert workers.retention.config == RetentionConfig(days=7)


def _lease(sessions: sessionmaker[Session], rid: int) -> tuple[str | None, datetime | None]:
    found = request(sessions, rid)
    return found.target.lease_owner, found.target.lease_until


def test_the_executor_cannot_release_a_lease_its_own_process_poller_holds(
    make_bot: StackFactory,
) -> None:
    """With one owner per process, an executor coming late to a row it once claimed takes it.

    The executor claims A and B, and is slow on A, so B's lease runs out; another replica
    detaches B, and this process's poller claims B to look at it. When the executor reaches B
    its lease check passes (same owner), it sees B is no longer executing and releases "its"
    lease: the poller's, in the middle of a Describe, so any other poller may take B and this
    poller's answer is thrown away.
    """
    bot = make_bot(make_world(4, detach_delay=0.1))
    sessions = bot.runtime.sessions
    options = replace(
        FAST,
        lease_seconds=None,
        # One target after the other (a batch larger than the executor's threads does this).
        executor=replace(FAST.executor, lease_seconds=1.0, parallel=1),
        poller=PollerConfig(poll_interval=0.2, lease_seconds=30.0),
    )
    here, there = build_workers(bot.runtime, options), build_workers(bot.runtime, options)
    a, b = submit_and_approve(sessions, bot.runtime.policy, [1, 2])
    polled: list[PollStats] = []
    poll = threading.Thread(target=lambda: polled.append(here.poller.run_once()))
    poller_owner: list[str] = []
    calls = iter(range(10))

    def meanwhile() -> bool:
        """Runs before each request of the executor's batch; before B, the world moves on."""
        if next(calls) != 1:
            return False
        assert request(sessions, a).status == "detaching"
        wait_until(lambda: (until := _lease(sessions, b)[1]) is not None and until < db.utcnow())
        assert there.executor.run_once() == 1  # the other replica takes B and detaches it
        assert request(sessions, b).status == "detaching"
        wait_until(lambda: (due := request(sessions, b).target.next_poll_at) and due <= db.utcnow())
        bot.ecs.faults.add(FaultSpec(kind="latency", action=DESCRIBE_ENIS, seconds=2.0))
        poll.start()  # this process's poller claims A and B, then waits on a slow Describe
        owner = wait_until(lambda: _lease(sessions, b)[0])
        poller_owner.append(owner)
        return False

    assert here.executor.run_once(should_stop=meanwhile) == 2
    assert poller_owner, "the executor never reached B"
    owner, until = _lease(sessions, b)
    assert owner == poller_owner[0] and until is not None and until > db.utcnow()
    assert there.poller.run_once().claimed == 0  # nobody takes B from the poller meanwhile
    poll.join(15)
    assert polled and polled[0].changed == 2  # and the poller's answers were recorded
    assert statuses(sessions, [a, b]) == {a: "detached", b: "detached"}
    assert bot.ecs.calls.accepted_detaches(eni_id(2)) == 1
