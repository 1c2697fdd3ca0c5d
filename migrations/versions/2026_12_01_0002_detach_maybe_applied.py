"""detach_maybe_applied_at: a Detach that may have been applied is never forgotten

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:00:00

Set when a Detach's outcome was unknown (lost answer, server error, or an intent that no
answer ever cleared); only a Describe settles it. Existing rows with an unresolved intent get
it too, so an upgrade in the middle of an execution keeps the promise.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("detach_request") as batch:
        batch.add_column(
            sa.Column("detach_maybe_applied_at", bot.db.UtcDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE detach_request SET detach_maybe_applied_at = detach_intent_at "
        "WHERE detach_intent_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("detach_request") as batch:
        batch.drop_column("detach_maybe_applied_at")
