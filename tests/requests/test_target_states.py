"""Target moves against a table written out by hand, and the request's roll-up from them."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.requests.states import (
    EXECUTION,
    TARGET_ACTIVE,
    TARGET_OPEN,
    TARGET_TERMINAL,
    Status,
    TargetStatus,
    can_move,
    can_move_target,
    roll_up,
)

ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("queued", "sending"),
        ("queued", "skipped"),
        ("sending", "in_flight"),
        ("sending", "failed"),
        ("in_flight", "done"),
        ("in_flight", "stuck"),
        ("in_flight", "failed"),
        ("stuck", "sending"),  # retried
        ("stuck", "done"),
        ("stuck", "failed"),
    }
)
EVERY = ("queued", "sending", "in_flight", "done", "stuck", "failed", "skipped")


def test_the_target_statuses_are_exactly_the_stored_values() -> None:
    assert sorted(s.value for s in TargetStatus) == sorted(EVERY)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(EVERY, repeat=2)))
def test_every_target_pair_is_allowed_exactly_when_the_written_table_says(
    source: str, target: str
) -> None:
    assert can_move_target(TargetStatus(source), TargetStatus(target)) is (
        (source, target) in ALLOWED
    )


def test_open_terminal_and_active_targets() -> None:
    assert {s.value for s in TARGET_TERMINAL} == {"done", "failed", "skipped"}
    assert {s.value for s in TARGET_OPEN} == {"queued", "sending", "in_flight", "stuck"}
    assert {s.value for s in TARGET_ACTIVE} == {"queued", "sending", "in_flight"}


# One ENI: the request's status is exactly 0.1's, step by step.
@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        ("approved", "queued", "approved"),
        ("approved", "sending", "executing"),
        ("executing", "sending", "executing"),
        ("executing", "in_flight", "detaching"),
        ("executing", "failed", "failed"),
        ("detaching", "done", "detached"),
        ("detaching", "stuck", "stuck"),
        ("detaching", "failed", "failed"),
        ("stuck", "sending", "executing"),
        ("stuck", "done", "detached"),
        ("stuck", "failed", "failed"),
    ],
)
def test_one_target_rolls_up_to_the_01_status(current: str, target: str, expected: str) -> None:
    assert roll_up(Status(current), [TargetStatus(target)]) is Status(expected)


@pytest.mark.parametrize("current", ["pending", "rejected", "expired", "cancelled", "detached"])
def test_a_request_outside_execution_never_follows_its_targets(current: str) -> None:
    assert roll_up(Status(current), [TargetStatus.DONE]) is Status(current)


def test_several_targets() -> None:
    q, s, f, d, k, x, sk = (
        TargetStatus.QUEUED,
        TargetStatus.SENDING,
        TargetStatus.IN_FLIGHT,
        TargetStatus.DONE,
        TargetStatus.STUCK,
        TargetStatus.FAILED,
        TargetStatus.SKIPPED,
    )
    assert roll_up(Status.EXECUTING, [s, q, q]) is Status.EXECUTING
    assert roll_up(Status.EXECUTING, [f, q, q]) is Status.DETACHING
    # Between batches nothing is in flight, but the request stays detaching (no flapping).
    assert roll_up(Status.DETACHING, [d, q, q]) is Status.DETACHING
    assert roll_up(Status.DETACHING, [d, d, d]) is Status.DETACHED
    assert roll_up(Status.DETACHING, [d, x, d]) is Status.FAILED
    assert roll_up(Status.DETACHING, [d, x, sk]) is Status.FAILED
    assert roll_up(Status.DETACHING, [d, k, f]) is Status.DETACHING  # stuck waits for the rest
    assert roll_up(Status.DETACHING, [d, k, x]) is Status.STUCK  # stuck keeps it open
    assert roll_up(Status.STUCK, [d, s, x]) is Status.EXECUTING  # the stuck one retried


statuses = st.lists(st.sampled_from(list(TargetStatus)), min_size=1, max_size=12)


def _executing(operation: str, *, approved: bool = True) -> list[Status]:
    """The statuses a request doing `operation` can be in while it executes."""
    other = Status.ATTACHING if operation == "detach" else Status.DETACHING
    return sorted(EXECUTION - {other} - (set() if approved else {Status.APPROVED}))


@given(data=st.data(), operation=st.sampled_from(["detach", "attach"]), targets=statuses)
def test_roll_up_only_makes_allowed_moves(
    data: st.DataObject, operation: str, targets: list[TargetStatus]
) -> None:
    current = data.draw(st.sampled_from(_executing(operation)))
    after = roll_up(current, targets, operation)
    assert after is current or can_move(current, after), (current, after, targets)
    wrong = {"detach": Status.ATTACHED, "attach": Status.DETACHED}[operation]
    assert after not in (wrong, {"detach": Status.ATTACHING, "attach": Status.DETACHING}[operation])


# Once executing: an approved request first moves to executing (its first target is sent).
@given(data=st.data(), operation=st.sampled_from(["detach", "attach"]), targets=statuses)
def test_a_request_is_finished_exactly_when_no_target_is_on_its_way_or_stuck(
    data: st.DataObject, operation: str, targets: list[TargetStatus]
) -> None:
    current = data.draw(st.sampled_from(_executing(operation, approved=False)))
    after = roll_up(current, targets, operation)
    done = {"detach": Status.DETACHED, "attach": Status.ATTACHED}[operation]
    finished = all(t in TARGET_TERMINAL for t in targets)
    assert (after in (done, Status.FAILED)) is finished
    if after is done:
        assert set(targets) == {TargetStatus.DONE}


def test_an_attach_rolls_up_through_attaching_to_attached() -> None:
    assert roll_up(Status.EXECUTING, [TargetStatus.IN_FLIGHT], "attach") is Status.ATTACHING
    assert roll_up(Status.ATTACHING, [TargetStatus.DONE], "attach") is Status.ATTACHED
    assert roll_up(Status.ATTACHING, [TargetStatus.STUCK], "attach") is Status.STUCK
    assert roll_up(Status.STUCK, [TargetStatus.DONE], "attach") is Status.ATTACHED
