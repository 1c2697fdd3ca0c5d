"""0002 carries an unanswered Detach intent over as "may have been applied"."""

from __future__ import annotations

from sqlalchemy import text

from bot import db

_INSERT = text(
    "INSERT INTO detach_request (id, region, eni_id, instance_id, requester_id, channel_id,"
    " reason, status, approvals_needed, expires_at, eni_snapshot, attempts, detach_intent_at,"
    " poll_count, ecs_trouble_reported, created_at, updated_at)"
    " VALUES (:id, 'cn-hangzhou', :eni, 'i-1', 'U1', 'C1', 'r', :status, 1,"
    " '2026-12-01 10:00:00', '{}', 1, :intent, 0, false, '2026-12-01 09:00:00',"
    " '2026-12-01 09:00:00')"
)


def test_an_unanswered_intent_becomes_maybe_applied(db_url: str) -> None:
    db.upgrade(db_url, "0001")
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                _INSERT,
                {"id": 1, "eni": "eni-a", "status": "executing", "intent": "2026-12-01 09:30:00"},
            )
            conn.execute(_INSERT, {"id": 2, "eni": "eni-b", "status": "approved", "intent": None})
        db.upgrade(db_url, "0002")
        with engine.connect() as conn:
            rows = dict(
                conn.execute(
                    text("SELECT id, detach_maybe_applied_at FROM detach_request ORDER BY id")
                ).all()
            )
        assert rows[1] is not None
        assert rows[2] is None
        db.downgrade(db_url, "0001")
    finally:
        engine.dispose()
