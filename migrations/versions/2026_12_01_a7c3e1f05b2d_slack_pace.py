"""slack_pace: Slack's per-channel pace, shared by every relay

Revision ID: a7c3e1f05b2d
Revises: 7070f8bfb85b
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "a7c3e1f05b2d"
down_revision: str | None = "7070f8bfb85b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_pace",
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("tat", bot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane", name=op.f("pk_slack_pace")),
    )


def downgrade() -> None:
    op.drop_table("slack_pace")
