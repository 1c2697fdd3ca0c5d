"""The transition table against one written out by hand: every pair, in memory and stored."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import repository, schemas, transition
from bot.requests.models import DetachRequest
from bot.requests.states import (
    IN_FLIGHT,
    OPEN,
    TERMINAL,
    TRANSITIONS,
    IllegalTransitionError,
    Status,
    can_move,
)

from support.store import NOW, submit

# The moves a request may make (the diagram in bot/requests/states.py), written out by hand,
# not read from the module under test: a move added to or dropped from TRANSITIONS fails here.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("pending", "approved"),
        ("pending", "rejected"),
        ("pending", "expired"),
        ("pending", "cancelled"),
        ("approved", "executing"),
        ("approved", "cancelled"),
        ("executing", "detaching"),
        ("executing", "failed"),
        ("executing", "stuck"),  # a retried ENI failed; the request's other ENIs are stuck
        ("executing", "detached"),  # every ENI found detached already
        # Attach (0.2): the same moves through attaching to attached.
        ("executing", "attaching"),
        ("executing", "attached"),
        ("attaching", "attached"),
        ("attaching", "stuck"),
        ("attaching", "failed"),
        ("stuck", "attached"),
        ("detaching", "detached"),
        ("detaching", "stuck"),
        ("detaching", "failed"),
        ("stuck", "executing"),  # re-initiated
        ("stuck", "detached"),  # finished on its own after all
        ("stuck", "failed"),
    }
)
EVERY_STATUS = (
    "pending",
    "approved",
    "executing",
    "detaching",
    "detached",
    "attaching",
    "attached",
    "stuck",
    "failed",
    "rejected",
    "expired",
    "cancelled",
)
EXPECTED_TERMINAL = {"detached", "attached", "failed", "rejected", "expired", "cancelled"}
EXPECTED_OPEN = {"pending", "approved", "executing", "detaching", "attaching", "stuck"}
EXPECTED_IN_FLIGHT = {"executing", "detaching", "attaching", "stuck"}  # the workers' own statuses


def test_the_statuses_are_exactly_the_stored_values() -> None:
    assert sorted(s.value for s in Status) == sorted(EVERY_STATUS)
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(EVERY_STATUS, repeat=2)))
def test_every_pair_is_allowed_exactly_when_the_written_table_says(
    source: str, target: str
) -> None:
    expected = (source, target) in ALLOWED
    assert can_move(Status(source), Status(target)) is expected
    assert (Status(target) in TRANSITIONS[Status(source)]) is expected


def test_terminal_open_and_in_flight_sets() -> None:
    assert {s.value for s in TERMINAL} == EXPECTED_TERMINAL
    assert {s.value for s in OPEN} == EXPECTED_OPEN
    assert {s.value for s in IN_FLIGHT} == EXPECTED_IN_FLIGHT
    # Terminal: no way out; open: at least one; every in-flight status is open.
    assert all(not any((s, t) in ALLOWED for t in EVERY_STATUS) for s in EXPECTED_TERMINAL)
    assert all(any((s, t) in ALLOWED for t in EVERY_STATUS) for s in EXPECTED_OPEN)
    assert EXPECTED_IN_FLIGHT <= EXPECTED_OPEN


def _force(factory: sessionmaker[Session], request_id: int, status: Status) -> None:
    with db.transaction(factory) as s:
        s.execute(
            update(DetachRequest).where(DetachRequest.id == request_id).values(status=status.value)
        )


def test_every_pair_against_the_table(factory: sessionmaker[Session]) -> None:
    """Allowed pairs move and leave one audit row; the rest raise and change nothing."""
    req = submit(factory)
    for source, target in itertools.product(Status, Status):
        _force(factory, req.id, source)
        with db.transaction(factory) as s:
            before = len(repository.events(s, req.id))
            allowed = (source.value, target.value) in ALLOWED
            if allowed:
                result = transition.transition(
                    s,
                    request_id=req.id,
                    expected=source,
                    target=target,
                    actor="UTEST",
                    now=NOW,
                    policy=schemas.Policy(),
                )
                assert result.ok, (source, target)
                assert len(repository.events(s, req.id)) == before + 1
            else:
                with pytest.raises(IllegalTransitionError):
                    transition.transition(
                        s,
                        request_id=req.id,
                        expected=source,
                        target=target,
                        actor="UTEST",
                        now=NOW,
                        policy=schemas.Policy(),
                    )
        with factory() as s:
            now_status = repository.get(s, req.id).state  # type: ignore[union-attr]
        assert now_status is (target if allowed else source)


def test_compare_and_swap_loses_when_state_moved_on(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    _force(factory, req.id, Status.CANCELLED)
    with db.transaction(factory) as s:
        result = transition.transition(
            s,
            request_id=req.id,
            expected=Status.PENDING,
            target=Status.APPROVED,
            actor="U",
            now=NOW,
            policy=schemas.Policy(),
        )
    assert not result.ok
    assert result.request is not None
    assert result.request.state is Status.CANCELLED
