"""Monthly series of data elements over an org unit's whole subtree: the one roll-up that the
web's trends and indicators API, `mmsis routine series`, evaluation panels and forecasts use.

Each month's value sums the category and attribute option combos of every org unit, then
aggregates over the subtree by the element's DHIS2 aggregation type (SUM for counts, LAST for
stock, ...; mmsis.measure.routine.aggregate), over a hierarchy of any depth.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mmsis.data import queries
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine.aggregate import aggregate
from mmsis.measure.routine.expressions import Item

SERIES_COLUMNS = ["data_element", "org_unit", "period", "value"]


def _org_unit(store: Store, org_unit: str) -> tuple[str, int]:
    place = queries.org_unit_place(store, org_unit)
    if place is None:
        raise InputError(f"no org unit '{org_unit}' in the store", field="org_unit")
    return place


def roots(store: Store) -> list[str]:
    """The org units without a parent (the top of the hierarchy)."""
    return queries.root_org_units(store)


def monthly_series(store: Store, data_elements: Iterable[str], org_unit: str | None = None,
                   level: int | None = None, *, units: bool = False) -> pd.DataFrame:
    """Rows (data_element, org_unit, period YYYYMM, value) of each month's value over the
    subtree of ``org_unit`` (default: the hierarchy's root); with ``level``, one row per org
    unit at that level inside ``org_unit``. Values of every combo are included; the subtree is
    aggregated by each element's aggregation type. Unknown elements give no rows. With
    ``units``, a column ``units`` counts the org units whose values went into each row (for
    means per reporting unit)."""
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
    types = queries.aggregation_types(store, des)
    known = [d for d in des if d in types]
    if not known:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    items = {d: Item("de", d) for d in known}
    # one scan: each org unit's month total over all combos, inside the subtree only
    frame = queries.unit_month_sums(store, {it.name: d for d, it in items.items()}, path)
    rules = {it.name: str(types[d]) for d, it in items.items()}
    counted = {f"{name}#n": name for name in rules} if units else {}
    frame = frame.assign(**{n: frame[name] for n, name in counted.items()})
    agg = aggregate(frame, {**rules, **dict.fromkeys(counted, "COUNT")}, store, target,
                    "monthly")
    columns = [*SERIES_COLUMNS, "units"] if units else SERIES_COLUMNS
    if agg.empty:
        return pd.DataFrame(columns=columns)
    if level is None:
        agg = agg[agg["ou"] == org_unit]
    out = agg.melt(id_vars=["ou", "target"], value_vars=list(rules), var_name="item",
                   value_name="value").dropna(subset=["value"])
    names = {it.name: d for d, it in items.items()}
    result = pd.DataFrame({"data_element": out["item"].map(names), "org_unit": out["ou"],
                           "period": out["target"].astype(str),
                           "value": out["value"].astype(float)})
    if units:
        n = agg.melt(id_vars=["ou", "target"], value_vars=list(counted), var_name="item",
                     value_name="units")
        n = n.assign(item=n["item"].map(counted), target=n["target"].astype(str))
        result = result.merge(n.rename(columns={"ou": "org_unit", "target": "period"})
                              .assign(data_element=lambda d: d["item"].map(names))
                              .drop(columns="item"),
                              on=["data_element", "org_unit", "period"], how="left")
        result["units"] = result["units"].fillna(0).astype(int)
    return result.sort_values(["data_element", "org_unit", "period"]).reset_index(drop=True)


def level_series(store: Store, data_elements: Iterable[str], level: int, *,
                 within: str | None = None, units: bool = False) -> pd.DataFrame:
    """`monthly_series` for every org unit at ``level`` (each district, say), under every root
    of the hierarchy or only inside the org unit ``within``."""
    des = list(data_elements)
    tops = [within] if within else roots(store)
    frames = [monthly_series(store, des, top, level, units=units) for top in tops]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*SERIES_COLUMNS, "units"] if units else SERIES_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def reporting_units(store: Store, data_elements: Iterable[str], level: int) -> pd.DataFrame:
    """Columns org_unit (at ``level``), period, units: how many org units below each one had a
    value of any of ``data_elements`` in each month (facilities reporting)."""
    return queries.reporting_units(store, data_elements, level)


def report_totals(store: Store, level: int, data_set: str | None = None) -> pd.DataFrame:
    """Data-set reports summed to each org unit at ``level`` by period: expected, received,
    on_time, and the same weighted by each reporting unit's population (pop_expected,
    pop_received) for population-weighted completeness. All data sets when ``data_set`` is
    None."""
    return queries.report_totals(store, level, data_set)


def leaves_under(store: Store, level: int) -> pd.DataFrame:
    """The leaf org units (facilities) with their ancestor at ``level`` (column org_unit) and
    opening date: what is expected to report."""
    return queries.leaves_under(store, level)


def series_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Series rows as JSON-ready dicts (the API's and the CLI's --json rows)."""
    return [{"data_element": str(r.data_element), "org_unit": str(r.org_unit),
             "period": str(r.period), "value": float(r.value)}
            for r in frame.itertuples(index=False)]
