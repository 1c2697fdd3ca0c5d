"""The transition table, checked pair by pair against the store."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import repository, service
from bot.requests.models import DetachRequest
from bot.requests.states import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    IllegalTransitionError,
    Status,
    can_move,
)

from support.store import NOW, submit


def test_terminal_states_have_no_way_out_and_open_ones_do() -> None:
    assert {Status.DETACHED, Status.FAILED, Status.REJECTED, Status.EXPIRED, Status.CANCELLED} == (
        TERMINAL
    )
    assert all(TRANSITIONS[s] for s in OPEN)
    assert set(TRANSITIONS) == set(Status)


def test_design_moves_are_allowed() -> None:
    allowed = {(a, b) for a, nxt in TRANSITIONS.items() for b in nxt}
    for pair in [
        ("pending", "approved"),
        ("approved", "executing"),
        ("executing", "detaching"),
        ("detaching", "detached"),
        ("detaching", "stuck"),
        ("stuck", "executing"),
        ("pending", "rejected"),
        ("pending", "expired"),
        ("pending", "cancelled"),
        ("approved", "cancelled"),
        ("executing", "failed"),
        ("detaching", "failed"),
        ("stuck", "failed"),
    ]:
        assert (Status(pair[0]), Status(pair[1])) in allowed


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
            if can_move(source, target):
                result = service.transition(
                    s,
                    request_id=req.id,
                    expected=source,
                    target=target,
                    actor="UTEST",
                    now=NOW,
                    policy=service.Policy(),
                )
                assert result.ok, (source, target)
                assert len(repository.events(s, req.id)) == before + 1
            else:
                with pytest.raises(IllegalTransitionError):
                    service.transition(
                        s,
                        request_id=req.id,
                        expected=source,
                        target=target,
                        actor="UTEST",
                        now=NOW,
                        policy=service.Policy(),
                    )
        with factory() as s:
            now_status = repository.get(s, req.id).state  # type: ignore[union-attr]
        assert now_status is (target if can_move(source, target) else source)


def test_compare_and_swap_loses_when_state_moved_on(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    _force(factory, req.id, Status.CANCELLED)
    with db.transaction(factory) as s:
        result = service.transition(
            s,
            request_id=req.id,
            expected=Status.PENDING,
            target=Status.APPROVED,
            actor="U",
            now=NOW,
            policy=service.Policy(),
        )
    assert not result.ok
    assert result.request is not None
    assert result.request.state is Status.CANCELLED
