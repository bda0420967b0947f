"""a version of each workspace's org units

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:55:00

`services.load_org_units` (every org-unit import, re-import or move) gives it a new random
stamp in the same transaction, so the dashboard's district list and the panels that name or
filter by org units can be cached under it, on every worker (the count of org units that the
warm-up compared missed a rename or a move).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_units_version", sa.BigInteger(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("org_units_version")
