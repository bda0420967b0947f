"""Scores from field submissions: AIM, IAM and FIM, facility readiness, tablets by pill count.

- AIM, IAM and FIM as Weiner et al. 2017 (Implement Sci 12:108) score them: a respondent's
  scale score is the mean of the scale's four 1-5 items, for respondents who answered all
  four; the summary is the design-based mean of those scores (clusters as primary sampling
  units when the form has a `cluster` or `facility` field, else each respondent), with a
  t-based 95% CI, overall and by district, by the survey engine (R `survey` semantics).
- Facility readiness: the share of facilities with MMS in stock, a guideline or job aid and at
  least one trained ANC worker (the form's `ready`), and each of the three parts.
- Tablets consumed by pill count: tablets received minus tablets left in the bottle, where the
  bottle was seen; the adherence ratio is that over the 180 tablets of the regimen.
- Counselling fidelity (the knowledge base's `counselling_fidelity`): of the observed ANC
  consultations in which MMS was given, the share in which every applicable counselling item
  (dose, duration, side effects, adherence asked) was done; and the mean share of applicable
  checklist items done per consultation (the form's `obs_fidelity`). Consultations are
  clustered in the facility visit they were observed in.
- Stock-record accuracy (`lmis_accuracy`): the share of audited stock cards whose latest
  balance is within 5% of the physical count (the stock-card audit's `card_accurate`).
- ANC staff trained (`health_workers_trained`): staff trained on MMS over ANC staff on duty,
  summed over the facilities visited (a ratio of totals: the staff-weighted mean of shares).
- Stock-out rate (`stockout_rate`): the share of the stock cards' months (the audit's `month`
  repeat) with any day stocked out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mmsis.errors import InputError
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.measure.survey.design import Design
from mmsis.measure.survey.estimators import mean

SCALES: tuple[str, ...] = ("aim", "iam", "fim")
ITEMS_PER_SCALE = 4
REGIMEN_TABLETS = 180
OBSERVED_ITEMS = ("obs_given", "obs_dose", "obs_duration", "obs_side", "obs_adherence")
COUNSELLING_ITEMS = OBSERVED_ITEMS[1:]
DONT_KNOW = 998
SCORE_COLUMNS = ["measure", "district", "mean", "se", "ci_low", "ci_high", "n", "method"]


@dataclass(frozen=True)
class FieldScores:
    """Scores of one form's submissions: one row per measure x (overall or district)."""

    form_id: str
    submissions: int
    summary: pd.DataFrame

    def overall(self, measure: str) -> dict[str, Any] | None:
        """The overall row of one measure as a plain dict, or None when not measured."""
        rows = self.summary[(self.summary["measure"] == measure)
                            & self.summary["district"].isna()]
        return None if rows.empty else _record(rows.iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """Per measure: mean, ci_low, ci_high, n (overall) and `by_district` rows."""
        out: dict[str, Any] = {"form": self.form_id, "submissions": self.submissions}
        for measure in dict.fromkeys(self.summary["measure"]):
            rows = self.summary[self.summary["measure"] == measure]
            top = rows[rows["district"].isna()]
            entry = _record(top.iloc[0]) if len(top) else {}
            entry["by_district"] = [
                {"district": r["district"], **_record(r)}
                for _i, r in rows[rows["district"].notna()].iterrows()
            ]
            out[str(measure)] = entry
        return out


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v)


def _record(row: pd.Series) -> dict[str, Any]:
    return {"mean": _num(row["mean"]), "se": _num(row["se"]), "ci_low": _num(row["ci_low"]),
            "ci_high": _num(row["ci_high"]), "n": int(row["n"]), "method": row["method"]}


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce") if column in frame else pd.Series(
        np.nan, index=frame.index)


def scale_score(frame: pd.DataFrame, scale: str) -> pd.Series:
    """Each respondent's mean of the scale's four items (NaN unless all four are answered)."""
    items = [f"{scale}_{i}" for i in range(1, ITEMS_PER_SCALE + 1)]
    values = pd.concat([_numbers(frame, c) for c in items], axis=1)
    values = values.where((values >= 1) & (values <= 5))
    return values.mean(axis=1).where(values.notna().all(axis=1))


def tablets_consumed(frame: pd.DataFrame) -> pd.Series:
    """Tablets received minus those left in the bottle, where the bottle was seen and counted."""
    received = _numbers(frame, "tabs_received")
    left = _numbers(frame, "tabs_left")
    seen = frame["bottle_seen"].astype(str).eq("yes") if "bottle_seen" in frame else False
    ok = seen & received.notna() & (received != DONT_KNOW) & left.notna() & (left <= received)
    return (received - left).where(ok)


def consultation_fidelity(obs: pd.DataFrame) -> pd.DataFrame:
    """Per observed consultation: `items_done` (share of applicable checklist items done) and
    `all_covered` (1 when MMS was given and every applicable counselling item was done; blank
    when MMS was not given, the indicator's denominator being consultations with MMS)."""
    answers = pd.DataFrame({c: obs[c].astype(str).str.strip() if c in obs else ""
                            for c in OBSERVED_ITEMS}, index=obs.index)
    applicable = (answers.isin(["done", "not_done"])).sum(axis=1)
    done = answers.eq("done").sum(axis=1)
    items = (done / applicable).where(applicable > 0)
    counsel = answers[list(COUNSELLING_ITEMS)]
    covered = (~counsel.eq("not_done").any(axis=1) & counsel.isin(["done", "na"]).all(axis=1))
    given = answers["obs_given"].eq("done")
    return pd.DataFrame({"items_done": items,
                         "all_covered": covered.astype(float).where(given)}, index=obs.index)


def _with_parent(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """A repeat's rows with their submission's district and facility (and the submission as
    the cluster when the form names no facility)."""
    keep = [c for c in ("district", "facility", "facility_id", "cluster") if c in frame]
    parent = frame[["submission_id", *keep]].drop_duplicates("submission_id")
    out = rows.drop(columns=[c for c in keep if c in rows]).merge(
        parent, on="submission_id", how="left")
    if not any(c in out for c in ("facility", "facility_id", "cluster")):
        out["cluster"] = out["submission_id"]
    return out


def _cluster(frame: pd.DataFrame) -> str | None:
    for col in ("cluster", "facility", "facility_id"):
        if col in frame and frame[col].astype(str).str.strip().ne("").sum() > 1:
            return col
    return None


def _summarise(frame: pd.DataFrame, values: pd.Series, measure: str,
               by: str | None, method: str,
               weights: pd.Series | None = None) -> list[dict[str, Any]]:
    """Design-based mean of `values` (weighted by ``weights``: a ratio of totals), overall and
    by `by`, as summary rows."""
    data = pd.DataFrame({"y": values.astype(float)})
    if weights is not None:
        data["w"] = weights.astype(float).to_numpy()
        data.loc[~(data["w"] > 0), "y"] = np.nan
    cluster = _cluster(frame)
    if cluster:
        data["psu"] = frame[cluster].astype(str).str.strip().replace("", "(none)").to_numpy()
    if by:
        data["by"] = frame[by].astype(str).str.strip().replace("", "(not given)").to_numpy()
    data = data[data["y"].notna()]
    if len(data) == 0:
        return []
    rows = []
    what = method + (f"; clusters: {cluster}" if cluster else "; each respondent a unit")
    if len(data) >= 2 and (not cluster or data["psu"].nunique() >= 2):
        design = Design(data, weight="w" if weights is not None else None,
                        cluster="psu" if cluster else None)
        parts = [(None, mean(design, "y", deff="wr").iloc[0])]
        if by:
            for _i, r in mean(design, "y", by="by", deff="wr").iterrows():
                parts.append((r["by"], r))
        for district, r in parts:
            rows.append({"measure": measure, "district": district, "mean": r["estimate"],
                         "se": r["se"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                         "n": int(r["n"]), "method": what})
    else:  # one respondent or one cluster: a mean without an interval
        w = data["w"] if weights is not None else pd.Series(1.0, index=data.index)
        rows.append({"measure": measure, "district": None,
                     "mean": float((data["y"] * w).sum() / w.sum()),
                     "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": len(data),
                     "method": what + "; too few units for an interval"})
    return rows


def score_submissions(frame: pd.DataFrame, form_id: str = "",
                      by: str | None = "district",
                      repeats: Mapping[str, pd.DataFrame] | None = None) -> FieldScores:
    """Every score the form's fields (and its repeats: observed consultations) allow,
    overall and by district (when the form has one)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError("submissions must be a DataFrame", field="frame")
    by_col = by if by and by in frame.columns else None
    rows: list[dict[str, Any]] = []
    weiner = "Weiner et al. 2017: mean of 4 items (1-5), respondents with all 4 answered"
    for scale in SCALES:
        if f"{scale}_1" in frame:
            rows += _summarise(frame, scale_score(frame, scale), scale, by_col, weiner)
    if "ready" in frame or "mms_in_stock" in frame:
        parts = {
            "readiness": _numbers(frame, "ready"),
            "mms_in_stock": frame.get("mms_in_stock", pd.Series(dtype=str)).map(
                {"yes": 1.0, "no": 0.0}),
            "guideline": frame.get("guideline", pd.Series(dtype=str)).map(
                {"yes": 1.0, "no": 0.0}),
        }
        for name, values in parts.items():
            if values is not None and values.notna().any():
                rows += _summarise(frame, values.reindex(frame.index), name, by_col,
                                   "share of facilities")
    if "tabs_left" in frame and "tabs_received" in frame:
        consumed = tablets_consumed(frame)
        rows += _summarise(frame, consumed, "tablets_consumed", by_col,
                           "received minus left in the bottle (pill count)")
        rows += _summarise(frame, (consumed / REGIMEN_TABLETS).clip(upper=1.0),
                           "adherence_pill_count", by_col,
                           f"tablets consumed by pill count / {REGIMEN_TABLETS}, capped at 1")
    if "staff_anc" in frame and "staff_trained" in frame:
        anc, trained = _numbers(frame, "staff_anc"), _numbers(frame, "staff_trained")
        ok = anc.notna() & trained.notna() & (trained <= anc)
        rows += _summarise(frame, (trained / anc).where(ok & (anc > 0)),
                           "health_workers_trained", by_col,
                           "ANC staff trained on MMS over ANC staff on duty (ratio of totals "
                           "over facilities)", weights=anc.where(ok, 0.0))
    if "card_accurate" in frame:
        rows += _summarise(frame, _numbers(frame, "card_accurate"), "lmis_accuracy", by_col,
                           "share of stock cards within 5% of the physical count")
    obs = (repeats or {}).get("obs")
    if obs is not None and len(obs) and "submission_id" in frame:
        obs = _with_parent(obs, frame)
        scored = consultation_fidelity(obs)
        obs_by = by_col if by_col and by_col in obs else None
        rows += _summarise(obs, scored["all_covered"], "counselling_fidelity", obs_by,
                           "share of observed consultations with MMS given that covered every "
                           "applicable counselling item")
        rows += _summarise(obs, scored["items_done"], "fidelity_items", obs_by,
                           "mean share of applicable checklist items done per consultation")
    months = (repeats or {}).get("month")
    if months is not None and len(months) and "days_out" in months and "submission_id" in frame:
        months = _with_parent(months, frame)
        days = pd.to_numeric(months["days_out"], errors="coerce")
        rows += _summarise(months, (days > 0).astype(float).where(days.notna()),
                           "stockout_rate", by_col if by_col and by_col in months else None,
                           "share of stock-card months with any day stocked out")
    summary = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    return FieldScores(form_id, len(frame), summary)


MEASURE_LABELS = {
    "aim": N_("Acceptability (AIM)"),
    "iam": N_("Appropriateness (IAM)"),
    "fim": N_("Feasibility (FIM)"),
    "readiness": N_("Facilities ready (stock, guideline, trained staff)"),
    "mms_in_stock": N_("Facilities with MMS in stock"),
    "guideline": N_("Facilities with an MMS guideline or job aid"),
    "tablets_consumed": N_("Tablets consumed (pill count)"),
    "adherence_pill_count": N_("Adherence by pill count (share of 180 tablets)"),
    "lmis_accuracy": N_("Stock cards matching the physical count (within 5%)"),
    "counselling_fidelity": N_("Counselling fidelity (consultations covering every item)"),
    "fidelity_items": N_("Checklist items done per observed consultation"),
    "health_workers_trained": N_("ANC staff trained on MMS"),
    "stockout_rate": N_("Stock-card months with a stock-out"),
}


def measure_label(measure: str) -> str:
    """A person's name for a field measure (the id itself when unknown)."""
    return _(MEASURE_LABELS[measure]) if measure in MEASURE_LABELS else measure


INDICATOR_OF_MEASURE = {
    "aim": "acceptability_aim",
    "iam": "appropriateness_iam",
    "fim": "feasibility_fim",
    "counselling_fidelity": "counselling_fidelity",
    "lmis_accuracy": "lmis_accuracy",
    "adherence_pill_count": "adherence_ratio",
    "health_workers_trained": "health_workers_trained",
    "stockout_rate": "stockout_rate",
}
"""The knowledge base's indicator each field measure feeds (framework/data/indicators.yaml).
`adherence_ratio` takes the pill count over the full 180-tablet regimen as the tablets expected:
an assumption that holds for an end-of-pregnancy (exit) interview, not mid-regimen."""


def indicator_values(scores: FieldScores,
                     measures: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Overall values of the measures that are knowledge-base indicators, keyed by indicator."""
    out: dict[str, dict[str, Any]] = {}
    for measure, indicator in INDICATOR_OF_MEASURE.items():
        if measures is not None and measure not in measures:
            continue
        row = scores.overall(measure)
        if row is not None and row["mean"] is not None:
            out[indicator] = row
    return out
