"""Use cases against a real database: decisions, quorum, cancellation, expiry, audit, outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.outbox.models import MessageKind, OutboxMessage
from bot.requests import decisions, execution, polling, repository, schemas, setbacks
from bot.requests.models import DetachRequest, RequestEvent
from bot.requests.schemas import Outcome, Policy, Refusal
from bot.requests.states import Status, TargetStatus

from support.judges import anyone, by_ids
from support.store import NOW, new_request, submit


def _outbox(factory: sessionmaker[Session], request_id: int) -> list[OutboxMessage]:
    with factory() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.request_id == request_id)
        return list(s.scalars(stmt.order_by(OutboxMessage.id)))


def _events(factory: sessionmaker[Session], request_id: int) -> list[RequestEvent]:
    with factory() as s:
        return repository.events(s, request_id)


def test_submit_stores_pending_request_with_card_and_audit(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    assert req.state is Status.PENDING
    assert req.expires_at == NOW + timedelta(seconds=1800)
    assert [m.kind for m in _outbox(factory, req.id)] == [MessageKind.CARD]
    [event] = _events(factory, req.id)
    assert (event.from_status, event.to_status, event.actor) == (None, "pending", "UREQ")


def test_second_open_request_for_same_eni_is_refused_naming_the_first(
    factory: sessionmaker[Session],
) -> None:
    first = submit(factory)
    with pytest.raises(repository.OpenRequestExistsError) as caught:
        submit(factory)
    assert caught.value.existing.id == first.id
    with factory() as s:
        assert s.scalar(select(db_count())) == 1


def db_count():  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    return func.count(DetachRequest.id)


def test_unique_index_itself_refuses_two_open_targets(factory: sessionmaker[Session]) -> None:
    """The database, not Python, holds the one-open-request-per-ENI rule, across requests."""
    first = submit(factory)
    with factory() as s, pytest.raises(IntegrityError):
        s.execute(
            text(
                "INSERT INTO request_target (request_id, position, region, eni_id, instance_id, "
                "status, eni_snapshot, attempts, poll_count, ecs_trouble_reported, created_at, "
                "updated_at) VALUES (:r, 1, 'cn-hangzhou', 'eni-bp1aaaaaaaaaaaaaaaa', 'i-x', "
                "'queued', '{}', 0, 0, false, :t, :t)"
            ),
            {"t": NOW, "r": first.id},
        )
        s.commit()


def test_a_closed_target_does_not_hold_its_eni(factory: sessionmaker[Session]) -> None:
    """Only open targets count: a skipped (or done, failed) one leaves the ENI free."""
    first = submit(factory)
    with factory() as s:
        s.execute(
            text(
                "INSERT INTO request_target (request_id, position, region, eni_id, instance_id, "
                "status, eni_snapshot, attempts, poll_count, ecs_trouble_reported, created_at, "
                "updated_at) VALUES (:r, 1, 'cn-hangzhou', 'eni-bp1aaaaaaaaaaaaaaaa', 'i-x', "
                "'skipped', '{}', 0, 0, false, :t, :t)"
            ),
            {"t": NOW, "r": first.id},
        )
        s.commit()


def test_finished_request_frees_the_eni_for_a_new_one(factory: sessionmaker[Session]) -> None:
    first = submit(factory)
    with db.transaction(factory) as s:
        decisions.cancel(
            s,
            request_id=first.id,
            actor_id="UREQ",
            actor_is_approver=False,
            policy=Policy(),
            now=NOW,
        )
    second = submit(factory)
    assert second.id != first.id


def test_status_check_constraint_refuses_unknown_status(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    with factory() as s, pytest.raises(IntegrityError):
        s.execute(text("UPDATE detach_request SET status = 'bogus' WHERE id = :i"), {"i": req.id})
        s.commit()


def test_self_approval_is_refused_and_changes_nothing(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    with db.transaction(factory) as s:
        d = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="UREQ",
            policy=Policy(),
            now=NOW,
        )
    assert (d.outcome, d.refusal) == (Outcome.REFUSED, Refusal.OWN_REQUEST)
    with factory() as s:
        assert repository.get(s, req.id).state is Status.PENDING  # type: ignore[union-attr]
        assert repository.approvals(s, req.id) == []


def test_single_approval_moves_to_approved_with_reply_and_card_update(
    factory: sessionmaker[Session],
) -> None:
    req = submit(factory)
    with db.transaction(factory) as s:
        d = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="ULEAD",
            policy=Policy(),
            now=NOW,
        )
    assert d.outcome is Outcome.APPROVED
    kinds = [m.kind for m in _outbox(factory, req.id)]
    assert kinds == [MessageKind.CARD, MessageKind.THREAD_REPLY, MessageKind.CARD_UPDATE]
    assert _events(factory, req.id)[-1].to_status == "approved"


def test_quorum_counts_distinct_approvers(factory: sessionmaker[Session]) -> None:
    policy = Policy(approvals_needed=2)
    req = submit(factory, policy=policy)
    with db.transaction(factory) as s:
        first = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="UA",
            policy=policy,
            now=NOW,
        )
    with db.transaction(factory) as s:
        again = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="UA",
            policy=policy,
            now=NOW,
        )
    assert (first.outcome, first.approvals, first.needed) == (Outcome.RECORDED, 1, 2)
    assert (again.outcome, again.refusal) == (Outcome.REFUSED, Refusal.ALREADY_DECIDED_BY_YOU)
    with factory() as s:
        assert repository.get(s, req.id).state is Status.PENDING  # type: ignore[union-attr]
    with db.transaction(factory) as s:
        second = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="UB",
            policy=policy,
            now=NOW,
        )
    assert second.outcome is Outcome.APPROVED


def test_quorum_recounts_only_current_approvers(factory: sessionmaker[Session]) -> None:
    policy = Policy(approvals_needed=2)
    req = submit(factory, policy=policy)
    current = {"UA", "UB", "UC"}

    def approve(user: str) -> Outcome:
        with db.transaction(factory) as s:
            return decisions.approve(
                s,
                judge=by_ids(current.__contains__),
                request_id=req.id,
                approver_id=user,
                policy=policy,
                now=NOW,
            ).outcome

    assert approve("UA") is Outcome.RECORDED
    current.discard("UA")  # left the on-call rota since
    assert approve("UB") is Outcome.RECORDED
    assert approve("UC") is Outcome.APPROVED


def test_a_rejection_replaces_the_same_approvers_approval(factory: sessionmaker[Session]) -> None:
    policy = Policy(approvals_needed=2)
    req = submit(factory, policy=policy)
    with db.transaction(factory) as s:
        decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="UA",
            policy=policy,
            now=NOW,
        )
    later = NOW + timedelta(seconds=5)
    with db.transaction(factory) as s:
        d = decisions.reject(
            s, judge=anyone(), request_id=req.id, approver_id="UA", policy=policy, now=later
        )
    assert d.outcome is Outcome.REJECTED
    with factory() as s:
        decided = [(a.approver_id, a.decision, a.at) for a in repository.approvals(s, req.id)]
    assert decided == [("UA", "reject", later)]
    events = _events(factory, req.id)
    assert [e.kind for e in events] == ["transition", "approval", "transition"]  # both clicks
    assert events[-1].detail == {"withdrew_approval": True}


def test_decided_request_refuses_further_clicks(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    with db.transaction(factory) as s:
        decisions.reject(
            s, judge=anyone(), request_id=req.id, approver_id="ULEAD", policy=Policy(), now=NOW
        )
    with db.transaction(factory) as s:
        d = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="UB",
            policy=Policy(),
            now=NOW,
        )
    assert (d.outcome, d.refusal) == (Outcome.REFUSED, Refusal.NOT_PENDING)
    assert d.request is not None and d.request.state is Status.REJECTED


def test_click_after_deadline_expires_the_request_and_is_refused(
    factory: sessionmaker[Session],
) -> None:
    req = submit(factory)
    late = NOW + timedelta(seconds=1801)
    with db.transaction(factory) as s:
        d = decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="ULEAD",
            policy=Policy(),
            now=late,
        )
    assert d.refusal is Refusal.EXPIRED
    with factory() as s:
        assert repository.get(s, req.id).state is Status.EXPIRED  # type: ignore[union-attr]


def test_unknown_request_is_refused(factory: sessionmaker[Session]) -> None:
    with db.transaction(factory) as s:
        d = decisions.approve(
            s,
            judge=anyone(),
            request_id=999,
            approver_id="ULEAD",
            policy=Policy(),
            now=NOW,
        )
    assert d.refusal is Refusal.NOT_FOUND


def test_cancel_by_stranger_refused_by_requester_or_approver_allowed(
    factory: sessionmaker[Session],
) -> None:
    req = submit(factory)
    with db.transaction(factory) as s:
        d = decisions.cancel(
            s, request_id=req.id, actor_id="UX", actor_is_approver=False, policy=Policy(), now=NOW
        )
    assert d.refusal is Refusal.NOT_ALLOWED
    with db.transaction(factory) as s:
        d = decisions.cancel(
            s, request_id=req.id, actor_id="UL", actor_is_approver=True, policy=Policy(), now=NOW
        )
    assert d.outcome is Outcome.CANCELLED


def test_expiry_sweeps_only_overdue_pending_requests(factory: sessionmaker[Session]) -> None:
    old = submit(factory, eni="eni-bp1old0000000000000")
    fresh = submit(factory, eni="eni-bp1new0000000000000", now=NOW + timedelta(seconds=1000))
    with db.transaction(factory) as s:
        expired = decisions.expire_due(s, now=NOW + timedelta(seconds=1801), policy=Policy())
    assert expired == [old.id]
    with factory() as s:
        assert repository.get(s, fresh.id).state is Status.PENDING  # type: ignore[union-attr]


def test_terminal_state_posts_incident_summary_when_configured(
    factory: sessionmaker[Session],
) -> None:
    policy = Policy(incident_channel="CINC")
    req = submit(factory, policy=policy)
    with db.transaction(factory) as s:
        decisions.reject(
            s, judge=anyone(), request_id=req.id, approver_id="ULEAD", policy=policy, now=NOW
        )
    summaries = [m for m in _outbox(factory, req.id) if m.kind == MessageKind.INCIDENT_SUMMARY]
    assert len(summaries) == 1
    assert summaries[0].payload["channel"] == "CINC"
    assert summaries[0].ordering_key == "channel:CINC"


def _approved(factory: sessionmaker[Session], eni: str = "eni-bp1aaaaaaaaaaaaaaaa") -> int:
    req = submit(factory, eni=eni)
    with db.transaction(factory) as s:
        decisions.approve(
            s,
            judge=anyone(),
            request_id=req.id,
            approver_id="ULEAD",
            policy=Policy(),
            now=NOW,
        )
    return req.id


def test_claims_lease_each_request_to_one_owner_until_the_lease_expires(
    factory: sessionmaker[Session],
) -> None:
    rid = _approved(factory)
    with db.transaction(factory) as s:
        a = execution.claim_for_execution(s, owner="A", now=NOW, lease_seconds=30)
    with db.transaction(factory) as s:
        b = execution.claim_for_execution(
            s, owner="B", now=NOW + timedelta(seconds=5), lease_seconds=30
        )
    with db.transaction(factory) as s:
        c = execution.claim_for_execution(
            s, owner="C", now=NOW + timedelta(seconds=31), lease_seconds=30
        )
    assert [t.request_id for t in a] == [rid]
    assert b == []
    assert [t.request_id for t in c] == [rid]


def test_full_execution_path_records_audit_for_every_transition(
    factory: sessionmaker[Session],
) -> None:
    rid = _approved(factory)
    policy = Policy()
    with db.transaction(factory) as s:
        [target] = execution.claim_for_execution(s, owner="W", now=NOW, lease_seconds=30)
        assert target.request_id == rid
        assert execution.start_execution(s, target_id=target.id, owner="W", policy=policy, now=NOW)
        assert execution.mark_intent(s, target_id=target.id, owner="W", now=NOW)
    with db.transaction(factory) as s:
        assert execution.record_detach_sent(
            s,
            target_id=target.id,
            owner="W",
            ecs_request_id="REQ-1",
            policy=policy,
            now=NOW,
            first_poll_at=NOW,
        )
    with db.transaction(factory) as s:
        [polled] = polling.claim_for_polling(s, owner="P", now=NOW, lease_seconds=30)
        new = polling.record_poll(
            s,
            target=polled,
            owner="P",
            observed=schemas.EniObservation("Available", None),
            policy=policy,
            now=NOW + timedelta(seconds=3),
            next_poll_at=NOW,
        )
    assert new is TargetStatus.DONE
    moves = [(e.from_status, e.to_status) for e in _events(factory, rid) if e.kind == "transition"]
    assert moves == [
        (None, "pending"),
        ("pending", "approved"),
        ("approved", "executing"),
        ("executing", "detaching"),
        ("detaching", "detached"),
    ]
    with factory() as s:
        final = repository.get(s, rid)
    assert (
        final is not None
        and final.target.ecs_request_id == "REQ-1"
        and final.target.lease_owner is None
    )


def test_poll_still_detaching_past_stuck_after_marks_stuck_once(
    factory: sessionmaker[Session],
) -> None:
    rid = _approved(factory)
    policy = Policy(stuck_after=60)
    with db.transaction(factory) as s:
        [target] = execution.claim_for_execution(s, owner="W", now=NOW, lease_seconds=30)
        execution.start_execution(s, target_id=target.id, owner="W", policy=policy, now=NOW)
        execution.record_detach_sent(
            s,
            target_id=target.id,
            owner="W",
            ecs_request_id="R",
            policy=policy,
            now=NOW,
            first_poll_at=NOW,
        )
    detaching = schemas.EniObservation("Detaching", "i-bp1bbbbbbbbbbbbbbbb")
    results = []
    for seconds in (10, 61, 90):
        t = NOW + timedelta(seconds=seconds)
        with db.transaction(factory) as s:
            [polled] = polling.claim_for_polling(s, owner="P", now=t, lease_seconds=30)
            results.append(
                polling.record_poll(
                    s,
                    target=polled,
                    owner="P",
                    observed=detaching,
                    policy=policy,
                    now=t,
                    next_poll_at=t,
                )
            )
    assert results == [None, TargetStatus.STUCK, None]
    with factory() as s:
        stuck = repository.get(s, rid)
    assert stuck is not None and stuck.state is Status.STUCK  # the request follows its ENI


def test_busy_refusals_retry_until_budget_then_fail(factory: sessionmaker[Session]) -> None:
    rid = _approved(factory)
    policy = Policy(stuck_after=60)
    outcomes = []
    for seconds in (0, 30, 61):
        t = NOW + timedelta(seconds=seconds)
        with db.transaction(factory) as s:
            [target] = execution.claim_for_execution(s, owner="W", now=t, lease_seconds=10)
            assert target.request_id == rid
            if target.state is TargetStatus.QUEUED:
                execution.start_execution(s, target_id=target.id, owner="W", policy=policy, now=t)
            outcomes.append(
                setbacks.record_busy(
                    s,
                    target_id=target.id,
                    owner="W",
                    code="InvalidOperation.InvalidEniState",
                    message="busy",
                    ecs_request_id="R",
                    policy=policy,
                    now=t,
                    retry_at=t,
                )
            )
    assert outcomes == [True, True, False]
    with factory() as s:
        req = repository.get(s, rid)
    assert req is not None and req.state is Status.FAILED
    assert req.target.error_code == "InvalidOperation.InvalidEniState"


def test_new_request_fixture_is_valid() -> None:
    assert new_request().targets[0].eni_id.startswith("eni-")


def test_session_sees_timezone_aware_times(factory: sessionmaker[Session]) -> None:
    req = submit(factory)
    with factory() as s:
        loaded = repository.get(s, req.id)
    assert loaded is not None and loaded.created_at.tzinfo is not None
    assert isinstance(db.utcnow().tzinfo, type(loaded.created_at.tzinfo))
