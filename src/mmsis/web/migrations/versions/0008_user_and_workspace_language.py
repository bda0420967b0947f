"""a language per user and per workspace

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:10:00

The user's chosen language (en, fr, pt; empty = the browser's Accept-Language) and the
workspace's default language for members who have not chosen one (issue #17).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
