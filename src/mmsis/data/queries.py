"""Typed reads of the programme store for the packages above ``mmsis.data``.

The store's tables (org_units, data_elements, data_values, batches, value_totals...) are the
store's business: other packages ask these functions (or `Store`'s own methods) for what they
need and get plain Python values or DataFrames back, never a connection to run SQL on. A test
(tests/data/test_store_sql_boundary.py) keeps SQL against the store inside ``mmsis.data``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from mmsis.data import rollup
from mmsis.data.store import Store

# ------------------------------------------------------------------ tables


def has_table(store: Store, name: str) -> bool:
    """True when the store holds a table ``name`` (a read-only store written by an older
    version may lack the newer ones). duckdb_tables(): cheaper than information_schema."""
    rows = store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                             [name]).fetchall()
    return bool(rows[0][0])


def table_names(store: Store) -> set[str]:
    """The names of every table and view the store's database holds."""
    rows = store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {str(r[0]) for r in rows}


# ------------------------------------------------------------------ org units


def org_unit_place(store: Store, org_unit: str) -> tuple[str, int] | None:
    """The path and level of ``org_unit``, None when the store does not know it."""
    rows = store.con.execute("SELECT path, level FROM org_units WHERE id = ?",
                             [org_unit]).fetchall()
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def org_unit_name(store: Store, org_unit: str) -> str | None:
    """The name of ``org_unit`` (what people read), None when the store does not know it."""
    rows = store.con.execute("SELECT name FROM org_units WHERE id = ?", [org_unit]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def has_org_unit(store: Store, org_unit: str) -> bool:
    """True when the store knows ``org_unit``."""
    rows = store.con.execute("SELECT count(*) FROM org_units WHERE id = ?",
                             [org_unit]).fetchall()
    return bool(rows and rows[0][0])


def root_org_units(store: Store) -> list[str]:
    """The org units at the top level of the hierarchy, by id."""
    return [str(r[0]) for r in store.con.execute(
        "SELECT id FROM org_units WHERE level = (SELECT min(level) FROM org_units) ORDER BY id"
    ).fetchall()]


def deepest_level(store: Store) -> int | None:
    """The deepest level of the hierarchy (facilities, usually), None without org units."""
    rows = store.con.execute("SELECT max(level) FROM org_units").fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def org_unit_paths(store: Store) -> pd.DataFrame:
    """Columns id, path of every org unit."""
    return store.query("SELECT id, path FROM org_units")


def units_at_level(store: Store, level: int) -> pd.DataFrame:
    """Columns id, name, population of the org units at ``level`` (each district, say)."""
    return store.query("SELECT id, name, population FROM org_units WHERE level = ?",
                       [int(level)])


# ------------------------------------------------------------------ data elements


def element_ids(store: Store) -> list[str]:
    """The ids of every data element the store knows (with or without values)."""
    return [str(r[0]) for r in store.con.execute("SELECT id FROM data_elements").fetchall()]


def element_choices(store: Store) -> list[tuple[str, str]]:
    """(id, name or id) of every data element, by name: what a form offers to pick from."""
    rows = store.con.execute("SELECT id, coalesce(name, id) FROM data_elements ORDER BY 2"
                             ).fetchall()
    return [(str(i), str(n)) for i, n in rows]


def aggregation_types(store: Store, data_elements: Iterable[str]) -> dict[str, str]:
    """Each known element's DHIS2 aggregation type as stored (SUM when it has none); elements
    the store does not know are left out."""
    rows = store.con.execute(
        "SELECT id, coalesce(aggregation_type, 'SUM') FROM data_elements "
        "WHERE list_contains(?, id)", [[str(d) for d in data_elements]]).fetchall()
    return {str(k): str(v) for k, v in rows}


def valued_elements(store: Store) -> list[str]:
    """The data elements that have values in the store, sorted."""
    return [str(r[0]) for r in store.con.execute(
        "SELECT DISTINCT data_element FROM data_values ORDER BY 1").fetchall()]


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class ValuesSummary:
    """How many data values the store holds, over how many org units and elements, and the
    first and last period (None when it holds none)."""

    values: int
    org_units: int
    data_elements: int
    first: str | None
    last: str | None


def values_summary(store: Store) -> ValuesSummary:
    """Counts and period span of the store's data values (one scan)."""
    rows = store.con.execute(
        "SELECT count(*), count(DISTINCT org_unit), count(DISTINCT data_element), "
        "min(period), max(period) FROM data_values").fetchall()
    n, ous, des, first, last = rows[0]
    return ValuesSummary(values=int(n), org_units=int(ous), data_elements=int(des),
                         first=None if first is None else str(first),
                         last=None if last is None else str(last))


def value_sources(store: Store) -> list[str]:
    """The distinct sources written with the values (``upload:<id>``, ``sync:<job>``...)."""
    return [str(r[0]) for r in store.con.execute(
        "SELECT DISTINCT source FROM data_values").fetchall()]


def values_with_paths(store: Store) -> pd.DataFrame:
    """Every data value in DHIS2's column names (dataElement, period, orgUnit,
    categoryOptionCombo, attributeOptionCombo, value) with its source and its org unit's
    path (to limit them to a subtree)."""
    return store.query(
        "SELECT v.data_element AS dataElement, v.period, v.org_unit AS orgUnit, "
        "v.coc AS categoryOptionCombo, v.aoc AS attributeOptionCombo, v.value, v.source, "
        "o.path FROM data_values v JOIN org_units o ON o.id = v.org_unit")


def element_max_by_unit(store: Store, data_element: str, period: str) -> pd.DataFrame:
    """Columns org_unit, value: for each org unit with any value in ``period``, the largest
    value of ``data_element`` there (NaN when it reported others only)."""
    return store.query(
        "SELECT org_unit, max(CASE WHEN data_element = ? THEN try_cast(value AS "
        "DOUBLE) END) AS value FROM data_values WHERE period = ? GROUP BY org_unit",
        [data_element, period])


# ------------------------------------------------------------------ batches


def batch_rows(store: Store, batch_id: str) -> int | None:
    """The rows a committed batch wrote, None when the batch never committed."""
    rows = store.con.execute("SELECT rows FROM batches WHERE id = ?", [batch_id]).fetchall()
    return int(rows[0][0] or 0) if rows else None


def batches_touching(store: Store, data_elements: Iterable[str]) -> int:
    """Committed batches that wrote one of ``data_elements`` or wrote no data values at all
    (surveys, populations): what the results computed from those elements depend on."""
    rows = store.con.execute(
        "SELECT count(*) FROM batches b WHERE NOT EXISTS (SELECT 1 FROM batch_elements e "
        "WHERE e.batch = b.id) OR EXISTS (SELECT 1 FROM batch_elements e WHERE "
        "e.batch = b.id AND list_contains(?, e.data_element))",
        [[str(d) for d in data_elements]]).fetchall()
    return int(rows[0][0]) if rows else 0


# ------------------------------------------------------------------ value totals


TOTALS_COLUMNS = ["org_unit", "data_element", "period", "value", "n"]


def _totals(store: Store, units_where: str, params: list[object], data_elements: list[str],
            start: str, end: str) -> pd.DataFrame:
    if has_table(store, rollup.TABLE):
        src = rollup.TABLE
    else:  # a read-only store written before the totals existed: the same sums, computed now
        src = f"({rollup.totals_sql('list_contains(?, v.data_element)')})"
        params = [data_elements, *params]
    # a unit with values of its own and below it has two rows (its own, its subtree's): summed
    return store.query(f"""SELECT org_unit, data_element, period, sum(value) AS value,
        sum(n)::BIGINT AS n FROM {src} t
        WHERE {units_where} AND list_contains(?, data_element) AND {rollup.MONTHLY}
        AND period BETWEEN ? AND ? GROUP BY ALL ORDER BY org_unit, data_element, period""",
                       [*params, data_elements, start, end])[TOTALS_COLUMNS]


def subtree_totals(store: Store, org_unit: str, data_elements: list[str], start: str,
                   end: str) -> pd.DataFrame:
    """Monthly totals (org_unit, data_element, period, value, n) of ``org_unit``'s subtree
    from ``value_totals``, months ``start`` to ``end`` (yyyyMM, inclusive)."""
    return _totals(store, "t.org_unit = ?", [org_unit], data_elements, start, end)


def level_totals(store: Store, level: int, data_elements: list[str], start: str, end: str,
                 within: str | None = None) -> pd.DataFrame:
    """The same totals for every unit at ``level``, optionally only those whose path lies
    under ``within`` (a path such as ``/ROOT/REG1``)."""
    cond = "t.level = ?"
    params: list[object] = [int(level)]
    if within:
        cond += (" AND t.org_unit IN (SELECT id FROM org_units WHERE "
                 "starts_with(path || '/', ?))")
        params.append(within.rstrip("/") + "/")
    return _totals(store, cond, params, data_elements, start, end)


def subtree_value_rows(store: Store, org_unit: str, data_elements: list[str]) -> pd.DataFrame:
    """Columns data_element, org_unit, period, value, monthly: ``org_unit``'s own
    ``value_totals`` rows (every period, non-empty values), ``monthly`` False for a period
    that is not a month. Needs the totals table (see `has_table`)."""
    # (a unit with values of its own and below it has two rows, its own and its subtree's)
    # The unit's level, a constant, lets DuckDB skip the row groups of other levels by their
    # min/max: the facilities' rows, most of the table, are never read for a district's.
    found = store.con.execute("SELECT level FROM org_units WHERE id = ? AND level IS NOT NULL",
                              [org_unit]).fetchall()
    level = f"AND level = {int(found[0][0])}" if found else ""
    return store.query(f"""SELECT data_element, org_unit, period, sum(value) AS value,
        {rollup.MONTHLY} AS monthly FROM {rollup.TABLE} WHERE org_unit = ? {level}
        AND list_contains(?, data_element) AND value IS NOT NULL GROUP BY ALL""",
                       [org_unit, data_elements])


# ------------------------------------------------------------------ roll-up inputs


def unit_month_sums(store: Store, columns: dict[str, str], path: str) -> pd.DataFrame:
    """Columns org_unit, period and one per entry of ``columns`` (column name -> data element):
    each org unit's month total of the element over every option combo, for the org units
    whose path lies under ``path`` (itself included). One scan of the values."""
    names = list(columns)
    known = [columns[n] for n in names]
    cols = ", ".join(f"sum(value) FILTER (WHERE data_element = ${i + 3}) AS \"{name}\""
                     for i, name in enumerate(names))
    return store.query(
        f"SELECT v.org_unit, v.period, {cols} FROM data_values v JOIN org_units o "
        "ON o.id = v.org_unit WHERE list_contains($1, v.data_element) "
        "AND starts_with(o.path || '/', $2) GROUP BY ALL",
        [known, path.rstrip("/") + "/", *known])


def _ancestor_sql(level: int) -> str:
    """SQL: the id of the ancestor (or the unit itself) at ``level`` of org unit ``o``."""
    return f"string_split(trim(o.path, '/'), '/')[{int(level)}]"


def reporting_units(store: Store, data_elements: Iterable[str], level: int) -> pd.DataFrame:
    """Columns org_unit (at ``level``), period, units: how many org units below each one had a
    value of any of ``data_elements`` in each month (facilities reporting)."""
    return store.query(
        f"SELECT {_ancestor_sql(level)} AS org_unit, v.period, "
        "count(DISTINCT v.org_unit) AS units FROM data_values v JOIN org_units o "
        "ON o.id = v.org_unit WHERE o.level >= ? AND list_contains(?, v.data_element) "
        "AND v.value IS NOT NULL GROUP BY ALL ORDER BY 1, 2",
        [int(level), [str(d) for d in data_elements]])


def report_totals(store: Store, level: int, data_set: str | None = None) -> pd.DataFrame:
    """Data-set reports summed to each org unit at ``level`` by period: expected, received,
    on_time, pop_expected, pop_received (weighted by each reporting unit's population)."""
    where = "o.level >= ?" + (" AND r.data_set = ?" if data_set else "")
    params: list[object] = [int(level)] + ([data_set] if data_set else [])
    return store.query(
        f"SELECT {_ancestor_sql(level)} AS org_unit, r.period, sum(r.expected) AS expected, "
        "sum(r.received) AS received, sum(r.on_time) AS on_time, "
        "sum(r.expected * o.population) AS pop_expected, "
        "sum(r.received * o.population) AS pop_received FROM reports r JOIN org_units o "
        f"ON o.id = r.org_unit WHERE {where} GROUP BY ALL ORDER BY 1, 2", params)


def leaves_under(store: Store, level: int) -> pd.DataFrame:
    """The leaf org units (column leaf) with their ancestor at ``level`` (column org_unit) and
    opening date."""
    return store.query(
        f"SELECT {_ancestor_sql(level)} AS org_unit, o.id AS leaf, o.opening_date "
        "FROM org_units o WHERE o.level >= ? AND o.id NOT IN (SELECT DISTINCT unnest("
        "list_slice(p, 1, len(p) - 1)) FROM (SELECT string_split(trim(path, '/'), '/') AS p "
        "FROM org_units)) ORDER BY 1, 2", [int(level)])


@dataclass(frozen=True)
class ValueColumn:
    """One column of `value_sums`: the sum of ``data_element``'s values (only those of the
    category option combo ``coc`` and attribute option combo ``aoc`` when given)."""

    name: str
    data_element: str
    coc: str | None = None
    aoc: str | None = None


REPORT_COLUMNS = ("expected", "received", "on_time")
"""The counts a data-set report row holds (expected, received, on time)."""


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _value_sums_sql(columns: Iterable[ValueColumn]) -> str:
    cols, des = [], set()
    for c in columns:
        cond = f"data_element = {_sql_str(c.data_element)}"
        if c.coc:
            cond += f" AND coc = {_sql_str(c.coc)}"
        if c.aoc:
            cond += f" AND aoc = {_sql_str(c.aoc)}"
        # sum(CASE ...) rather than sum(...) FILTER: the same sums (NULL where none), ~10%
        # less CPU in DuckDB 1.x-2.0 on millions of values
        cols.append(f'sum(CASE WHEN {cond} THEN value END) AS "{c.name}"')
        des.add(c.data_element)
    return (f"SELECT org_unit, period, {', '.join(cols)} FROM data_values "
            f"WHERE data_element IN ({', '.join(map(_sql_str, sorted(des)))}) GROUP BY ALL")


def _report_sums_sql(columns: dict[str, tuple[str, str]]) -> str:
    cols = []
    for name, (data_set, count) in columns.items():
        if count not in REPORT_COLUMNS:
            raise ValueError(f"no report count {count!r}")
        cols.append(f'sum({count}) FILTER (WHERE data_set = {_sql_str(data_set)})::DOUBLE '
                    f'AS "{name}"')
    return f"SELECT org_unit, period, {', '.join(cols)} FROM reports GROUP BY ALL"


def value_sums(store: Store, columns: Iterable[ValueColumn]) -> pd.DataFrame:
    """Columns org_unit, period and one per `ValueColumn`: each org unit's sum in each stored
    period (one scan of the values of the elements named)."""
    return store.query(_value_sums_sql(columns))


def report_sums(store: Store, columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Columns org_unit, period and one per entry of ``columns`` (name -> (data set, one of
    `REPORT_COLUMNS`)): the data set's reports summed by org unit and period."""
    return store.query(_report_sums_sql(columns))


def item_sums(store: Store, values: list[ValueColumn],
              reports: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """`value_sums` and `report_sums` side by side: one row per (org_unit, period) that either
    has (a full outer join in DuckDB, which spills, instead of a merge of two frames in
    pandas: one conversion of the keys to Python, and a cost that follows the rows)."""
    if not reports:
        return value_sums(store, values)
    if not values:
        return report_sums(store, reports)
    names = [f'"{c.name}"' for c in values] + [f'"{n}"' for n in reports]
    return store.query(f"""SELECT coalesce(v.org_unit, r.org_unit) AS org_unit,
        coalesce(v.period, r.period) AS period, {', '.join(names)}
        FROM ({_value_sums_sql(values)}) v FULL OUTER JOIN ({_report_sums_sql(reports)}) r
        ON v.org_unit = r.org_unit AND v.period = r.period""")


def org_unit_levels(store: Store) -> pd.DataFrame:
    """Columns id, path, level of every org unit."""
    return store.query("SELECT id, path, level FROM org_units")


def org_unit_populations(store: Store) -> pd.DataFrame:
    """Columns id, name, population of every org unit."""
    return store.query("SELECT id, name, population FROM org_units")


def leaf_population_sums(store: Store) -> pd.DataFrame:
    """Columns id, pop: the populations of the leaf org units (facilities) below each unit,
    summed (each leaf counts for every unit above it on its path, not for itself)."""
    # an equi-join on the path's ids, not a prefix match of every pair of units
    return store.query("""SELECT a AS id, sum(population) AS pop FROM (SELECT c.id,
            c.population, unnest(string_split(trim(c.path, '/'), '/')) AS a FROM org_units c
            WHERE NOT EXISTS (SELECT 1 FROM org_units x WHERE x.parent_id = c.id))
            WHERE a <> id GROUP BY a""")


def yearly_populations(store: Store) -> pd.DataFrame:
    """Columns ou, year, pop from the ``populations`` table: each unit's own figures, and for
    a unit without one in a year, its leaves' figures of that year summed upwards."""
    return store.query("""SELECT org_unit AS ou, year, population AS pop FROM populations
        UNION ALL
        SELECT l.a AS ou, l.year, sum(l.population) AS pop FROM (
            SELECT p.year, p.population, unnest(string_split(trim(c.path, '/'), '/')) AS a
            FROM populations p JOIN org_units c ON c.id = p.org_unit
            WHERE NOT EXISTS (SELECT 1 FROM org_units x WHERE x.parent_id = c.id)) l
        WHERE NOT EXISTS (SELECT 1 FROM populations q WHERE q.org_unit = l.a
                          AND q.year = l.year)
        GROUP BY l.a, l.year""")


def names(store: Store) -> dict[str, dict[str, str]]:
    """Org-unit, data-element and data-set names the store holds ({"org_unit": {id: name},
    "data_element": ..., "data_set": ...}), blank names left out; a kind whose table a store
    lacks (an older read-only one) is left out."""
    out: dict[str, dict[str, str]] = {}
    for kind, table in (("org_unit", "org_units"), ("data_element", "data_elements"),
                        ("data_set", "data_sets")):
        if not has_table(store, table):
            continue
        rows = store.con.execute(f"SELECT id, name FROM {table}").fetchall()
        out[kind] = {str(i): str(n) for i, n in rows if n is not None and str(n).strip()}
    return out
