"""Data-quality review of routine data after the WHO Data Quality Review (DQR) toolkit.

Dimensions: completeness and timeliness of reports; outliers (mean +- SD and median/MAD
modified z); internal consistency between related elements; consistency over time (last
year against the mean of the three before); external consistency against a survey estimate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from mmsis.data import queries, review_queries, spill
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine.aggregate import ancestors
from mmsis.measure.routine.definitions import Definitions, load_definitions
from mmsis.measure.routine.indicators import compute_indicators, require_data

HASH_SERIES_KEYS = True  # group outlier series on a 64-bit key hash (checked); False: text key
TABLE_COLUMNS = ["org_unit", "org_unit_name", "period", "check", "data_element", "value",
                 "reference", "flag"]


class QualityReview(BaseModel):
    """The review: ``table`` (per org unit, period and check, with flags) and ``summary``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    table: pd.DataFrame
    summary: pd.DataFrame
    score: float
    level: int


def _completeness(store: Store, anc: pd.DataFrame, q: object, data_set: str) -> pd.DataFrame:
    g = review_queries.report_counts_by_year(store, anc, data_set)
    if g.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    comp = g.assign(check="completeness", value=100 * g["received"] / g["expected"],
                    reference=q.completeness_threshold.value)  # type: ignore[attr-defined]
    time = g.assign(check="timeliness", value=100 * g["on_time"] / g["expected"],
                    reference=q.timeliness_threshold.value)  # type: ignore[attr-defined]
    out = pd.concat([comp, time], ignore_index=True)
    out["flag"] = out["value"] < out["reference"]
    out["data_element"] = data_set
    return out.rename(columns={"ou": "org_unit"})


BYTES_PER_VALUE = 160
"""Memory the series statistics take per value (median and MAD keep every value of a series
in memory and cannot spill): the series are computed in as many buckets as it takes for one
bucket to fit the store's memory bound (10 M values at 300 MB: 4 buckets)."""


def _outliers(store: Store, des: list[str], q: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flag values far from their own series (facility x element x combos) over all periods.

    One pass in DuckDB: series statistics (mean, SD, median, MAD) are grouped per series and
    joined back to the values; only the flagged values leave DuckDB, and the per-element counts
    come from the series sizes and the flagged rows (every counted value is a flagged one).
    """
    if not des:
        return pd.DataFrame(columns=TABLE_COLUMNS), pd.DataFrame()
    mod = float(q.outlier_moderate_sd.value)  # type: ignore[attr-defined]
    ext = float(q.outlier_extreme_sd.value)  # type: ignore[attr-defined]
    mz = float(q.modified_z.value)  # type: ignore[attr-defined]
    flagged, sizes = review_queries.outlier_values(
        store, des, mod, mz, bytes_per_value=BYTES_PER_VALUE, hash_keys=HASH_SERIES_KEYS)
    z = flagged["z"]
    cats = pd.DataFrame({"data_element": flagged["data_element"],
                         "moderate": ((z > mod) & (z <= ext)).fillna(False).astype("int64"),
                         "extreme": (z > ext).fillna(False).astype("int64"),
                         "modified_z": (flagged["mz"] > mz).fillna(False).astype("int64")})
    counts = cats.groupby("data_element")[["moderate", "extreme", "modified_z"]].sum()
    per_de = sizes.set_index("data_element").join(counts).fillna(0)
    per_de = per_de.astype("int64").sort_index().reset_index()
    rows = []
    for name, cond, ref in (("outlier_extreme", flagged["z"] > ext, "mean"),
                            ("outlier_moderate", (flagged["z"] > mod) & (flagged["z"] <= ext),
                             "mean"),
                            ("outlier_modified_z", flagged["mz"] > mz, "med")):
        sub = flagged[cond.fillna(False)]
        rows.append(pd.DataFrame({"org_unit": sub["org_unit"], "period": sub["period"],
                                  "check": name, "data_element": sub["data_element"],
                                  "value": sub["value"], "reference": sub[ref], "flag": True}))
    return pd.concat(rows, ignore_index=True), per_de


def _internal(fm: review_queries.FacilityMonths, pairs: list) -> pd.DataFrame:
    """% of facility-months where lhs > rhs, per org unit at the review level and year."""
    if not pairs:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    g = fm.pair_counts([(p.lhs, p.rhs) for p in pairs])
    if g.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    ids = [p.id for p in pairs]
    labels = [f"{p.lhs}<={p.rhs}" for p in pairs]
    k = g["k"].to_numpy()
    bad, n = g["bad"].astype("int64"), g["n"].astype("int64")
    return pd.DataFrame({
        "org_unit": g["ou"], "period": g["period"],
        "check": [f"internal:{ids[i]}" for i in k], "data_element": [labels[i] for i in k],
        "value": 100 * bad / n, "reference": 0.0, "flag": bad > 0, "_n": n, "_bad": bad})


def rollout_starts(store: Store, anc: pd.DataFrame, q: object,
                   rollout: pd.DataFrame | None = None) -> dict[str, str]:
    """Month (YYYYMM) MMS started in each unit at the review level: from a roll-out table
    (columns org_unit or district_id, and mms_start), else the first month the roll-out
    element (the one mapped to mms_clients) is above zero in the unit."""
    if rollout is not None:
        unit = "org_unit" if "org_unit" in rollout else "district_id"
        if unit not in rollout or "mms_start" not in rollout:
            raise InputError("a roll-out table needs columns district_id (or org_unit) and "
                             "mms_start (YYYYMM)", field="rollout")
        out = {}
        for i, (u, start) in enumerate(zip(rollout[unit], rollout["mms_start"], strict=True)):
            text = str(start).strip().replace("-", "")[:6]
            if text in ("", "nan", "None"):
                continue
            if not (len(text) == 6 and text.isdigit()):
                raise InputError(f"expected a month YYYYMM, got {start!r}", row=i + 1,
                                 column="mms_start", field="rollout")
            out[str(u)] = text
        return out
    element = getattr(q, "rollout_start_element", None)
    if not element:
        return {}
    g = review_queries.first_positive_month(store, anc, element)
    return dict(zip(g["ou"].astype(str), g["start"].astype(str), strict=True))


def _add_months(yyyymm: str, months: int) -> str:
    y, m = int(yyyymm[:4]), int(yyyymm[4:6]) - 1 + months
    return f"{y + m // 12}{m % 12 + 1:02d}"


def _planned_outliers(flags: pd.DataFrame, fac_unit: pd.Series, starts: dict[str, str],
                      des: set[str], ramp: int) -> pd.Series:
    """True for outlier flags of roll-out elements in the ramp-up months after MMS started."""
    if flags.empty or not starts or not des:
        return pd.Series(False, index=flags.index)
    start = flags["org_unit"].map(fac_unit).map(starts)
    end = start.map(lambda s: _add_months(s, ramp) if isinstance(s, str) else None)
    month = flags["period"].astype(str).str[:6]
    return (flags["data_element"].isin(des) & start.notna() & (month >= start.fillna(""))
            & (month < end.fillna("")))


def _over_time(fm: review_queries.FacilityMonths, des: list[str], tol: float) -> pd.DataFrame:
    """The last year's total over the mean of the three years before, per unit and element."""
    if not des:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    df = fm.yearly_totals(list(des))
    years = sorted(df["year"].unique())
    if len(years) < 4:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    last, prev = years[-1], years[-4:-1]
    wide = df.pivot_table(index=["ou", "data_element"], columns="year", values="total")
    ratio = wide[last] / wide[prev].mean(axis=1)
    r = ratio.reset_index(name="value")
    return pd.DataFrame({"org_unit": r["ou"], "period": last, "check": "consistency_over_time",
                         "data_element": r["data_element"], "value": r["value"],
                         "reference": 1.0, "flag": (r["value"] - 1).abs() > tol / 100})


def _external(store: Store, survey: pd.DataFrame, defs: Definitions, tol: float) -> pd.DataFrame:
    """Routine indicator (yearly) against survey estimates: columns indicator, estimate, and
    optionally org_unit (default: the level-1 unit) and year (default: the last year)."""
    need = {"indicator", "estimate"}
    if not need <= set(survey.columns):
        raise InputError(f"survey estimates need columns {sorted(need)}", field="survey")
    ous = queries.org_unit_levels(store)[["id", "level"]]
    root = ous.loc[ous["level"] == ous["level"].min(), "id"].iloc[0]
    s = survey.copy()
    if "org_unit" not in s:
        s["org_unit"] = root
    s["level"] = s["org_unit"].map(ous.set_index("id")["level"])
    if s["level"].isna().any():
        bad = s.loc[s["level"].isna(), "org_unit"].tolist()
        raise InputError(f"survey org units not in the store: {bad}", field="survey")
    out = []
    for lvl, grp in s.groupby("level"):
        routine = compute_indicators(store, sorted(grp["indicator"].unique()), int(lvl),
                                     "yearly", definitions=defs)
        for row in grp.itertuples(index=False):
            sub = routine[(routine["indicator"] == row.indicator)
                          & (routine["org_unit"] == row.org_unit)]
            year = str(getattr(row, "year", "")) if "year" in s else ""
            sub = sub[sub["period"] == year] if year else sub.sort_values("period").tail(1)
            if sub.empty:
                continue
            val = float(sub["value"].iloc[0])
            ratio = val / float(row.estimate) if float(row.estimate) else np.nan
            out.append({"org_unit": row.org_unit, "period": sub["period"].iloc[0],
                        "check": "external_consistency", "data_element": row.indicator,
                        "value": ratio, "reference": float(row.estimate),
                        "flag": bool(abs(ratio - 1) > tol / 100)})
    return pd.DataFrame(out, columns=TABLE_COLUMNS)


@spill.out_of_core()
def quality_review(store: Store, level: int | None = None, *, survey: pd.DataFrame | None = None,
                   definitions: str | Path | Definitions | None = None,
                   rollout: pd.DataFrame | None = None) -> QualityReview:
    """Run the DQR checks; org-unit results are at ``level`` (default: the concept mapping's
    district level) by year, outliers per facility.

    Planned MMS scale-up is not flagged: see ``rollout_starts`` and docs/routine.md."""
    require_data(store)
    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    mapping = store.concepts()
    defs = defs.resolved(mapping)  # concepts -> the country's own UIDs
    if level is None:
        level = mapping.require_district_level()
    q = defs.quality
    anc = ancestors(store, level)
    tol = q.consistency_threshold.value
    comp = _completeness(store, anc, q, q.data_set)
    outl, per_de = _outliers(store, q.outlier_data_elements, q)
    fm_des = sorted({d for p in q.internal_consistency for d in (p.lhs, p.rhs)}
                    | set(q.trend_data_elements))
    with review_queries.facility_months(store, anc, fm_des) as fm:
        internal = _internal(fm, q.internal_consistency)
        trend = _over_time(fm, q.trend_data_elements, tol)
    # planned scale-up: roll-out elements of units where MMS started inside the compared
    # years leave the over-time check; their outliers in the ramp-up months are not flagged
    starts = rollout_starts(store, anc, q, rollout)
    roll_des = set(q.rollout_data_elements)
    n_planned_trend = 0
    if starts and roll_des and not trend.empty:
        first = f"{int(str(trend['period'].iloc[0])[:4]) - 3}01"  # first of the 4 years
        planned = trend["data_element"].isin(roll_des) & trend["org_unit"].astype(str).map(
            lambda u: starts.get(u, "") > first)
        n_planned_trend = int(planned.sum())
        trend = trend[~planned]
    n_planned_outliers = 0
    if starts and roll_des and not outl.empty:
        fac_unit = anc.set_index("org_unit")["ou"].astype(str)
        ramp = int(q.rollout_ramp_months.value)
        planned = _planned_outliers(outl, fac_unit, starts, roll_des, ramp)
        n_planned_outliers = int(planned.sum())
        if n_planned_outliers:
            gone = outl[planned]
            for cat, name in (("extreme", "outlier_extreme"), ("moderate", "outlier_moderate"),
                              ("modified_z", "outlier_modified_z")):
                counts = gone[gone["check"] == name].groupby("data_element").size()
                per_de = per_de.set_index("data_element")
                per_de[cat] = (per_de[cat] - counts.reindex(per_de.index).fillna(0)).astype(
                    "int64")
                per_de = per_de.reset_index()
            outl = outl[~planned]
    external = _external(store, survey, defs, tol) if survey is not None else pd.DataFrame(
        columns=TABLE_COLUMNS)
    parts = [p for p in (comp, outl, internal.drop(columns=["_n", "_bad"], errors="ignore"),
                         trend, external) if not p.empty]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TABLE_COLUMNS)
    names = queries.org_unit_populations(store).set_index("id")["name"]
    table["org_unit_name"] = table["org_unit"].map(names)
    table = table[TABLE_COLUMNS]
    table["flag"] = table["flag"].astype(bool)
    # DuckDB does not keep row order (preserve_insertion_order is off): sort for a stable table
    table = table.sort_values(["check", "org_unit", "period", "data_element"],
                              kind="stable").reset_index(drop=True)

    summary_rows = []

    def add(dimension: str, metric: str, value: float, n: int, flagged: int) -> None:
        summary_rows.append({"dimension": dimension, "metric": metric, "value": value, "n": n,
                             "flagged": flagged})

    data_set = queries.names(store).get("data_set", {}).get(q.data_set, q.data_set)
    for check in ("completeness", "timeliness"):
        sub = comp[comp["check"] == check] if not comp.empty else comp
        if len(sub):
            add(check, f"% of expected {data_set} reports", float(sub["value"].mean()),
                len(sub), int(sub["flag"].sum()))
    if not per_de.empty:
        n = int(per_de["n_values"].sum())
        add("outliers", "% of values not extreme outliers (> 3 SD)",
            100 * (1 - per_de["extreme"].sum() / n), n, int(per_de["extreme"].sum()))
        add("outliers", "% of values without moderate outliers (2-3 SD)",
            100 * (1 - per_de["moderate"].sum() / n), n, int(per_de["moderate"].sum()))
        add("outliers", "% of values with modified z <= 3.5",
            100 * (1 - per_de["modified_z"].sum() / n), n, int(per_de["modified_z"].sum()))
    if not internal.empty:
        n, bad = int(internal["_n"].sum()), int(internal["_bad"].sum())
        add("internal_consistency", "% of facility-months consistent", 100 * (1 - bad / n), n,
            bad)
    if not trend.empty:
        planned = (f" ({n_planned_trend} in planned MMS roll-out left out)"
                   if n_planned_trend else "")
        add("consistency_over_time",
            f"% of unit-elements within +-{tol:g}% of 3-year mean{planned}",
            100 * (1 - trend["flag"].mean()), len(trend), int(trend["flag"].sum()))
    if not external.empty:
        add("external_consistency", f"% of comparisons within +-{tol:g}% of the survey",
            100 * (1 - external["flag"].mean()), len(external), int(external["flag"].sum()))
    summary = pd.DataFrame(summary_rows, columns=["dimension", "metric", "value", "n", "flagged"])
    # score: mean over dimensions of each dimension's headline (first) metric, 0-100
    headline = summary.groupby("dimension", sort=False)["value"].first()
    score = float(headline.clip(0, 100).mean()) if len(headline) else float("nan")
    return QualityReview(table=table.reset_index(drop=True), summary=summary, score=score,
                         level=level)
