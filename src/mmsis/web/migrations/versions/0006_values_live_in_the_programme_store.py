"""values live in the programme store: drop the web database's copy of routine values and
survey rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 19:20:00

A workspace's DHIS2 values and survey waves live in its DuckDB programme store only
(mmsis.web.programme). Rows still in the web tables are first written out as files beside the
workspace's store (``workspace-<id>-web-values.csv`` as a DHIS2 dataValueSets CSV,
``workspace-<id>-web-survey-<upload>.csv``), so nothing is lost: upload them again to put them in
the store.
"""

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _out_dir(conn: sa.Connection, workspace_id: int) -> Path:
    path = conn.execute(sa.text("SELECT store_path FROM workspaces WHERE id = :w"),
                        {"w": workspace_id}).scalar()
    return Path(path).parent if path else Path.cwd()


def _export(conn: sa.Connection) -> None:
    """Write the rows about to be dropped to files beside each workspace's store."""
    names = set(sa.inspect(conn).get_table_names())
    if "routine_values" in names:
        for (wid,) in conn.execute(sa.text("SELECT DISTINCT workspace_id FROM routine_values")):
            out = _out_dir(conn, wid)
            out.mkdir(parents=True, exist_ok=True)
            rows = conn.execute(sa.text(
                "SELECT data_element, period, org_unit, value FROM routine_values "
                "WHERE workspace_id = :w ORDER BY id"), {"w": wid})
            with open(out / f"workspace-{wid}-web-values.csv", "w", newline="",
                      encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["dataelement", "period", "orgunit", "catoptcombo", "attroptcombo",
                            "value"])
                for de, pe, ou, value in rows:
                    w.writerow([de, pe, ou, "", "", repr(float(value))])
    if "survey_records" in names:
        ups = conn.execute(sa.text(
            "SELECT DISTINCT workspace_id, upload_id FROM survey_records")).all()
        for wid, uid in ups:
            out = _out_dir(conn, wid)
            out.mkdir(parents=True, exist_ok=True)
            recs = [json.loads(t) for (t,) in conn.execute(sa.text(
                "SELECT data_json FROM survey_records WHERE upload_id = :u ORDER BY id"),
                {"u": uid})]
            cols = list(dict.fromkeys(k for r in recs for k in r))
            with open(out / f"workspace-{wid}-web-survey-{uid}.csv", "w", newline="",
                      encoding="utf-8") as fh:
                dw = csv.DictWriter(fh, fieldnames=cols)
                dw.writeheader()
                dw.writerows(recs)


def upgrade() -> None:
    """Export, then drop routine_values and survey_records."""
    conn = op.get_bind()
    _export(conn)
    names = set(sa.inspect(conn).get_table_names())
    if "survey_records" in names:
        op.drop_table("survey_records")
    if "routine_values" in names:
        with op.batch_alter_table("routine_values", schema=None) as batch_op:
            batch_op.drop_index("ix_routine_ws_de_upload")
            batch_op.drop_index("ix_routine_ws_path")
            batch_op.drop_index("ix_routine_ws_de_period")
        op.drop_table("routine_values")


def downgrade() -> None:
    """Recreate the (empty) tables; the values stay in the programme stores."""
    op.create_table(
        "routine_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column("data_element", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("org_unit", sa.String(length=50), nullable=False),
        sa.Column("org_unit_path", sa.String(length=500), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routine_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routine_ws_de_period", ["workspace_id", "data_element", "period"], unique=False
        )
        batch_op.create_index("ix_routine_ws_path", ["workspace_id", "org_unit_path"],
                              unique=False)
        batch_op.create_index(
            "ix_routine_ws_de_upload", ["workspace_id", "data_element", "upload_id"], unique=False
        )
    op.create_table(
        "survey_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
