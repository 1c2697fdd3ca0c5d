"""request_target: a request holds one target per ENI; workers claim targets

Revision ID: 0003
Revises: c45bdb9575de
Create Date: 2026-12-02 02:00:00

Every 0.1 request becomes a request with one target (position 0) that carries its ENI, its
instance, its ECS marks and its lease, in the target status that matches the request's:

    pending, approved → queued     executing → sending    detaching → in_flight
    stuck → stuck                  detached → done        failed → failed
    rejected, expired, cancelled → skipped

so a request that was in the middle of an execution at upgrade time carries on from where it
was (its intent, "may have been applied" mark and lease move with it). The one-open-request-
per-ENI index moves to the targets. Downgrade folds position-0 targets back (a request of
several ENIs cannot be expressed in 0.1: downgrading with one is refused).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import bot.db

revision: str = "0003"
down_revision: str | None = "c45bdb9575de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TARGET_STATUSES = "'queued', 'sending', 'in_flight', 'done', 'stuck', 'failed', 'skipped'"
_TARGET_OPEN = "status IN ('in_flight', 'queued', 'sending', 'stuck')"
_REQUEST_OPEN = "status IN ('approved', 'detaching', 'executing', 'pending', 'stuck')"
# The per-ENI columns of 0.1's detach_request, and their names on request_target.
_MOVED = {
    "eni_id": "eni_id",
    "instance_id": "instance_id",
    "eni_snapshot": "eni_snapshot",
    "ecs_request_id": "ecs_request_id",
    "eni_status": "eni_status",
    "error_code": "error_code",
    "error_message": "error_message",
    "attempts": "attempts",
    "detach_intent_at": "intent_at",
    "detach_maybe_applied_at": "maybe_applied_at",
    "detach_sent_at": "sent_at",
    "busy_since": "busy_since",
    "lease_owner": "lease_owner",
    "lease_until": "lease_until",
    "next_poll_at": "next_poll_at",
    "poll_count": "poll_count",
    "ecs_trouble_reported": "ecs_trouble_reported",
}
_STATUS_MAP = """CASE status
    WHEN 'pending' THEN 'queued' WHEN 'approved' THEN 'queued'
    WHEN 'executing' THEN 'sending' WHEN 'detaching' THEN 'in_flight'
    WHEN 'stuck' THEN 'stuck' WHEN 'detached' THEN 'done' WHEN 'failed' THEN 'failed'
    ELSE 'skipped' END"""


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _moved_columns() -> list[sa.Column[object]]:
    ts = bot.db.UtcDateTime(timezone=True)
    return [
        sa.Column("eni_id", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("eni_snapshot", _json(), nullable=False),
        sa.Column("ecs_request_id", sa.String(length=64), nullable=True),
        sa.Column("eni_status", sa.String(length=16), nullable=True),
        sa.Column("error_code", sa.String(length=128), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("intent_at", ts, nullable=True),
        sa.Column("maybe_applied_at", ts, nullable=True),
        sa.Column("sent_at", ts, nullable=True),
        sa.Column("busy_since", ts, nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", ts, nullable=True),
        sa.Column("next_poll_at", ts, nullable=True),
        sa.Column("poll_count", sa.Integer(), nullable=False),
        sa.Column("ecs_trouble_reported", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    ts = bot.db.UtcDateTime(timezone=True)
    op.create_table(
        "request_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_moved_columns(),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("finished_at", ts, nullable=True),
        sa.CheckConstraint(
            f"status IN ({_TARGET_STATUSES})", name=op.f("ck_request_target_target_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["detach_request.id"],
            name=op.f("fk_request_target_request_id_detach_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_target")),
        sa.UniqueConstraint("request_id", "position", name="uq_request_target_position"),
    )
    old = ", ".join(_MOVED)
    new = ", ".join(_MOVED.values())
    op.execute(
        f"INSERT INTO request_target (request_id, position, region, status, {new}, "
        "created_at, updated_at, finished_at) "
        f"SELECT id, 0, region, {_STATUS_MAP}, {old}, created_at, updated_at, finished_at "
        "FROM detach_request"
    )
    with op.batch_alter_table("request_target") as batch:
        batch.create_index("ix_request_target_eni", ["eni_id", "id"], unique=False)
        batch.create_index("ix_request_target_request", ["request_id", "status"], unique=False)
        batch.create_index("ix_request_target_status_due", ["status", "next_poll_at"], unique=False)
        batch.create_index(
            "uq_request_target_open_eni",
            ["eni_id"],
            unique=True,
            postgresql_where=sa.text(_TARGET_OPEN),
            sqlite_where=sa.text(_TARGET_OPEN),
        )
    with op.batch_alter_table("request_event") as batch:
        batch.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
    # 0.1's ECS calls were all about the request's one ENI.
    op.execute(
        "UPDATE request_event SET target_id = (SELECT t.id FROM request_target t "
        "WHERE t.request_id = request_event.request_id) WHERE kind = 'ecs_call'"
    )
    with op.batch_alter_table("detach_request") as batch:
        batch.drop_index("uq_detach_request_open_eni")
        batch.drop_index("ix_detach_request_status_due")
        batch.drop_index("ix_detach_request_eni")
        for column in _MOVED:
            batch.drop_column(column)
        batch.add_column(
            sa.Column("operation", sa.String(length=16), nullable=False, server_default="detach")
        )
        batch.add_column(sa.Column("selector", sa.Text(), nullable=True))
        batch.add_column(sa.Column("left_out", _json(), nullable=False, server_default="[]"))
        batch.create_index(
            "ix_detach_request_status_expires", ["status", "expires_at"], unique=False
        )


def downgrade() -> None:
    bind = op.get_bind()
    several = bind.execute(sa.text("SELECT count(*) FROM request_target WHERE position > 0"))
    if several.scalar_one():
        raise RuntimeError(
            "cannot downgrade below 0003: some requests hold several ENIs, which 0.1 cannot store"
        )
    with op.batch_alter_table("detach_request") as batch:
        batch.drop_index("ix_detach_request_status_expires")
        batch.drop_column("left_out")
        batch.drop_column("selector")
        batch.drop_column("operation")
        for column in _moved_columns():
            # Added nullable, filled from the targets, then tightened below.
            old = next(k for k, v in _MOVED.items() if v == column.name)
            batch.add_column(sa.Column(old, column.type, nullable=True))
    for old, new in _MOVED.items():
        op.execute(
            f"UPDATE detach_request SET {old} = (SELECT t.{new} FROM request_target t "
            "WHERE t.request_id = detach_request.id AND t.position = 0)"
        )
    with op.batch_alter_table("detach_request") as batch:
        for column in _moved_columns():
            if not column.nullable:
                old = next(k for k, v in _MOVED.items() if v == column.name)
                batch.alter_column(old, existing_type=column.type, nullable=False)
        batch.create_index("ix_detach_request_eni", ["eni_id", "id"], unique=False)
        batch.create_index("ix_detach_request_status_due", ["status", "next_poll_at"], unique=False)
        batch.create_index(
            "uq_detach_request_open_eni",
            ["eni_id"],
            unique=True,
            postgresql_where=sa.text(_REQUEST_OPEN),
            sqlite_where=sa.text(_REQUEST_OPEN),
        )
    with op.batch_alter_table("request_event") as batch:
        batch.drop_column("target_id")
    op.drop_table("request_target")
