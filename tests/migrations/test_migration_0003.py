"""0003 turns every 0.1 request into a request with one target, in the matching state.

Rows are written with the 0.1 schema (revision a7c3e1f05b2d) in every status, with the marks a
request in the middle of an execution has (intent, may-have-been-applied, lease), then the
database is upgraded: each must come out with the same request status and one target that
carries its ENI, instance and marks, and the workers' claims must pick up exactly the rows
they would have picked up before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot import db
from bot.requests import execution, polling, repository
from bot.requests.states import Status

BEFORE = "c45bdb9575de"
T0 = "2026-12-01 09:00:00"

# 0.1 status → the target status the upgrade must give its one ENI.
EXPECTED = {
    "pending": "queued",
    "approved": "queued",
    "executing": "sending",
    "detaching": "in_flight",
    "stuck": "stuck",
    "detached": "done",
    "failed": "failed",
    "rejected": "skipped",
    "expired": "skipped",
    "cancelled": "skipped",
}

_INSERT = text(
    "INSERT INTO detach_request (id, region, eni_id, instance_id, requester_id, channel_id,"
    " card_ts, reason, status, approvals_needed, expires_at, eni_snapshot, ecs_request_id,"
    " eni_status, error_code, error_message, attempts, detach_intent_at,"
    " detach_maybe_applied_at, detach_sent_at, lease_owner, lease_until, next_poll_at,"
    " poll_count, ecs_trouble_reported, created_at, updated_at, finished_at)"
    " VALUES (:id, 'cn-hangzhou', :eni, :instance, 'U1', 'C1', :ts, 'r', :status, 1,"
    " '2026-12-01 10:00:00', :snapshot, :ecs, :eni_status, :code, :message, :attempts, :intent,"
    " :maybe, :sent, :owner, :until, :next, 3, false, :t0, :t0, :finished)"
)


def _row(n: int, status: str) -> dict[str, object]:
    executing = status in ("executing", "detaching", "stuck")
    return {
        "id": n,
        "eni": f"eni-m{n:02d}",
        "instance": f"i-m{n:02d}",
        "ts": f"1700000000.{n:06d}",
        "status": status,
        "snapshot": f'{{"name": "web-{n}"}}',
        "ecs": f"ECS-{n}" if status in ("detaching", "stuck", "detached", "failed") else None,
        "eni_status": "Detaching" if status in ("detaching", "stuck") else None,
        "code": "Forbidden.RAM" if status == "failed" else None,
        "message": "no permission" if status == "failed" else None,
        "attempts": 1 if executing else 0,
        "intent": "2026-12-01 09:30:00" if status == "executing" else None,
        "maybe": "2026-12-01 09:20:00" if status == "executing" else None,
        "sent": "2026-12-01 09:31:00" if status in ("detaching", "stuck") else None,
        "owner": "old-worker" if executing else None,
        "until": "2026-12-01 09:31:00" if executing else None,
        "next": "2026-12-01 09:32:00" if status in ("detaching", "stuck", "approved") else None,
        "t0": T0,
        "finished": T0 if status in EXPECTED and EXPECTED[status] in ("done", "failed", "skipped")
        else None,
    }  # fmt: skip


def test_every_01_state_becomes_one_target_in_the_matching_state(db_url: str) -> None:
    db.upgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, status in enumerate(EXPECTED, start=1):
                conn.execute(_INSERT, _row(n, status))
        db.upgrade(db_url)
        with engine.connect() as conn:
            requests = {
                r.id: r
                for r in conn.execute(
                    text("SELECT id, status, operation, card_ts FROM detach_request")
                )
            }
            targets = list(conn.execute(text("SELECT * FROM request_target ORDER BY request_id")))
        assert len(targets) == len(EXPECTED) == len(requests)
        for n, status in enumerate(EXPECTED, start=1):
            row = _row(n, status)
            request = requests[n]
            (target,) = [t for t in targets if t.request_id == n]
            assert (request.status, request.operation, request.card_ts) == (
                status,
                "detach",
                row["ts"],
            )
            assert target.status == EXPECTED[status], status
            assert (target.position, target.region) == (0, "cn-hangzhou")
            assert (target.eni_id, target.instance_id) == (row["eni"], row["instance"])
            assert target.ecs_request_id == row["ecs"]
            assert target.error_code == row["code"]
            assert target.lease_owner == row["owner"]
            assert (target.intent_at is None) == (row["intent"] is None), status
            assert (target.maybe_applied_at is None) == (row["maybe"] is None), status
            assert (target.sent_at is None) == (row["sent"] is None), status
            assert target.poll_count == 3
    finally:
        engine.dispose()


def test_rows_that_reference_requests_survive_the_rebuild_of_their_table(db_url: str) -> None:
    """SQLite rebuilds detach_request by copy and drop: with foreign keys on, the drop would
    cascade into approvals, the audit trail and the outbox (it did, before env.py turned them
    off for migrations)."""
    db.upgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(_INSERT, _row(1, "detached"))
            conn.execute(
                text(
                    "INSERT INTO approval (request_id, approver_id, decision, at)"
                    " VALUES (1, 'U9', 'approve', :t)"
                ),
                {"t": T0},
            )
            conn.execute(
                text(
                    "INSERT INTO request_event (request_id, at, actor, kind, detail)"
                    " VALUES (1, :t, 'system:executor', 'ecs_call', '{}')"
                ),
                {"t": T0},
            )
            conn.execute(
                text(
                    "INSERT INTO outbox_message (request_id, kind, payload, ordering_key,"
                    " dedupe_key, attempts, scheduled_for, created_at)"
                    " VALUES (1, 'thread_reply', '{}', 'request:1', 'k1', 0, :t, :t)"
                ),
                {"t": T0},
            )
        db.upgrade(db_url)
        with engine.connect() as conn:
            counts = [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("approval", "request_event", "outbox_message", "request_target")
            ]
            event_target = conn.execute(text("SELECT target_id FROM request_event")).scalar_one()
        assert counts == [1, 1, 1, 1]
        assert event_target is not None  # 0.1's ECS calls were about its one ENI
    finally:
        engine.dispose()


def test_after_the_upgrade_workers_claim_what_they_claimed_before(db_url: str) -> None:
    """The executor takes the approved and the executing request (its lease lapsed) and keeps
    the executing one's marks; the poller takes the detaching and stuck ones; nothing else."""
    db.upgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, status in enumerate(EXPECTED, start=1):
                conn.execute(_INSERT, _row(n, status))
        db.upgrade(db_url)
        factory = db.session_factory(engine)
        now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
        with db.transaction(factory) as s:
            sent = execution.claim_for_execution(s, owner="new", now=now, lease_seconds=45)
            watched = polling.claim_for_polling(s, owner="new", now=now, lease_seconds=45)
        statuses = list(EXPECTED)
        assert sorted(statuses[t.request_id - 1] for t in sent) == ["approved", "executing"]
        assert sorted(statuses[t.request_id - 1] for t in watched) == ["detaching", "stuck"]
        executing = next(t for t in sent if statuses[t.request_id - 1] == "executing")
        assert execution.marks_of(executing).unsettled  # re-checked with Describe, not re-sent
        with db.read(factory) as s:
            open_ = [
                status
                for n, status in enumerate(statuses, start=1)
                if repository.find_open_for_eni(s, f"eni-m{n:02d}") is not None
            ]
            request = repository.get(s, statuses.index("pending") + 1)
            assert request is not None and request.state is Status.PENDING
        assert sorted(open_) == sorted(["pending", "approved", "executing", "detaching", "stuck"])
    finally:
        engine.dispose()


def test_the_one_open_request_per_eni_rule_holds_after_the_upgrade(db_url: str) -> None:
    db.upgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(_INSERT, _row(1, "pending"))
            conn.execute(_INSERT, {**_row(2, "detached"), "eni": "eni-m01"})
        db.upgrade(db_url)
        with engine.begin() as conn, pytest.raises(IntegrityError):
            conn.execute(
                text(
                    "INSERT INTO request_target (request_id, position, region, eni_id,"
                    " instance_id, status, eni_snapshot, attempts, poll_count,"
                    " ecs_trouble_reported, created_at, updated_at) VALUES (2, 1, 'cn-hangzhou',"
                    " 'eni-m01', 'i-x', 'queued', '{}', 0, 0, false, :t, :t)"
                ),
                {"t": T0},
            )
    finally:
        engine.dispose()


def test_downgrade_folds_one_target_requests_back(db_url: str) -> None:
    db.upgrade(db_url, BEFORE)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, status in enumerate(EXPECTED, start=1):
                conn.execute(_INSERT, _row(n, status))
        db.upgrade(db_url)
        db.downgrade(db_url, BEFORE)
        with engine.connect() as conn:
            rows = list(
                conn.execute(
                    text(
                        "SELECT id, status, eni_id, detach_intent_at, lease_owner"
                        " FROM detach_request ORDER BY id"
                    )
                )
            )
        assert [(r.status, r.eni_id) for r in rows] == [
            (status, f"eni-m{n:02d}") for n, status in enumerate(EXPECTED, start=1)
        ]
        executing = rows[list(EXPECTED).index("executing")]
        assert executing.detach_intent_at is not None and executing.lease_owner == "old-worker"
    finally:
        engine.dispose()
