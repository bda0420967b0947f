"""Org-unit x period frames of routine data and their aggregation by level and period type.

The heavy scan (millions of data values -> one row per org unit and period) runs in DuckDB;
the per-item aggregation rules (SUM, LAST, AVERAGE, ...) then run on that much smaller frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from mmsis.data import queries
from mmsis.data.dhis2.periods import convert_period, parse_period, sub_periods
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine.expressions import REPORT_METRICS, Item

PERIOD_TYPES = ("monthly", "bimonthly", "quarterly", "sixmonthly", "sixmonthly_april",
                "sixmonthly_nov", "yearly", "financial_april", "financial_july", "financial_oct",
                "financial_nov")
# targets that do not start on 1 January: year-to-date is the period itself
_NOT_CALENDAR = ("financial_april", "financial_july", "financial_oct", "financial_nov",
                 "sixmonthly_april", "sixmonthly_nov", "yearly")


def base_frame(store: Store, items: Iterable[Item]) -> pd.DataFrame:
    """One row per (org_unit, period) with a column per data-element or report item."""
    items = list(dict.fromkeys(items))
    de_items = [i for i in items if i.kind == "de"]
    rep_items = [i for i in items if i.kind == "report"]
    if not de_items and not rep_items:
        return pd.DataFrame(columns=["org_unit", "period"])
    # both sums side by side in one DuckDB statement (a full outer join on the keys)
    values = [queries.ValueColumn(it.name, it.data_element, it.coc or None, it.aoc or None)
              for it in de_items]
    reports = {it.name: (it.ref.split(".")[0], REPORT_METRICS[it.ref.split(".")[1]])
               for it in rep_items}
    out = queries.item_sums(store, values, reports)
    for it in items:
        if it.kind in ("de", "report") and it.name not in out.columns:
            out[it.name] = np.nan
    out = out.astype({it.name: "float64" for it in items if it.kind in ("de", "report")})
    return out.reset_index(drop=True)


@lru_cache(maxsize=4096)
def _period_info(pe: str) -> tuple[int, str]:
    p = parse_period(pe)
    return p.start.toordinal(), p.type


def period_map(periods: Iterable[str], target: str, ytd: bool = False) -> pd.DataFrame:
    """Map stored periods to target periods: columns period, target, days (window length).

    With ``ytd`` a period also counts towards every later target period of the same calendar
    year (cumulative year-to-date values); ``days`` then counts from 1 January. The days drive
    DHIS2's annualization factor (365 / days).
    """
    if target not in PERIOD_TYPES:
        raise InputError(f"unknown period type '{target}'; use one of {', '.join(PERIOD_TYPES)}",
                         field="period_type")
    rows = []
    for pe in sorted(set(periods)):
        try:
            tgt = convert_period(pe, target)
        except InputError:
            continue
        if not ytd:
            rows.append((pe, tgt, parse_period(tgt).days))
            continue
        tp = parse_period(tgt)
        if target in _NOT_CALENDAR:
            rows.append((pe, tgt, tp.days))
            continue
        year_targets = sorted({convert_period(m, target) for m in sub_periods(str(tp.start.year))},
                              key=lambda t: parse_period(t).start)
        for t in year_targets:
            p = parse_period(t)
            if p.start >= tp.start:
                rows.append((pe, t, (p.end - date(p.start.year, 1, 1)).days + 1))
    return pd.DataFrame(rows, columns=["period", "target", "days"])


def ancestors(store: Store, level: int) -> pd.DataFrame:
    """Each org unit at or below ``level`` with its ancestor (or itself) at that level."""
    ous = queries.org_unit_levels(store)
    if ous.empty:
        raise InputError("the store has no org units: import DHIS2 metadata first",
                         field="org_units")
    if level < 1 or level > int(ous["level"].max()):
        raise InputError(f"level {level} does not exist (levels 1-{int(ous['level'].max())})",
                         field="level")
    ous = ous[ous["level"] >= level]
    parts = ous["path"].str.strip("/").str.split("/")
    anc = parts.map(lambda p: p[level - 1] if len(p) >= level else None)
    return pd.DataFrame({"org_unit": ous["id"].to_numpy(), "ou": anc.to_numpy()}).dropna()


def aggregate(frame: pd.DataFrame, rules: dict[str, str], store: Store, level: int,
              period_type: str, ytd: bool = False) -> pd.DataFrame:
    """Aggregate item columns of ``frame`` to (ou at ``level``, target period) by their rules.

    Rules follow DHIS2 aggregation types: SUM; AVERAGE (mean of all values); AVERAGE_SUM_ORG_UNIT
    (mean over time per org unit, then summed); LAST (latest value in the period per org unit,
    then summed); LAST_AVERAGE_ORG_UNIT (latest, then averaged); COUNT; MIN; MAX.
    """
    cols = list(rules)
    out_cols = ["ou", "target", "days", *cols]
    if frame.empty:
        return pd.DataFrame(columns=out_cols)
    pmap = period_map(frame["period"].unique(), period_type, ytd)
    anc = ancestors(store, level)
    # look the ancestor (and, when each period has one target, the target) up per distinct
    # value instead of merging on text keys: the same rows, several times faster
    ou_codes, ou_uniq = pd.factorize(frame["org_unit"])
    ou = pd.Series(anc["ou"].to_numpy(), index=anc["org_unit"].to_numpy(), dtype=object)
    f = frame.assign(ou=ou.reindex(ou_uniq).to_numpy()[ou_codes])
    f = f[f["ou"].notna()]
    if pmap["period"].is_unique:
        pe_codes, pe_uniq = pd.factorize(f["period"])
        pm = pmap.set_index("period").reindex(pe_uniq)
        f = f.assign(target=pm["target"].to_numpy()[pe_codes],
                     days=pm["days"].to_numpy()[pe_codes])
        f = f[f["target"].notna()].astype({"days": "int64"})
    else:
        f = f.merge(pmap, on="period")
    if f.empty:
        return pd.DataFrame(columns=out_cols)
    pe_codes, pe_uniq = pd.factorize(f["period"])
    f = f.assign(_start=np.array([_period_info(str(pe))[0] for pe in pe_uniq],
                                 dtype="int64")[pe_codes])
    keys = ["ou", "target"]
    g = f.groupby(keys, sort=True)
    result = g["days"].first().to_frame()
    unit: np.ndarray | None = None  # (org unit, target) of each row, when a rule needs it
    for col in cols:
        rule = (rules[col] or "SUM").upper()
        if rule == "SUM":
            result[col] = g[col].sum(min_count=1)
        elif rule == "AVERAGE":
            result[col] = g[col].mean()
        elif rule == "COUNT":
            result[col] = g[col].count()
        elif rule == "MIN":
            result[col] = g[col].min()
        elif rule == "MAX":
            result[col] = g[col].max()
        elif rule in ("LAST", "LAST_AVERAGE_ORG_UNIT"):
            unit = _unit_key(f) if unit is None else unit
            gl = _latest(f, col, unit).groupby(keys)[col]
            result[col] = gl.sum(min_count=1) if rule == "LAST" else gl.mean()
        elif rule == "AVERAGE_SUM_ORG_UNIT":
            unit = _unit_key(f) if unit is None else unit
            means = f[col].groupby(unit, sort=False).mean()  # groups in first-seen order
            first = f.loc[~pd.Series(unit).duplicated().to_numpy(), keys]
            result[col] = first.assign(v=means.to_numpy()).groupby(keys)["v"].sum(min_count=1)
        else:
            raise InputError(f"aggregation type {rule} is not supported", field=col)
    return result.reset_index()


def _unit_key(f: pd.DataFrame) -> np.ndarray:
    """One integer per (org unit, target period) of each row: groups per org unit found by
    hashing one number, not by sorting three text keys (whose cost grows faster than rows)."""
    units, _ = pd.factorize(f["org_unit"])
    targets, uniq = pd.factorize(f["target"])
    return units.astype("int64") * max(len(uniq), 1) + targets


def _latest(f: pd.DataFrame, col: str, unit: np.ndarray) -> pd.DataFrame:
    """The rows (ou, target, ``col``) holding each org unit's latest non-missing value of
    ``col`` in each target period (DHIS2's LAST), in time linear in the rows."""
    has = f[col].notna().to_numpy()
    key, start = unit[has], f["_start"].to_numpy()[has]
    latest = pd.Series(start).groupby(key, sort=False).transform("max").to_numpy()
    at = start == latest
    keep = ~pd.Series(key[at]).duplicated(keep="last").to_numpy()
    return f.loc[has, ["ou", "target", col]][at][keep]
