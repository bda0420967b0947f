"""strategy specifications on the agenda

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 20:35:00

Issue #16: each strategy on a workspace's agenda can be specified in the seven dimensions of
Proctor et al. 2013 (actor, action, target, temporality, dose, implementation outcome,
justification), as the plan file already allows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("actor", "action", "target", "temporality", "dose", "outcome", "justification")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "strategy_specs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        *(sa.Column(f, sa.String(length=500), nullable=False) for f in FIELDS),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["agenda_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("strategy_specs")
