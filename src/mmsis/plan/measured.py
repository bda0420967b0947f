"""Indicator values measured from a programme's own data (one survey wave, the routine store).

One computation for every view: the dashboard and the API (`mmsis.web`), the report
(`mmsis.report.gather` wraps these with its sources) and `mmsis plan assess --store` all call
`survey_results`, `routine_results` and `measurements` here, and `programme_scorecard` judges
the key results with them. The survey cascade is `mmsis.measure.survey.programme`'s: the MMS
cascade among women with a birth in the past 24 months, its denominator stated in words.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from mmsis.data import queries
from mmsis.measure.survey.programme import (
    CASCADE_PERIOD_MONTHS,
    CASCADE_SUPPLEMENT,
    denominator_words,
    with_words,
)

if TYPE_CHECKING:
    from mmsis.data.store import Store
    from mmsis.data.workspace import Programme
    from mmsis.framework.framework import Framework
    from mmsis.plan.scorecard import Scorecard

SURVEY_SOURCE = "household survey (design-based), mmsis.measure.survey"

# Survey cascade step -> framework indicator id.
SURVEY_INDICATORS = {
    "received_any": "mms_received_any",
    "received_180": "mms_received_180",
    "consumed_180": "mms_consumed_180",
}
# Routine indicators used as key-result evidence (framework ids, same names in routine defs).
ROUTINE_INDICATORS = (
    "mms_share_of_anc1", "ifa_to_mms_transition_share", "stockout_rate", "stock_between_min_max",
    "reporting_completeness", "reporting_timeliness",
)


def cmc_to_month(cmc: int) -> str:
    """A DHS century-month code as YYYY-MM."""
    return f"{1900 + (cmc - 1) // 12}-{(cmc - 1) % 12 + 1:02d}"


@dataclass
class SurveyResults:
    """Cascade, adherence and equity estimates from the household survey."""

    cascade: pd.DataFrame
    cascade_any: pd.DataFrame
    adherence: pd.DataFrame
    equity_groups: pd.DataFrame
    equity_measures: pd.DataFrame
    date: str
    sources: list[str] = field(default_factory=list)
    period_months: int = CASCADE_PERIOD_MONTHS

    @property
    def denominator(self) -> str:
        """What the cascade's "all women" are, in words."""
        return denominator_words(self.period_months)


def survey_results(survey: pd.DataFrame, period_months: int = CASCADE_PERIOD_MONTHS,
                   file: str | None = None) -> SurveyResults:
    """Design-based MMS cascade (births in the past `period_months`), adherence and equity."""
    from mmsis.data.survey.profile import load_profile
    from mmsis.data.survey.recode import recode
    from mmsis.measure.survey.cascade import adherence, cascade, design_of
    from mmsis.measure.survey.equity import equity

    profile = load_profile("dhs")
    rec = recode(survey, profile, supplement=CASCADE_SUPPLEMENT, period_months=period_months,
                 file=file)
    rec_any = recode(survey, profile, supplement="any", period_months=period_months, file=file)
    d = design_of(rec)
    groups, measures = equity(d, "received_any")
    v008 = pd.to_numeric(survey["v008"], errors="coerce").max() \
        if "v008" in survey.columns else float("nan")
    date = cmc_to_month(int(v008)) if pd.notna(v008) else "date unknown (no v008)"
    return SurveyResults(
        cascade=with_words(cascade(rec, design=d), CASCADE_SUPPLEMENT, period_months),
        cascade_any=with_words(cascade(rec_any), "any", period_months),
        adherence=adherence(rec, design=d), equity_groups=groups, equity_measures=measures,
        date=date, period_months=period_months,
    )


@dataclass
class RoutineResults:
    """National monthly indicator trends, latest-quarter values and the data-quality review."""

    trends: pd.DataFrame
    latest: pd.DataFrame
    quality: pd.DataFrame
    quality_score: float
    facilities_dispensing: float
    facilities_date: str
    sources: list[str] = field(default_factory=list)
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)


def routine_results(store: Store) -> RoutineResults:
    """Routine indicators (national, monthly and latest quarter) and the DQR summary of a
    programme store (`mmsis.data.store.Store`)."""
    from mmsis.data.concepts import concept_map
    from mmsis.measure.routine.definitions import load_definitions
    from mmsis.measure.routine.indicators import compute_indicators
    from mmsis.measure.routine.quality import quality_review

    defs = load_definitions()
    factors = {i.id: i.factor for i in defs.get(None)}
    monthly = compute_indicators(store, level=1, period_type="monthly")
    quarterly = compute_indicators(store, level=1, period_type="quarterly")
    last_q = quarterly["period"].max()
    latest = quarterly[quarterly["period"] == last_q].copy()
    for frame in (monthly, latest):
        frame["value"] = frame["value"] / frame["indicator"].map(factors).fillna(1.0)
    concepts = concept_map(store)
    review = quality_review(store, level=concepts.region_level or concepts.district_level)
    # facilities dispensing MMS among those reporting, last month (not a routine definition yet)
    last_m = str(monthly["period"].max())
    mms = concepts.element("mms_clients")
    dv = queries.element_max_by_unit(store, mms or "", last_m)
    dispensing = (float((dv["value"].fillna(0) > 0).mean()) if len(dv) and mms
                  else float("nan"))
    return RoutineResults(
        trends=monthly[["period", "indicator", "value", "numerator", "denominator"]],
        latest=latest[["period", "indicator", "value", "numerator", "denominator"]],
        quality=review.summary, quality_score=float(review.score),
        facilities_dispensing=dispensing, facilities_date=last_m, monthly=monthly,
    )


def survey_measurements(s: SurveyResults) -> dict[str, dict[str, Any]]:
    """Survey indicators measured by the cascade, adherence and equity results."""
    out: dict[str, dict[str, Any]] = {}
    allw = s.cascade[s.cascade["of"] == "all women"].set_index("step")
    src = f"{SURVEY_SOURCE}, {s.denominator}"
    for step, ind in SURVEY_INDICATORS.items():
        if step in allw.index:
            r = allw.loc[step]
            out[ind] = {"value": float(r["estimate"]), "date": s.date, "source": src,
                        "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
    anyw = s.cascade_any[s.cascade_any["of"] == "all women"].set_index("step")
    if "received_any" in anyw.index:
        r = anyw.loc["received_any"]
        out["ifa_received_any"] = {"value": float(r["estimate"]), "date": s.date, "source": src,
                                   "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
    ratio = s.adherence[s.adherence["measure"].str.startswith("consumed / expected (ratio")]
    if len(ratio):
        r = ratio.iloc[0]
        out["adherence_ratio"] = {"value": float(r["estimate"]), "date": s.date,
                                  "source": src + " (tablets consumed / received)",
                                  "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
    m = s.equity_measures
    for dim, ind in (("wealth", "wealth_gap_mms_coverage"),
                     ("residence", "urban_rural_gap_mms_coverage")):
        row = m[(m["dimension"] == dim) & (m["measure"] == "absolute gap")]
        if len(row):
            r = row.iloc[0]
            out[ind] = {"value": float(r["estimate"]), "date": s.date,
                        "source": f"{src}, equity gap {r['comparison']}",
                        "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
    return out


def routine_measurements(rt: RoutineResults) -> dict[str, dict[str, Any]]:
    """Routine indicators of the latest quarter and facilities dispensing MMS."""
    out: dict[str, dict[str, Any]] = {}
    latest = rt.latest.set_index("indicator")
    for ind in ROUTINE_INDICATORS:
        if ind in latest.index and pd.notna(latest.loc[ind, "value"]):
            r = latest.loc[ind]
            out[ind] = {"value": float(r["value"]), "date": str(r["period"]),
                        "source": "DHIS2 routine data, mmsis.measure.routine (national, "
                                  "latest quarter)"}
    if pd.notna(rt.facilities_dispensing):
        out["facilities_dispensing_mms"] = {
            "value": rt.facilities_dispensing, "date": rt.facilities_date,
            "source": "DHIS2 routine data: facilities reporting any MMS client / "
                      "facilities reporting"}
    return out


# What a computation on user data can raise when the data do not allow it (InputError is a
# ValueError too; numpy's LinAlgError is one as well).
COMPUTE_ERRORS = (ValueError, KeyError, ZeroDivisionError)


def measurements(store: Store | None = None, survey: pd.DataFrame | None = None,
                 survey_file: str | None = None) -> dict[str, dict[str, Any]]:
    """Indicator id -> {value, date, source[, ci_low, ci_high]} from a programme store (routine)
    and a survey wave; a part the data do not allow gives no values (not an error)."""
    out: dict[str, dict[str, Any]] = {}
    if survey is not None and len(survey):
        with contextlib.suppress(*COMPUTE_ERRORS):
            out.update(survey_measurements(survey_results(survey, file=survey_file)))
    if store is not None and store.count("data_values") > 0:
        with contextlib.suppress(*COMPUTE_ERRORS):
            out.update(routine_measurements(routine_results(store)))
    return out


def programme_scorecard(programme: Programme, fw: Framework | None = None, *,
                        measured: Mapping[str, Any] | None = None, store: Store | None = None,
                        survey: pd.DataFrame | None = None, region: str | None = None,
                        ready_share: float | None = None) -> Scorecard:
    """The readiness scorecard of a programme judged with the values measured from its data.

    The one scorecard of every view: `measured` when the caller has computed it with
    `measurements` (the report, a cache), else `measurements(store, survey)`; then
    `mmsis.plan.scorecard.assess` with the team's statuses.
    """
    from mmsis.framework.loader import load_framework
    from mmsis.plan.scorecard import DEFAULT_READY_SHARE, assess

    values = dict(measured) if measured is not None else measurements(store, survey)
    return assess(programme, fw or load_framework(), measured=values, region=region,
                  ready_share=DEFAULT_READY_SHARE if ready_share is None else ready_share)
