"""0005 gives each request its governing policy rule (name and snapshot), on both backends.

A request stored before 0005 comes out with no rule (NULL, `{}`) and is judged at a click under
the rule the policy gives its ENIs then; one stored after keeps the rule it was submitted
under, snapshot included (JSON on SQLite, JSONB on PostgreSQL). Downgrade drops both columns
and keeps the request.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot import db
from bot.policy import Governed, Match, Rule
from bot.policy.models import ApprovalPolicy
from bot.requests import decisions, repository
from bot.requests.governing import PolicyJudge
from bot.requests.schemas import NewRequest, NewTarget, Outcome, Policy

REVISION = "0005"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _before() -> str:
    """The revision 0005 follows (whatever it is linked to)."""
    scripts = ScriptDirectory.from_config(db.alembic_config("sqlite:///unused.db"))
    down = scripts.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


BEFORE = _before()

_REQUEST = text(
    "INSERT INTO detach_request (id, operation, region, requester_id, channel_id, reason,"
    " status, approvals_needed, expires_at, created_at, updated_at, left_out)"
    " VALUES (1, 'detach', 'cn-hangzhou', 'U0ASKER', 'C0OPS', 'r', 'pending', 1,"
    " '2030-12-01 10:00:00', '2026-12-01 09:00:00', '2026-12-01 09:00:00', '[]')"
)
_TARGET = text(
    "INSERT INTO request_target (id, request_id, position, region, eni_id, instance_id, status,"
    " eni_snapshot, attempts, poll_count, ecs_trouble_reported, created_at, updated_at)"
    " VALUES (1, 1, 0, 'cn-hangzhou', 'eni-old', 'i-old', 'queued',"
    ' \'{"tags": {"env": "prod"}, "vpc_id": "vpc-one"}\', 0, 0, false,'
    " '2026-12-01 09:00:00', '2026-12-01 09:00:00')"
)


def _columns(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("detach_request")}
    finally:
        engine.dispose()


def _policy() -> ApprovalPolicy:
    prod = Rule(
        number=1,
        name="prod",
        match=Match.model_validate({"tags": {"env": "prod"}}),
        approvers=("U0LEAD",),
    )
    return ApprovalPolicy(rules=(prod,))


def test_a_request_from_before_has_no_rule_and_is_judged_by_the_policy_now(db_url: str) -> None:
    db.upgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(_REQUEST)
            conn.execute(_TARGET)
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert {"rule_name", "rule"} <= _columns(db_url)
    engine = db.make_engine(db_url)
    sessions = db.session_factory(engine)
    try:
        with db.transaction(sessions) as session:
            old = repository.get(session, 1)
            assert old is not None
            assert (old.rule_name, old.rule) == (None, {})
            # Its ENI is env=prod: the `prod` rule governs it now, so only U0LEAD's click counts.
            judge = PolicyJudge(_policy(), lambda _user: (), NOW)
            assert not judge.approval(old, "U0OTHER").counts
            decided = decisions.approve(
                session, request_id=1, approver_id="U0LEAD", judge=judge, policy=Policy(), now=NOW
            )
            assert decided.outcome is Outcome.APPROVED
    finally:
        engine.dispose()


def test_the_rule_is_stored_and_dropped_with_the_revision(db_url: str) -> None:
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    sessions = db.session_factory(engine)
    governed = Governed(
        rule="prod",
        rule_number=2,
        approvals=2,
        approvers=("S0LEADS", "U0LEAD"),
        auto_approve=False,
        allow_self_approval=True,
        freezes=("year-end",),
    )
    new = NewRequest(
        region="cn-hangzhou",
        requester_id="U0ASKER",
        channel_id="C0OPS",
        reason="r",
        targets=(NewTarget("eni-new", "i-new", {"tags": {"env": "prod"}}),),
    )
    try:
        with db.transaction(sessions) as session:
            rid = decisions.submit(session, new=new, policy=Policy(), now=NOW, governed=governed).id
        with db.transaction(sessions) as session:
            stored = repository.get(session, rid)
            assert stored is not None
            assert (stored.rule_name, stored.approvals_needed) == ("prod", 2)
            assert stored.rule == {
                "number": 2,
                "approvers": ["S0LEADS", "U0LEAD"],
                "approvals": 2,
                "auto_approve": False,
                "allow_self_approval": True,
                "freezes": ["year-end"],
            }
    finally:
        engine.dispose()
    db.downgrade(db_url, BEFORE)
    assert not {"rule_name", "rule"} & _columns(db_url)
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM detach_request")).scalar_one() == 1
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert {"rule_name", "rule"} <= _columns(db_url)


def test_an_auto_approving_rule_approves_at_submission_under_its_own_name(db_url: str) -> None:
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    sessions = db.session_factory(engine)
    governed = Governed(
        rule="dev",
        rule_number=1,
        approvals=1,
        approvers=(),
        auto_approve=True,
        allow_self_approval=False,
    )
    new = NewRequest(
        region="cn-hangzhou",
        requester_id="U0ASKER",
        channel_id="C0OPS",
        reason="r",
        targets=(NewTarget("eni-dev", "i-dev", {}),),
    )
    try:
        with db.transaction(sessions) as session:
            request = decisions.submit(
                session, new=new, policy=Policy(), now=NOW, governed=governed
            )
            assert request.status == "approved"
        with db.transaction(sessions) as session:
            events = repository.events(session, request.id)
            assert [(e.actor, e.to_status) for e in events] == [
                ("U0ASKER", "pending"),
                ("policy:dev", "approved"),
            ]
            assert events[1].detail == {"auto_approved": True, "rule": "dev"}
    finally:
        engine.dispose()
