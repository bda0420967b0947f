"""accounts and scopes: active users, memberships scoped by org-unit id, attempt outcomes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 19:00:00

Memberships now name the org unit (id) they are limited to instead of a copy of its path, so
a scope follows its unit when an org-unit re-import moves it. Existing rows keep the unit
named by the last segment of their stored path (paths are made of unit ids).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # plain ADD COLUMN (no batch copy): on SQLite a batch copy drops and re-creates the table,
    # and dropping `users` with foreign keys on would cascade-delete every membership
    op.add_column(
        "users", sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("memberships", sa.Column("org_unit_id", sa.String(length=50), nullable=True))
    memberships = sa.table(
        "memberships",
        sa.column("id", sa.Integer),
        sa.column("org_unit_path", sa.String),
        sa.column("org_unit_id", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(memberships.c.id, memberships.c.org_unit_path).where(
            memberships.c.org_unit_path.is_not(None)
        )
    ).all()
    for mid, path in rows:
        unit = str(path).rstrip("/").rsplit("/", 1)[-1][:50]
        conn.execute(
            memberships.update().where(memberships.c.id == mid).values(org_unit_id=unit)
        )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("org_unit_path")
    op.add_column(
        "login_attempts",
        sa.Column("outcome", sa.String(length=10), nullable=False, server_default="failed"),
    )
    op.create_index("ix_login_attempts_client_at", "login_attempts", ["client", "at"])


def downgrade() -> None:
    """Downgrade schema (scopes go back to the unit's current path)."""
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_client_at")
        batch_op.drop_column("outcome")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_unit_path", sa.String(length=500), nullable=True))
    op.execute(
        "UPDATE memberships SET org_unit_path = (SELECT o.path FROM org_units o "
        "WHERE o.workspace_id = memberships.workspace_id AND o.id = memberships.org_unit_id)"
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("org_unit_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_active")
