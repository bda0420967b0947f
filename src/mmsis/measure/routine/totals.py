"""Monthly totals of data elements over org-unit subtrees, read from the store's pre-aggregated
``value_totals`` (kept by every import; see ``mmsis.data.rollup``), not from the raw values.

For pages and APIs on a large country: a unit's series is a lookup of a few hundred rows
instead of a scan of every facility's values.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mmsis.data import rollup
from mmsis.data.dhis2.periods import is_valid_period
from mmsis.data.store import Store
from mmsis.errors import InputError

COLUMNS = ["org_unit", "data_element", "period", "value", "n"]


def _has_totals(store: Store) -> bool:
    rows = store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                             [rollup.TABLE]).fetchall()
    return bool(rows[0][0])


def _months(start: str | None, end: str | None) -> tuple[str, str]:
    for name, pe in (("start", start), ("end", end)):
        if pe is not None and not (len(pe) == 6 and pe.isdigit() and is_valid_period(pe)):
            raise InputError(f"{name} must be a month (yyyyMM), got {pe!r}", field=name)
    return start or "000000", end or "999999"


def _read(store: Store, units_where: str, params: list[object], data_elements: Sequence[str],
          start: str | None, end: str | None) -> pd.DataFrame:
    lo, hi = _months(start, end)
    des = [str(d) for d in data_elements]
    if not des:
        raise InputError("name at least one data element", field="data_elements")
    if _has_totals(store):
        src = rollup.TABLE
    else:  # a read-only store written before the totals existed: the same sums, computed now
        src = f"({rollup.totals_sql('list_contains(?, v.data_element)')})"
        params = [des, *params]
    # a unit with values of its own and below it has two rows (its own, its subtree's): summed
    return store.query(f"""SELECT org_unit, data_element, period, sum(value) AS value,
        sum(n)::BIGINT AS n FROM {src} t
        WHERE {units_where} AND list_contains(?, data_element) AND {rollup.MONTHLY}
        AND period BETWEEN ? AND ? GROUP BY ALL ORDER BY org_unit, data_element, period""",
                       [*params, des, lo, hi])[COLUMNS]


def subtree_monthly_totals(store: Store, org_unit: str, data_elements: Sequence[str], *,
                           start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Monthly totals of ``data_elements`` over the subtree of ``org_unit`` (the unit and every
    unit below it, summed over option combos): columns org_unit, data_element, period, value,
    n (how many stored values were summed), months from ``start`` to ``end`` (yyyyMM)."""
    row = store.con.execute("SELECT count(*) FROM org_units WHERE id = ?", [org_unit]).fetchone()
    if not row or not row[0]:
        raise InputError(f"unknown org unit {org_unit!r}", field="org_unit")
    return _read(store, "t.org_unit = ?", [org_unit], data_elements, start, end)


def level_monthly_totals(store: Store, level: int, data_elements: Sequence[str], *,
                         within: str | None = None, start: str | None = None,
                         end: str | None = None) -> pd.DataFrame:
    """The same totals for every unit at ``level`` (e.g. each district), optionally only those
    under the org-unit path ``within`` (a user's subtree, e.g. ``/ROOT/REG1``)."""
    if level < 1:
        raise InputError("level must be 1 or more", field="level")
    cond = "t.level = ?"
    params: list[object] = [int(level)]
    if within:
        cond += (" AND t.org_unit IN (SELECT id FROM org_units WHERE "
                 "starts_with(path || '/', ?))")
        params.append(within.rstrip("/") + "/")
    return _read(store, cond, params, data_elements, start, end)


SERIES_COLUMNS = ["data_element", "org_unit", "period", "value"]


def subtree_series(store: Store, data_elements: Sequence[str],
                   org_unit: str) -> pd.DataFrame | None:
    """`monthly_series` rows (data_element, org_unit, period, value) of ``org_unit``'s subtree
    read from ``value_totals``, or None when the totals cannot give the same answer: an element
    that does not sum (stock is LAST), a non-monthly period in the subtree, or no totals table.
    A lookup of one unit's rows instead of a scan and roll-up of every facility's values."""
    des = list(dict.fromkeys(str(d) for d in data_elements))
    if not des or not _has_totals(store):
        return None
    types = dict(store.con.execute(
        "SELECT id, upper(coalesce(aggregation_type, 'SUM')) FROM data_elements "
        "WHERE list_contains(?, id)", [des]).fetchall())
    if any(t != "SUM" for t in types.values()):
        return None
    # (a unit with values of its own and below it has two rows, its own and its subtree's)
    rows = store.query(f"""SELECT data_element, org_unit, period, sum(value) AS value,
        {rollup.MONTHLY} AS monthly FROM {rollup.TABLE} WHERE org_unit = ?
        AND list_contains(?, data_element) AND value IS NOT NULL GROUP BY ALL""",
                       [org_unit, des])
    if not bool(rows["monthly"].all()):
        return None
    out = rows[SERIES_COLUMNS].astype({"period": str, "value": float})
    return out.sort_values(["data_element", "org_unit", "period"]).reset_index(drop=True)
