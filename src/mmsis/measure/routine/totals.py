"""Monthly totals of data elements over org-unit subtrees, read from the store's pre-aggregated
``value_totals`` (kept by every import; see ``mmsis.data.rollup``), not from the raw values.

For pages and APIs on a large country: a unit's series is a lookup of a few hundred rows
instead of a scan of every facility's values.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mmsis.data import queries, rollup
from mmsis.data.dhis2.periods import is_valid_period
from mmsis.data.store import Store
from mmsis.errors import InputError

COLUMNS = queries.TOTALS_COLUMNS


def _months(start: str | None, end: str | None) -> tuple[str, str]:
    for name, pe in (("start", start), ("end", end)):
        if pe is not None and not (len(pe) == 6 and pe.isdigit() and is_valid_period(pe)):
            raise InputError(f"{name} must be a month (yyyyMM), got {pe!r}", field=name)
    return start or "000000", end or "999999"


def _elements(data_elements: Sequence[str]) -> list[str]:
    des = [str(d) for d in data_elements]
    if not des:
        raise InputError("name at least one data element", field="data_elements")
    return des


def subtree_monthly_totals(store: Store, org_unit: str, data_elements: Sequence[str], *,
                           start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Monthly totals of ``data_elements`` over the subtree of ``org_unit`` (the unit and every
    unit below it, summed over option combos): columns org_unit, data_element, period, value,
    n (how many stored values were summed), months from ``start`` to ``end`` (yyyyMM)."""
    if not queries.has_org_unit(store, org_unit):
        raise InputError(f"unknown org unit {org_unit!r}", field="org_unit")
    lo, hi = _months(start, end)
    return queries.subtree_totals(store, org_unit, _elements(data_elements), lo, hi)


def level_monthly_totals(store: Store, level: int, data_elements: Sequence[str], *,
                         within: str | None = None, start: str | None = None,
                         end: str | None = None) -> pd.DataFrame:
    """The same totals for every unit at ``level`` (e.g. each district), optionally only those
    under the org-unit path ``within`` (a user's subtree, e.g. ``/ROOT/REG1``)."""
    if level < 1:
        raise InputError("level must be 1 or more", field="level")
    lo, hi = _months(start, end)
    return queries.level_totals(store, level, _elements(data_elements), lo, hi, within)


SERIES_COLUMNS = ["data_element", "org_unit", "period", "value"]


def subtree_series(store: Store, data_elements: Sequence[str],
                   org_unit: str) -> pd.DataFrame | None:
    """`monthly_series` rows (data_element, org_unit, period, value) of ``org_unit``'s subtree
    read from ``value_totals``, or None when the totals cannot give the same answer: an element
    that does not sum (stock is LAST), a non-monthly period in the subtree, or no totals table.
    A lookup of one unit's rows instead of a scan and roll-up of every facility's values."""
    des = list(dict.fromkeys(str(d) for d in data_elements))
    if not des or not queries.has_table(store, rollup.TABLE):
        return None
    types = queries.aggregation_types(store, des)
    if any(t.upper() != "SUM" for t in types.values()):
        return None
    rows = queries.subtree_value_rows(store, org_unit, des)
    if not bool(rows["monthly"].all()):
        return None
    out = rows[SERIES_COLUMNS].astype({"period": str, "value": float})
    return out.sort_values(["data_element", "org_unit", "period"]).reset_index(drop=True)
