"""org units looked up by level

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:30:00

Every dashboard request lists the user's districts (org units of the mapping's district level);
without this index that read scans all of a workspace's org units (21,000 for a large country).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.create_index("ix_org_units_workspace_level", ["workspace_id", "level"],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index("ix_org_units_workspace_level")
