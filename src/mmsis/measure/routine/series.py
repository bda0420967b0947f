"""Monthly series of data elements over an org unit's whole subtree: the one roll-up that the
web's trends and indicators API, `mmsis routine series`, evaluation panels and forecasts use.

Each month's value sums the category and attribute option combos of every org unit, then
aggregates over the subtree by the element's DHIS2 aggregation type (SUM for counts, LAST for
stock, ...; mmsis.measure.routine.aggregate), over a hierarchy of any depth.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine.aggregate import aggregate
from mmsis.measure.routine.expressions import Item

SERIES_COLUMNS = ["data_element", "org_unit", "period", "value"]


def _org_unit(store: Store, org_unit: str) -> tuple[str, int]:
    row = store.con.execute("SELECT path, level FROM org_units WHERE id = ?",
                            [org_unit]).fetchone()
    if row is None:
        raise InputError(f"no org unit '{org_unit}' in the store", field="org_unit")
    return str(row[0]), int(row[1])


def roots(store: Store) -> list[str]:
    """The org units without a parent (the top of the hierarchy)."""
    return [str(r[0]) for r in store.con.execute(
        "SELECT id FROM org_units WHERE level = (SELECT min(level) FROM org_units) ORDER BY id"
    ).fetchall()]


def monthly_series(store: Store, data_elements: Iterable[str], org_unit: str | None = None,
                   level: int | None = None) -> pd.DataFrame:
    """Rows (data_element, org_unit, period YYYYMM, value) of each month's value over the
    subtree of ``org_unit`` (default: the hierarchy's root); with ``level``, one row per org
    unit at that level inside ``org_unit``. Values of every combo are included; the subtree is
    aggregated by each element's aggregation type. Unknown elements give no rows."""
    des = list(dict.fromkeys(str(d) for d in data_elements))
    if org_unit is None:
        top = roots(store)
        if len(top) != 1:
            raise InputError("name an org unit: the store has "
                             f"{'no' if not top else len(top)} roots", field="org_unit")
        org_unit = top[0]
    path, ou_level = _org_unit(store, org_unit)
    target = ou_level if level is None else int(level)
    if target < ou_level:
        raise InputError(f"level {target} is above {org_unit} (level {ou_level})",
                         field="level")
    if not des:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    types = dict(store.con.execute(
        "SELECT id, coalesce(aggregation_type, 'SUM') FROM data_elements "
        "WHERE list_contains(?, id)", [des]).fetchall())
    known = [d for d in des if d in types]
    if not known:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    items = {d: Item("de", d) for d in known}
    # one scan: each org unit's month total over all combos, inside the subtree only
    cols = ", ".join(f"sum(value) FILTER (WHERE data_element = ${i + 3}) AS \"{it.name}\""
                     for i, it in enumerate(items.values()))
    frame = store.query(
        f"SELECT v.org_unit, v.period, {cols} FROM data_values v JOIN org_units o "
        "ON o.id = v.org_unit WHERE list_contains($1, v.data_element) "
        "AND starts_with(o.path || '/', $2) GROUP BY ALL",
        [known, path.rstrip("/") + "/", *known])
    rules = {it.name: str(types[d]) for d, it in items.items()}
    agg = aggregate(frame, rules, store, target, "monthly")
    if agg.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    if level is None:
        agg = agg[agg["ou"] == org_unit]
    out = agg.melt(id_vars=["ou", "target"], value_vars=list(rules), var_name="item",
                   value_name="value").dropna(subset=["value"])
    names = {it.name: d for d, it in items.items()}
    result = pd.DataFrame({"data_element": out["item"].map(names), "org_unit": out["ou"],
                           "period": out["target"].astype(str),
                           "value": out["value"].astype(float)})
    return result.sort_values(["data_element", "org_unit", "period"]).reset_index(drop=True)


def series_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Series rows as JSON-ready dicts (the API's and the CLI's --json rows)."""
    return [{"data_element": str(r.data_element), "org_unit": str(r.org_unit),
             "period": str(r.period), "value": float(r.value)}
            for r in frame.itertuples(index=False)]
