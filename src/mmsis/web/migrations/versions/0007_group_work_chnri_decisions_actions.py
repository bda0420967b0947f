"""group work: CHNRI scores per member, decisions and adaptations, actions on key results

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 19:00:00

Each member's CHNRI scores of the agenda's questions (issue #16), the workspace's decision and
adaptation log (FRAME-IS fields, mmsis.plan.decisions.Adaptation as JSON) and its actions on key
results (owner, due date, status; mmsis.plan.decisions.Action as JSON, with the due date and
status also as columns for the dashboard's overdue list).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "chnri_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("criterion", sa.String(length=50), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "user_id", "question", "criterion"),
    )
    op.create_table(
        "decision_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision_records", schema=None) as batch_op:
        batch_op.create_index("ix_decision_records_workspace_date", ["workspace_id", "date"])
    op.create_table(
        "action_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("action_records", schema=None) as batch_op:
        batch_op.create_index("ix_action_records_workspace_due", ["workspace_id", "due"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("action_records", schema=None) as batch_op:
        batch_op.drop_index("ix_action_records_workspace_due")
    op.drop_table("action_records")
    with op.batch_alter_table("decision_records", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_records_workspace_date")
    op.drop_table("decision_records")
    op.drop_table("chnri_scores")
