"""Pre-aggregated totals of the store's data values by org unit (every level) and period.

``value_totals(level, org_unit, data_element, period, value, n)`` holds, for every org unit and
each of its ancestors, the sum of the data values of its subtree (over option combos) and how
many values went into it. Pages and APIs read a unit's monthly series from here instead of
scanning ``data_values``. The table is kept up to date inside each import's transaction, for
the (data element, period) slices the import changed only, so a one-month import costs that
month; a change of the org-unit hierarchy (a path moves) rebuilds it.
"""

from __future__ import annotations

import duckdb

TABLE = "value_totals"
SCHEMA = f"""CREATE TABLE IF NOT EXISTS {TABLE} (level INTEGER, org_unit VARCHAR,
    data_element VARCHAR, period VARCHAR, value DOUBLE, n BIGINT)"""
MONTHLY = "regexp_full_match(period, '[0-9]{6}')"
"""SQL: the period is a month (DHIS2's yyyyMM)."""


_UP = """SELECT o.id AS org_unit, a.id AS anc, a.level FROM (SELECT id,
    unnest(string_split(trim(path, '/'), '/')) AS aid FROM org_units) o
    JOIN org_units a ON a.id = o.aid WHERE a.id <> o.id"""
"""Each org unit with each of its ancestors (itself excluded) and the ancestor's level."""


def _own_sql(values_where: str) -> str:
    return (f"SELECT org_unit, data_element, period, sum(value) AS value, count(*) AS n "
            f"FROM data_values v WHERE {values_where} GROUP BY ALL")


def _from_own_sql(own: str) -> str:
    """The totals from per-unit sums ``own``: each unit's own row, and its ancestors' sums
    (grouped apart: few groups, so the grouping stays small whatever the data size)."""
    return f"""SELECT u.level, own.org_unit, own.data_element, own.period, own.value,
            own.n::BIGINT AS n FROM {own} own JOIN org_units u ON u.id = own.org_unit
        UNION ALL
        SELECT up.level, up.anc, own.data_element, own.period, sum(own.value),
            sum(own.n)::BIGINT FROM {own} own JOIN ({_UP}) up ON up.org_unit = own.org_unit
            GROUP BY ALL"""


def totals_sql(values_where: str = "true") -> str:
    """SELECT level, org_unit, data_element, period, value, n: the totals of the data values
    matching ``values_where`` (on alias ``v``), for each unit on each value's path, in one
    statement (for reading a store that has no totals table)."""
    return f"WITH own AS ({_own_sql(values_where)}) {_from_own_sql('own')}"


def _insert(con: duckdb.DuckDBPyConnection, values_where: str) -> None:
    """Add the totals of the values matching ``values_where``: the values are first summed
    per org unit over option combos (a spillable grouping into a temp table), then rolled up."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rollup_own AS {_own_sql(values_where)}")
    con.execute(f"INSERT INTO {TABLE} {_from_own_sql('_rollup_own')}")
    # dropped on success only: a failed statement aborts the caller's transaction, whose
    # rollback removes the scratch table (a DROP there would hide the failure's own error)
    con.execute("DROP TABLE IF EXISTS _rollup_own")


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create the totals table; build it once for a store that has values but no totals (a
    store written before the table existed)."""
    con.execute(SCHEMA)
    row = con.execute(f"SELECT (SELECT count(*) FROM {TABLE}) = 0 AND EXISTS "
                      "(SELECT 1 FROM data_values)").fetchone()
    if row and row[0]:
        rebuild(con)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every total (in the caller's transaction, if any)."""
    con.execute(f"DELETE FROM {TABLE}")
    _insert(con, "true")


def refresh(con: duckdb.DuckDBPyConnection, changed: str) -> None:
    """Recompute the totals of the (data_element, period) slices listed in the table or view
    ``changed`` (columns data_element, period), in the caller's transaction: only those slices'
    values are read, so the cost follows what the import changed."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rollup_slices AS
        SELECT DISTINCT data_element, period FROM {changed}""")
    row = con.execute("SELECT count(*), min(period), max(period) FROM _rollup_slices").fetchone()
    if row and row[0]:
        lo, hi = (str(x).replace("'", "''") for x in row[1:])
        con.execute(f"""DELETE FROM {TABLE} t USING _rollup_slices s
            WHERE t.period BETWEEN '{lo}' AND '{hi}' AND t.data_element = s.data_element
            AND t.period = s.period""")
        # the period range lets DuckDB skip the row groups of other months by their min/max
        where = (f"v.period BETWEEN '{lo}' AND '{hi}' AND EXISTS (SELECT 1 FROM "
                 "_rollup_slices s WHERE s.data_element = v.data_element AND "
                 "s.period = v.period)")
        _insert(con, where)
    con.execute("DROP TABLE IF EXISTS _rollup_slices")  # on success only, as in _insert
