"""Races between real connections: double clicks, concurrent quorum, competing claimers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import decisions, execution, repository
from bot.requests.schemas import Outcome, Policy
from bot.requests.states import Status

from support.judges import anyone
from support.store import NOW, submit

T = TypeVar("T")


def _race(n: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` in n threads released together; return their results."""
    barrier = threading.Barrier(n)
    results: list[T | None] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return [r for r in results if r is not None]


@pytest.mark.parametrize("clicks", [2, 8])
def test_concurrent_approvals_approve_once(factory: sessionmaker[Session], clicks: int) -> None:
    req = submit(factory)

    def click(i: int) -> Outcome:
        with db.transaction(factory) as s:
            return decisions.approve(
                s,
                judge=anyone(),
                request_id=req.id,
                approver_id=f"UAPPR{i}",
                policy=Policy(),
                now=NOW,
            ).outcome

    outcomes = _race(clicks, click)
    assert outcomes.count(Outcome.APPROVED) == 1
    assert outcomes.count(Outcome.REFUSED) == clicks - 1
    with factory() as s:
        moves = [e for e in repository.events(s, req.id) if e.to_status == "approved"]
    assert len(moves) == 1


def test_concurrent_distinct_approvals_reach_quorum_of_two(
    factory: sessionmaker[Session],
) -> None:
    """Two approvers at the same instant must count each other (no lost quorum)."""
    policy = Policy(approvals_needed=2)
    req = submit(factory, policy=policy)

    def click(i: int) -> Outcome:
        with db.transaction(factory) as s:
            return decisions.approve(
                s,
                judge=anyone(),
                request_id=req.id,
                approver_id=f"UAPPR{i}",
                policy=policy,
                now=NOW,
            ).outcome

    outcomes = _race(2, click)
    assert sorted(outcomes) == sorted([Outcome.APPROVED, Outcome.RECORDED])
    with factory() as s:
        assert repository.get(s, req.id).state is Status.APPROVED  # type: ignore[union-attr]


def test_same_approver_twice_concurrently_counts_once(factory: sessionmaker[Session]) -> None:
    policy = Policy(approvals_needed=2)
    req = submit(factory, policy=policy)

    def click(_: int) -> Outcome:
        with db.transaction(factory) as s:
            return decisions.approve(
                s,
                judge=anyone(),
                request_id=req.id,
                approver_id="USAME",
                policy=policy,
                now=NOW,
            ).outcome

    outcomes = _race(4, click)
    assert outcomes.count(Outcome.RECORDED) == 1
    with factory() as s:
        assert repository.get(s, req.id).state is Status.PENDING  # type: ignore[union-attr]
        assert len(repository.approvals(s, req.id)) == 1


def test_competing_claimers_split_the_work(factory: sessionmaker[Session]) -> None:
    ids = []
    for i in range(30):
        req = submit(factory, eni=f"eni-bp1{i:017d}")
        with db.transaction(factory) as s:
            decisions.approve(
                s,
                judge=anyone(),
                request_id=req.id,
                approver_id="ULEAD",
                policy=Policy(),
                now=NOW,
            )
        ids.append(req.id)

    def claim(i: int) -> list[int]:
        got: list[int] = []
        while True:
            with db.transaction(factory) as s:
                batch = execution.claim_for_execution(
                    s, owner=f"W{i}", now=NOW, lease_seconds=60, limit=3
                )
            if not batch:
                return got
            got.extend(r.id for r in batch)

    claimed = _race(4, claim)
    flat = [rid for batch in claimed for rid in batch]
    assert sorted(flat) == sorted(ids)  # every request claimed, none twice


def test_concurrent_submissions_for_one_eni_store_one(factory: sessionmaker[Session]) -> None:
    def try_submit(_: int) -> str:
        try:
            submit(factory)
        except repository.OpenRequestExistsError:
            return "refused"
        return "stored"

    results = _race(6, try_submit)
    assert results.count("stored") == 1
    assert results.count("refused") == 5
