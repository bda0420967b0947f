"""Consumption method: forecast from routine tablets dispensed and stock on hand, compared with
the demographic method.

The routine history is a tidy DataFrame with one row per month (and district): ``period``
(YYYYMM or YYYY-MM), optional ``district``, ``mms_tablets_dispensed`` and optionally
``ifa_tablets_dispensed``, ``mms_stock_on_hand``, ``mms_days_stocked_out``. Consumption in a
month with stock-outs is adjusted to a full month: dispensed x 30 / (30 - days stocked out),
the usual LMIS correction (days capped at 25). Where the history has ``facilities_reporting``
and ``facilities_expected``, consumption is also scaled up for the facilities that did not
report (reported x expected / reporting, as LMIS guidance does for non-reporting sites); months
with fewer than half the facilities reporting are left out as unreliable. The forecast is the
mean adjusted consumption of the last ``months`` months, held flat.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmsis.data import csvread, textio
from mmsis.data.concepts import CONSUMPTION_CONCEPTS, ConceptMap
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.forecast.need import Need
from mmsis.forecast.scenario import month_index, month_label


def history_from_data_values(data_values: pd.DataFrame, org_units: pd.DataFrame, *,
                             mapping: ConceptMap | None = None,
                             level: int | None = None) -> pd.DataFrame:
    """`history_from_routine` of DHIS2 dataValueSets rows (facility x month) and an org-unit
    table (id, parent_id or path, opening_date), loaded into a throwaway store first."""
    from mmsis.data.frames import store_from_frames

    need = {"dataElement", "period", "orgUnit", "value"}
    miss = need - set(data_values.columns)
    if miss:
        raise InputError(f"data values lack columns {sorted(miss)}", column=sorted(miss)[0])
    unknown = set(data_values["orgUnit"].astype(str)) - set(org_units["id"].astype(str))
    if unknown:
        raise InputError(f"org unit '{sorted(unknown)[0]}' is not in the org-unit table",
                         column="orgUnit")
    wanted = (mapping or ConceptMap(elements={c: c.upper() for c in CONSUMPTION_CONCEPTS})
              ).mapped(CONSUMPTION_CONCEPTS).values()  # only these are read: load only them
    store = store_from_frames(org_units, data_values[data_values["dataElement"].isin(
        list(wanted))], mapping=mapping, file="consumption tables")
    try:
        return history_from_routine(store, level=level)
    finally:
        store.close()


def history_from_routine(store: Store, level: int | None = None) -> pd.DataFrame:
    """District x month dispensing and stock history from a store, through the one roll-up
    (mmsis.measure.routine.series) over the org-unit paths (any depth).

    Columns are the consumption concepts the country's mapping names (mms_tablets_dispensed,
    mms_stock_on_hand, ...). Counts and stock on hand are rolled up by their aggregation types
    (sums over units); days stocked out (summed elements) are averaged over the units that
    reported them. ``facilities_reporting`` counts the units with any of these elements that
    month; ``facilities_expected`` the facilities (leaf org units) of the district, open by the
    month when ``opening_date`` is given. ``level`` defaults to the mapping's district level.
    """
    from mmsis.data import queries
    from mmsis.measure.routine.series import level_series, reporting_units

    mapping = store.concepts()
    level = int(level) if level is not None else mapping.require_district_level()
    uids = mapping.mapped(CONSUMPTION_CONCEPTS)
    cols = ["period", "district", *uids, "facilities_reporting", "facilities_expected"]
    if not uids:
        return pd.DataFrame(columns=cols)
    series = level_series(store, list(uids.values()), level, units=True)
    if series.empty:
        return pd.DataFrame(columns=cols)
    types = queries.aggregation_types(store, uids.values())
    concept_of = {u: c for c, u in uids.items()}
    series["concept"] = series["data_element"].map(concept_of)
    per_unit = series["concept"].str.contains("days") & series["data_element"].map(
        lambda u: types.get(u, "SUM") in ("SUM", "COUNT"))
    series["value"] = series["value"].where(~per_unit, series["value"] / series["units"])
    wide = series.pivot_table(index=["period", "org_unit"], columns="concept", values="value",
                              aggfunc="first").reset_index()
    wide.columns.name = None
    reporting = reporting_units(store, list(uids.values()), level)
    out = reporting.merge(wide, on=["org_unit", "period"], how="left").rename(
        columns={"org_unit": "district", "units": "facilities_reporting"})
    for concept in uids:  # a district reporting others but not this count: none dispensed
        if concept in out and "days" not in concept:
            out[concept] = out[concept].fillna(0.0)
    out["facilities_reporting"] = out["facilities_reporting"].astype("int64")
    out["period"] = out["period"].astype(str)
    out["facilities_expected"] = _facilities_expected(out, store, level)
    keep = ["period", "district", *[c for c in uids if c in out],
            "facilities_reporting", "facilities_expected"]
    return out[keep].sort_values(["district", "period"]).reset_index(drop=True)


def _facilities_expected(out: pd.DataFrame, store: Store, level: int) -> np.ndarray:
    """Leaf org units under each row's district, open by the end of the row's month."""
    from mmsis.measure.routine.series import leaves_under

    leaves = leaves_under(store, level)
    opened = pd.Series(-10**9, index=leaves.index)
    dates = pd.to_datetime(leaves["opening_date"], errors="coerce")
    known = dates.notna()
    opened[known] = (dates[known].dt.year * 12 + dates[known].dt.month - 1).astype(int)
    by_district: dict[str, np.ndarray] = {
        str(d): np.sort(opened[leaves["org_unit"] == d].to_numpy())
        for d in leaves["org_unit"].dropna().unique()
    }
    months = [month_index(p) for p in out["period"]]
    return np.array([
        np.searchsorted(by_district.get(str(d), np.array([])), m, side="right")
        for d, m in zip(out["district"], months, strict=True)
    ], dtype=float)


MIN_REPORTING = 0.5
"""Months where fewer facilities than this share reported are left out of the consumption
mean (scaling up from a few facilities is unreliable)."""


def _adjusted(df: pd.DataFrame, product: str) -> pd.Series:
    disp = df[f"{product}_tablets_dispensed"].astype(float)
    days_col = f"{product}_days_stocked_out"
    if days_col in df:
        days = df[days_col].astype(float).fillna(0.0).clip(0, 25)
        disp = disp * 30.0 / (30.0 - days)
    if {"facilities_reporting", "facilities_expected"} <= set(df.columns):
        rate = df["facilities_reporting"].astype(float) / df["facilities_expected"].astype(float)
        disp = (disp / rate).where(rate >= MIN_REPORTING)
    return disp


def consumption_forecast(history: pd.DataFrame, need: Need, months: int = 6) -> pd.DataFrame:
    """Compare the consumption method (recent adjusted dispensing, held flat) with the
    demographic need over the same months (or the first forecast months), by district."""
    if "period" not in history:
        raise InputError("consumption history needs a 'period' column", column="period")
    if "mms_tablets_dispensed" not in history:
        raise InputError("consumption history needs 'mms_tablets_dispensed'",
                         column="mms_tablets_dispensed")
    h = history.copy()
    check_history(h)
    try:
        h["month_index"] = [month_index(p) for p in h["period"]]
    except ValueError as exc:
        raise InputError(str(exc), column="period") from None
    if "district" not in h or need.units == ["national"]:
        h["district"] = "national"
    h["district"] = h["district"].astype(str)
    unknown = sorted(set(h["district"]) - set(need.units))
    if unknown:
        raise InputError(f"districts {unknown[:5]} are not in the scenario geography",
                         column="district")
    h = h.groupby(["district", "month_index"], as_index=False).sum(numeric_only=True)
    last = int(h["month_index"].max())
    window = h[h["month_index"] > last - months]
    rows = []
    # Compare over the same months when the history overlaps the horizon, else with the
    # first forecast months.
    start = month_index(need.months[0])
    cols = [m - start for m in range(last - months + 1, last + 1)]
    if not all(0 <= c < len(need.months) for c in cols):
        cols = list(range(min(months, len(need.months))))
    compared = f"{need.months[cols[0]]}..{need.months[cols[-1]]}"
    for product in ("mms", "ifa"):
        if f"{product}_tablets_dispensed" not in window:
            continue
        adj = window.assign(adj=_adjusted(window, product)).groupby("district")["adj"].mean()
        if {"facilities_reporting", "facilities_expected"} <= set(window.columns):
            sums = window.groupby("district")[["facilities_reporting",
                                               "facilities_expected"]].sum()
            rate = sums["facilities_reporting"] / sums["facilities_expected"]
        else:
            rate = pd.Series(dtype=float)
        demo = getattr(need, f"{product}_tablets")[:, cols].mean(axis=1)
        soh_col = f"{product}_stock_on_hand"
        soh = (h[h["month_index"] == last].set_index("district")[soh_col]
               if soh_col in h else pd.Series(dtype=float))
        for i, uid in enumerate(need.units):
            c = float(adj.get(uid, np.nan))
            s = float(soh.get(uid, np.nan)) if len(soh) else np.nan
            rows.append({
                "district": uid, "product": product,
                "history_window": f"{month_label(last - months + 1)}..{month_label(last)}",
                "demographic_window": compared,
                "consumption_monthly": c,
                "demographic_monthly": float(demo[i]),
                "ratio_consumption_to_demographic": c / demo[i] if demo[i] > 0 else np.nan,
                "reporting_rate": float(rate.get(uid, np.nan)) if len(rate) else np.nan,
                "stock_on_hand": s,
                "months_of_stock": s / c if c and c > 0 else np.nan,
            })
    return pd.DataFrame(rows)


_COUNTS = ("mms_tablets_dispensed", "ifa_tablets_dispensed", "mms_stock_on_hand",
           "ifa_stock_on_hand", "mms_days_stocked_out", "ifa_days_stocked_out",
           "facilities_reporting", "facilities_expected")


def check_history(history: pd.DataFrame, file: str | None = None) -> None:
    """Refuse non-numeric or negative counts, naming the (1-based) rows and the column, so a
    data-entry error cannot pass silently into the consumption forecast."""
    for col in _COUNTS:
        if col not in history:
            continue
        raw = history[col]
        vals = pd.to_numeric(raw, errors="coerce")
        bad = (raw.notna() & vals.isna()) | (vals < 0) | (vals > textio.MAX_DATA_VALUE)
        if bad.any():
            rows = [int(i) + 1 for i in np.flatnonzero(bad.to_numpy())]
            what = ("a number" if (raw.notna() & vals.isna()).any()
                    else f"a count >= 0 and <= {textio.MAX_DATA_VALUE:,.0f}")
            raise InputError(f"must be {what} (rows {rows[:10]}"
                             f"{' ...' if len(rows) > 10 else ''})", file=file, row=rows[0],
                             column=col)


def read_history(path: str | Path) -> pd.DataFrame:
    """Read a routine consumption history CSV (period, [district], mms_tablets_dispensed...)."""
    p = Path(path)
    if not p.exists():
        raise InputError("consumption file not found", file=str(path), field="consumption.file")
    with textio.utf8_file(p) as utf8:  # encodings named; an open quote named by its row
        out = csvread.read_frame(utf8, str(path), dtype={"period": str, "district": str},
                                 keep_default_na=True)
    check_history(out, file=str(path))
    return out
