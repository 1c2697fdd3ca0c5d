"""detach_request.rule_name, rule: the approval-policy rule that governs each request

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

CONTRACT.md "Approval policy (0.2)": the governing rule is stored on the request (its name, and
a snapshot of what it asked at submission: approvers, approvals, auto_approve,
allow_self_approval, the freezes in force), shown on the card, in `/eni status` and in the audit
trail. Requests stored before this revision have no rule (NULL, `{}`): a click on one is checked
against the rule the policy in force gives it then.

Downgrade drops both columns; the request's approvals_needed still says how many it needs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
# The head when this was written; the attach revision (0004) may come between at merge.
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("detach_request") as batch:
        batch.add_column(sa.Column("rule_name", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("rule", _json(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("detach_request") as batch:
        batch.drop_column("rule")
        batch.drop_column("rule_name")
