"""Hypothesis drives random sequences of people and workers; the store must stay consistent.

Whatever the order of approve/reject/cancel/expire/claim/detach/poll/retry events: every status
change is an allowed move with exactly one audit row, the audit trail chains, and a request is
never sent to ECS more often than it was legitimately (re)initiated.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.requests import decisions, execution, polling, repository, schemas, setbacks, target_store
from bot.requests.states import Status, TargetStatus, can_move

from support.judges import anyone
from support.store import NOW, new_request

POLICY = schemas.Policy(approvals_needed=2, approval_ttl=600, stuck_after=120)
APPROVERS = ["UA", "UB", "UC", "UREQ"]


class RequestLifecycle(RuleBasedStateMachine):
    """One database, several requests, random events from people and workers."""

    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(self._dir.name) / 'sm.db'}"
        db.upgrade(url)
        self.engine = db.make_engine(url)
        self.factory: sessionmaker[Session] = db.session_factory(self.engine)
        self.now = NOW
        self.ids: list[int] = []
        self.sends: dict[int, int] = {}
        self.initiations: dict[int, int] = {}

    def teardown(self) -> None:
        self.engine.dispose()
        self._dir.cleanup()

    @initialize()
    def first_request(self) -> None:
        self.submit()

    @rule()
    def submit(self) -> None:
        eni = f"eni-bp1{len(self.ids):017d}"
        with db.transaction(self.factory) as s:
            req = decisions.submit(s, new=new_request(eni), policy=POLICY, now=self.now)
        self.ids.append(req.id)
        self.sends[req.id] = 0
        self.initiations[req.id] = 1

    def _pick(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(self.ids))

    @rule(data=st.data(), approver=st.sampled_from(APPROVERS))
    def approve(self, data: st.DataObject, approver: str) -> None:
        with db.transaction(self.factory) as s:
            decisions.approve(
                s,
                judge=anyone(),
                request_id=self._pick(data),
                approver_id=approver,
                policy=POLICY,
                now=self.now,
            )

    @rule(data=st.data(), approver=st.sampled_from(APPROVERS))
    def reject(self, data: st.DataObject, approver: str) -> None:
        with db.transaction(self.factory) as s:
            decisions.reject(
                s,
                judge=anyone(),
                request_id=self._pick(data),
                approver_id=approver,
                policy=POLICY,
                now=self.now,
            )

    @rule(data=st.data(), is_approver=st.booleans())
    def cancel(self, data: st.DataObject, is_approver: bool) -> None:
        with db.transaction(self.factory) as s:
            decisions.cancel(
                s,
                request_id=self._pick(data),
                actor_id="UX",
                actor_is_approver=is_approver,
                policy=POLICY,
                now=self.now,
            )

    @rule(seconds=st.integers(min_value=1, max_value=400))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        with db.transaction(self.factory) as s:
            decisions.expire_due(s, now=self.now, policy=POLICY)

    @rule(outcome=st.sampled_from(["accepted", "busy", "failed", "crash"]))
    def executor_runs(self, outcome: str) -> None:
        with db.transaction(self.factory) as s:
            claimed = execution.claim_for_execution(s, owner="W", now=self.now, lease_seconds=30)
        for target in claimed:
            rid = target.request_id
            with db.transaction(self.factory) as s:
                if target.state is TargetStatus.QUEUED:
                    execution.start_execution(
                        s, target_id=target.id, owner="W", policy=POLICY, now=self.now
                    )
                current = target_store.get_target(s, target.id)
                assert current is not None
                if current.state is not TargetStatus.SENDING or current.lease_owner != "W":
                    continue
                if current.intent_at is not None:
                    # A previous attempt may have reached ECS: reconcile, never re-send.
                    execution.record_detach_sent(
                        s,
                        target_id=target.id,
                        owner="W",
                        ecs_request_id=None,
                        policy=POLICY,
                        now=self.now,
                        first_poll_at=self.now,
                        reconciled=True,
                    )
                    continue
                assert execution.mark_intent(s, target_id=target.id, owner="W", now=self.now)
            if outcome == "crash":
                continue  # died after the intent was committed; the lease will expire
            with db.transaction(self.factory) as s:
                if outcome == "accepted":
                    self.sends[rid] += 1
                    execution.record_detach_sent(
                        s,
                        target_id=target.id,
                        owner="W",
                        ecs_request_id="R",
                        policy=POLICY,
                        now=self.now,
                        first_poll_at=self.now,
                    )
                elif outcome == "busy":
                    setbacks.record_busy(
                        s,
                        target_id=target.id,
                        owner="W",
                        code="OperationConflict",
                        message="busy",
                        ecs_request_id="R",
                        policy=POLICY,
                        now=self.now,
                        retry_at=self.now,
                    )
                else:
                    setbacks.record_failure(
                        s,
                        target_id=target.id,
                        expected=(TargetStatus.SENDING,),
                        owner="W",
                        code="Forbidden.SubUser",
                        message="no",
                        ecs_request_id="R",
                        policy=POLICY,
                        now=self.now,
                    )

    @rule(eni_status=st.sampled_from(["Available", "Detaching", "InUse", "gone"]))
    def poller_runs(self, eni_status: str) -> None:
        with db.transaction(self.factory) as s:
            claimed = polling.claim_for_polling(s, owner="P", now=self.now, lease_seconds=30)
        for target in claimed:
            observed = (
                None
                if eni_status == "gone"
                else schemas.EniObservation(
                    eni_status, target.instance_id if eni_status != "Available" else None
                )
            )
            with db.transaction(self.factory) as s:
                polling.record_poll(
                    s,
                    target=target,
                    owner="P",
                    observed=observed,
                    policy=POLICY,
                    now=self.now,
                    next_poll_at=self.now,
                )

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        rid = self._pick(data)
        with db.transaction(self.factory) as s:
            decision = decisions.retry(
                s, request_id=rid, actor_id="UA", policy=POLICY, now=self.now
            )
        if decision.outcome is schemas.Outcome.RETRYING:
            self.initiations[rid] += 1

    @invariant()
    def audit_trail_chains_through_allowed_moves(self) -> None:
        with self.factory() as s:
            for rid in self.ids:
                req = repository.get(s, rid)
                assert req is not None
                moves = [e for e in repository.events(s, rid) if e.kind == "transition"]
                assert moves[0].from_status is None
                assert moves[0].to_status == "pending"
                for prev, nxt in itertools.pairwise(moves):
                    assert prev.to_status == nxt.from_status
                    assert can_move(Status(nxt.from_status), Status(nxt.to_status))  # type: ignore[arg-type]
                assert moves[-1].to_status == req.status

    @invariant()
    def never_detached_more_often_than_initiated(self) -> None:
        for rid in self.ids:
            assert self.sends[rid] <= self.initiations[rid]

    @invariant()
    def at_most_one_open_request_per_eni(self) -> None:
        with self.factory() as s:
            open_ = repository.list_requests(
                s,
                statuses=[
                    st_
                    for st_ in Status
                    if st_.value in {"pending", "approved", "executing", "detaching", "stuck"}
                ],
                limit=1000,
            )
        enis = [t.eni_id for r in open_ for t in r.targets]
        assert len(enis) == len(set(enis))


TestRequestLifecycle = RequestLifecycle.TestCase
TestRequestLifecycle.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
