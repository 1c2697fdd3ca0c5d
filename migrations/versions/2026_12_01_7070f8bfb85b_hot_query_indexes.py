"""indexes for the two hot queries that scanned growing tables

`/eni status <eni>` (repository.latest_for_eni) and the relay's burst check on incident
summaries. Plain CREATE INDEX: both tables are small next to what the index saves, and the
migration runs at start before the workers.

Revision ID: 7070f8bfb85b
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7070f8bfb85b"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("detach_request", schema=None) as batch_op:
        batch_op.create_index("ix_detach_request_eni", ["eni_id", "id"], unique=False)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_summaries", ["ordering_key", "kind", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_summaries")
    with op.batch_alter_table("detach_request", schema=None) as batch_op:
        batch_op.drop_index("ix_detach_request_eni")
