"""attach: requests that attach ENIs, and undo links

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:00:00

A request's status may now be attaching or attached; each target carries its request's
operation (workers know which call to make without a join); an attach request made to undo a
detach request names it (`undo_of`). Every existing request and target is a detach.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "'pending', 'approved', 'executing', 'detaching', 'detached', 'stuck', 'failed', "
    "'rejected', 'expired', 'cancelled'"
)
_AFTER = (
    "'pending', 'approved', 'executing', 'detaching', 'detached', 'attaching', 'attached', "
    "'stuck', 'failed', 'rejected', 'expired', 'cancelled'"
)


def upgrade() -> None:
    with op.batch_alter_table("detach_request") as batch:
        batch.drop_constraint("status_valid", type_="check")
        batch.create_check_constraint("status_valid", f"status IN ({_AFTER})")
        batch.add_column(sa.Column("undo_of", sa.Integer(), nullable=True))
    with op.batch_alter_table("request_target") as batch:
        batch.add_column(
            sa.Column("operation", sa.String(length=16), nullable=False, server_default="detach")
        )


def downgrade() -> None:
    bind = op.get_bind()
    attach = bind.execute(sa.text("SELECT count(*) FROM detach_request WHERE operation = 'attach'"))
    if attach.scalar_one():
        raise RuntimeError("cannot downgrade below 0004: attach requests exist")
    with op.batch_alter_table("request_target") as batch:
        batch.drop_column("operation")
    with op.batch_alter_table("detach_request") as batch:
        batch.drop_column("undo_of")
        batch.drop_constraint("status_valid", type_="check")
        batch.create_check_constraint("status_valid", f"status IN ({_BEFORE})")
