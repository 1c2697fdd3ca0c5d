"""outbox_thread: the outbox's own record of where each thread is (ordering key -> channel, ts)

Revision ID: c45bdb9575de
Revises: a7c3e1f05b2d
Create Date: 2026-12-02 10:00:00.000000

The relay used to read a request's channel_id and card_ts to place its replies and card updates;
it now reads this table, which it writes itself when a card is posted (or given up). Existing
requests are carried over, every one of them and not only those whose card was posted: a request
whose card is still queued, or was given up with the requester's notice still queued, has replies
or a notice waiting that must know their channel. Their root ts is the request's card_ts (NULL
when the card was never posted, which the relay reads as "no card").

Downgrade drops the table: detach_request.card_ts is kept up to date alongside it (the relay's
CardHooks), so nothing is lost.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "c45bdb9575de"
down_revision: str | None = "a7c3e1f05b2d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_thread",
        sa.Column("ordering_key", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("root_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", bot.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ordering_key", name=op.f("pk_outbox_thread")),
    )
    # The key is bot.outbox.enqueue.thread_key(request_id), spelled out: a migration must not
    # change when that code does.
    op.execute(
        "INSERT INTO outbox_thread (ordering_key, channel, root_ts, created_at, updated_at) "
        "SELECT 'request:' || CAST(id AS VARCHAR(20)), channel_id, card_ts, created_at, updated_at "
        "FROM detach_request"
    )


def downgrade() -> None:
    op.drop_table("outbox_thread")
