"""What counts as the bot being at work, for the wait after each script line."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.console.settle import Activity, CountingExecutor, busy_work
from bot.outbox.models import OutboxMessage
from bot.requests.models import DetachRequest
from bot.sim.slack.records import RecordedCall

from support import store
from support.clock import Clock


def test_slack_calls_and_listener_work_restart_the_quiet_spell() -> None:
    clock = Clock()
    activity = Activity(clock.monotonic)
    clock.advance(5)
    assert activity.quiet_for() == 5
    activity.slack_call(RecordedCall("chat.postMessage", {}, {}, 0.0))
    assert activity.quiet_for() == 0
    assert activity.slack_calls == 1
    activity.work_started()
    clock.advance(3)
    assert activity.quiet_for() == 0  # a listener is still at work
    activity.work_finished()
    clock.advance(1)
    assert activity.quiet_for() == 1


def test_an_ecs_call_counts_only_while_it_lasts() -> None:
    # The poller asks about stuck ENIs again and again; that must not keep a script waiting.
    clock = Clock()
    activity = Activity(clock.monotonic)
    clock.advance(2)
    activity.work_started(mark=False)
    assert activity.quiet_for() == 0
    activity.work_finished(mark=False)
    assert activity.quiet_for() == 2


def test_the_counting_executor_reports_work_until_the_function_returns() -> None:
    clock = Clock()
    activity = Activity(clock.monotonic)
    seen: list[float] = []

    def listener() -> int:
        seen.append(activity.quiet_for())
        return 7

    with ThreadPoolExecutor(1) as base:
        executor = CountingExecutor(base, activity)
        future = executor.submit(listener)
        assert future.result(timeout=5) == 7
        executor.shutdown()
    assert seen == [0.0]
    assert activity.quiet_for() == 0.0  # just finished
    clock.advance(1)
    assert activity.quiet_for() == 1


@pytest.mark.parametrize(
    ("status", "busy"),
    [
        ("approved", True),
        ("executing", True),
        ("detaching", True),
        ("attaching", True),  # 0.2: an attach request's polls are the workers' too
        ("pending", False),  # waits for a person
        ("stuck", False),
        ("attached", False),
    ],
)
def test_a_script_waits_for_requests_the_workers_move_on_their_own(
    sqlite_sessions: sessionmaker[Session], status: str, busy: bool
) -> None:
    request = store.submit(sqlite_sessions, now=db.utcnow())
    with db.transaction(sqlite_sessions) as session:
        session.execute(
            update(DetachRequest).where(DetachRequest.id == request.id).values(status=status)
        )
        session.execute(update(OutboxMessage).values(sent_at=db.utcnow()))
    said = busy_work(sqlite_sessions)
    assert (said == f"request #{request.id} is {status}") is busy, said
    assert (said is None) is not busy, said
