"""Compute every report input by calling the packages' public APIs.

The country is a `mmsis.data.programme.CountryProgramme`: the example country
(`mmsis.datasets.example_country()`) or one built from files or a web workspace's uploads.
Each function returns plain values (DataFrames, dicts) with the sources of its numbers, so the
report sections stay independent of how they were computed; callers check
`country.has(part)` first. Results are cached on the programme itself (`cached`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from mmsis.data import queries
from mmsis.errors import InputError
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.plan import measured
from mmsis.plan.measured import (
    CASCADE_PERIOD_MONTHS,
    RoutineResults,
    SurveyResults,
    routine_measurements,
    survey_measurements,
)
from mmsis.present import format as fmt

if TYPE_CHECKING:
    from mmsis.data.programme import CountryProgramme, Part
    from mmsis.data.store import Store

_T = TypeVar("_T")

MODEL_WORDS = (N_("difference-in-differences: TWFE (CRV1 by unit) and did2s (Gardner 2021)"),
               N_("interrupted time series (segmented regression)"),
               N_("the roll-out table"))
"""The models' own descriptions (mmsis.evaluate) and words of the sources, for the catalogs."""

SYNTHETIC = N_("Examplia example country (synthetic, mmsis.datasets.example_country)")


def example_store(country: CountryProgramme) -> Store:
    """The inputs' own store, else an in-memory DuckDB store loaded with their DHIS2 data
    (cached on the programme)."""
    if country.store is not None:  # inputs holding an open store: used as is
        return country.store

    def load() -> Store:
        from mmsis.data.store import Store, load_example

        store = Store(":memory:")
        if country.synthetic:
            load_example(store, country)
        else:
            _load_inputs(store, country)
        return store

    return country.cached("store", load)


def _load_inputs(store: Store, country: CountryProgramme) -> None:
    """Load a programme's org units, data elements, data values and reports into a store."""
    values = country.data_values
    if values is None:
        raise InputError("the programme has no routine data values to load", field="routine")
    des = country.data_elements
    if des is None:  # aggregation types from the concepts the elements stand for (stock: LAST)
        from mmsis.data.frames import element_table

        des = element_table(sorted(values["dataElement"].astype(str).unique()),
                            country.concepts)
    ous = country.org_units[[c for c in ("id", "name", "level", "parent_id", "path",
                                         "population") if c in country.org_units.columns]]
    steps = [("org units and data elements",
              lambda: store.import_metadata({"org_units": ous, "data_elements": des},
                                            file="report inputs")),
             ("data values", lambda: store.import_data_values(values, file="report inputs"))]
    reports = country.reports
    if reports is not None and len(reports):
        steps.append(("reports", lambda: store.import_reports(reports, file="report inputs")))
    for what, step in steps:
        rep = step()
        if not rep.ok:
            first = rep.refusals[0] if rep.refusals else None
            raise InputError(f"the routine {what} could not be loaded: {rep.refused} refused"
                             + (f" (first: {first.reason})" if first else ""),
                             column=first.column if first else None)
    consts = country.constants()
    if consts:
        store.set_constants(consts, source=f"{country.country.get('name', 'country')} inputs")
    mapping = country.concepts
    if mapping is not None:  # the country's own UIDs and levels, as in its programme store
        known = set(queries.element_ids(store))
        keep = {c: u for c, u in mapping.elements.items() if u in known}  # those with values
        store.set_concepts(mapping.model_copy(update={
            "elements": keep,
            "aggregation_types": {c: a for c, a in mapping.aggregation_types.items()
                                  if c in keep}}))


def survey_results(country: CountryProgramme,
                   period_months: int = CASCADE_PERIOD_MONTHS) -> SurveyResults:
    """Design-based MMS cascade (births in the past `period_months`), adherence and equity
    (`mmsis.plan.measured.survey_results`, the computation every view uses), with sources."""
    wave = country.chosen_wave  # results per wave: choosing another one computes afresh
    res, words = country.cached(("survey", period_months, wave.name if wave else None),
                                lambda: _survey_results(country, period_months))
    return replace(res, sources=words())


def _survey_results(country: CountryProgramme, period_months: int
                    ) -> tuple[SurveyResults, Callable[[], list[str]]]:
    """The results (cached, no words) and how to write their sources in the language in
    use when they are shown (a cached result serves every language)."""
    survey = country.survey
    if survey is None:
        raise InputError(country.missing_reason("survey"), field="survey")
    res = measured.survey_results(survey, period_months=period_months)
    return res, lambda: [
        _("Household survey (DHS-style, %(women)s women; cascade denominator: "
          "%(denominator)s), interviewed %(date)s: %(source)s") % {
            "women": fmt.count(len(survey)), "denominator": res.denominator,
            "date": fmt.period(res.date) if res.date else res.date,
            "source": _(country.source_of("survey", SYNTHETIC))},
        _("Profile: mmsis/data/survey/profiles/dhs.yaml (DHS Recode Manual DHS-7); weights "
          "v005/1e6, PSU v021, strata v022"),
        _("Estimates: mmsis.plan.measured.survey_results (mmsis.measure.survey.cascade.cascade "
          "/ adherence and mmsis.measure.survey.equity.equity; Taylor linearisation, logit "
          "CIs, design df)"),
    ]


def routine_results(country: CountryProgramme) -> RoutineResults:
    """Routine indicators (national, monthly and latest quarter) and the DQR summary."""
    res, words = country.cached("routine", lambda: _routine_results(country))
    return replace(res, sources=words())


def _routine_results(country: CountryProgramme
                     ) -> tuple[RoutineResults, Callable[[], list[str]]]:
    """The results (cached) and how to write their sources in the language in use."""
    res = measured.routine_results(example_store(country))
    monthly = res.monthly
    return res, lambda: [
            _("DHIS2 routine data, %(span)s: data set MNH_MONTHLY, %(example)s, loaded with "
              "mmsis.data.store.load_example") % {"span": _span(country, monthly),
                                                  "example": _(SYNTHETIC)}
            if country.synthetic else _("DHIS2 routine data, %(span)s: %(source)s")
            % {"span": _span(country, monthly),
               "source": country.source_of("routine", SYNTHETIC)},
            _("Indicators: mmsis.measure.routine.indicators.compute_indicators with "
              "framework/data/routine_indicators.yaml (DHIS2 aggregation rules), national "
              "level"),
            _("Data quality: mmsis.measure.routine.quality.quality_review (WHO DQR "
              "dimensions), regions by year"),
        ]


def _span(country: CountryProgramme, monthly: pd.DataFrame) -> str:
    """First-last month of the routine data (the country's own span when it states one)."""
    c = country.country
    if c.get("start_period") and c.get("end_period"):
        return _periods(c["start_period"], c["end_period"])
    periods = monthly["period"].astype(str)
    return _periods(periods.min(), periods.max()) if len(periods) else _("no months")


def _periods(first: Any, last: Any) -> str:
    """Two DHIS2 periods as a span for people ("Jan 2022 - Dec 2024")."""
    return f"{fmt.period(first)} - {fmt.period(last)}"


def measurements(country: CountryProgramme) -> dict[str, dict[str, Any]]:
    """Indicator id -> {value, date, source, ci_low, ci_high} measured from the country's data.

    Only the parts the inputs hold (and that could be computed) give values; the scorecard
    then treats the other indicators as not measured. The values are those of
    `mmsis.plan.measured` (survey_measurements, routine_measurements) on the inputs' data.
    """
    out: dict[str, dict[str, Any]] = {}
    s, _ = attempt(country, "survey", survey_results)
    if s is not None:
        out.update(survey_measurements(s))
    rt, _ = attempt(country, "routine", routine_results)
    if rt is not None:
        out.update(routine_measurements(rt))
    return out


COMPUTE_ERRORS = measured.COMPUTE_ERRORS
"""What a computation on user data can raise when the data do not allow it."""


def attempt(country: CountryProgramme, part: Part,
            compute: Callable[[CountryProgramme], _T]) -> tuple[_T | None, str | None]:
    """`compute(country)` when the inputs hold `part`, else (None, why it is missing).

    For inputs other than the example country a computation that the data do not allow
    gives (None, reason) instead of an exception, so one odd upload cannot stop the report.
    """
    if not country.has(part):
        return None, country.missing_reason(part)
    try:
        return compute(country), None
    except COMPUTE_ERRORS as exc:
        if country.synthetic:
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return None, f"the {part} data could not be used: {msg}"


example_measurements = measurements  # the name used before the report took other inputs


@dataclass
class EvaluationResults:
    """What changed where MMS arrived: staggered DiD on district ANC1 visits."""

    summary: pd.DataFrame
    event_study: pd.DataFrame
    chart_png: bytes | None
    truth: dict[str, Any]
    sources: list[str] = field(default_factory=list)


def district_panel(country: CountryProgramme) -> pd.DataFrame:
    """District x month ANC1 visits with each district's MMS start (from the roll-out table)."""
    from mmsis.measure.routine.indicators import compute_indicators

    store = example_store(country)
    level = store.concepts().require_district_level()  # the country's districts
    ind = compute_indicators(store, ids=["anc1_coverage"], level=level, period_type="monthly")
    panel = ind.rename(columns={"numerator": "anc1", "denominator": "expected"})
    starts = _rollout(country).drop_duplicates("district_id").set_index("district_id")[
        "mms_start"].astype(str)
    panel["mms_start"] = panel["org_unit"].map(starts)
    return panel[["org_unit", "org_unit_name", "period", "anc1", "expected", "mms_start"]]


def _rollout(country: CountryProgramme) -> pd.DataFrame:
    """The programme's roll-out table (district_id, mms_start); refused when it has none."""
    if country.rollout is None:
        raise InputError(country.missing_reason("rollout"), field="rollout")
    return country.rollout


def evaluation_results(country: CountryProgramme) -> EvaluationResults:
    """Staggered difference-in-differences (TWFE and did2s) of log ANC1 on MMS introduction."""
    res, words = country.cached("evaluation", lambda: _evaluation(country))
    return replace(res, sources=words())


def _evaluation(country: CountryProgramme
                ) -> tuple[EvaluationResults, Callable[[], list[str]]]:
    """The results (cached) and how to write their sources in the language in use."""
    import tempfile
    from pathlib import Path

    from mmsis.evaluate.did import fit_did
    from mmsis.results import save_plot

    panel = district_panel(country)
    panel = panel[panel["mms_start"].notna()]
    if panel["mms_start"].nunique() < 2:
        raise InputError("the evaluation needs districts with routine data that start MMS in "
                         "at least two different months (staggered roll-out)", field="rollout")
    # keep the months when some districts had not started yet: once every district has MMS
    # there is no comparison group left (the last wave serves as not-yet-treated comparison)
    last_start = panel["mms_start"].max()
    panel = panel[panel["period"].astype(str) < last_start]
    res = fit_did(panel, "anc1", "org_unit", "period", "mms_start", log_outcome=True)
    with tempfile.TemporaryDirectory() as tmp:
        png = save_plot(res, Path(tmp) / "event.png").read_bytes()
    summary = res.summary.copy()
    truth = {"anc1_rr_mms": (country.truth or {}).get("anc1_rr_mms")}
    result = EvaluationResults(summary=summary, event_study=res.event_study, chart_png=png,
                               truth=truth)
    return result, lambda: [
            _("District-month ANC1 visits (%(districts)s districts, %(span)s: months before "
              "the last wave starts) from DHIS2: %(source)s; MMS start per district from "
              "%(rollout)s") % {
                "districts": fmt.count(panel["org_unit"].nunique()),
                "span": _periods(panel["period"].min(), panel["period"].max()),
                "source": _(country.source_of("routine", SYNTHETIC)),
                "rollout": _(country.source_of("rollout", "the roll-out table"))},
            _("Model: mmsis.evaluate.did.fit_did, %(method)s; outcome log(ANC1)")
            % {"method": _(res.method)},
        ] + ([_("Generator truth (synthetic): ANC1 rate ratio after MMS = %(truth)s (log "
                "%(log)s)") % {"truth": fmt.number(truth["anc1_rr_mms"], 6),
                               "log": _log(truth["anc1_rr_mms"])}]
             if truth["anc1_rr_mms"] else [])


@dataclass
class ItsResults:
    """The interrupted time series of ANC1 in the first district to start MMS."""

    district: str
    district_name: str
    element: str
    start: str
    summary: pd.DataFrame
    level_change: dict[str, Any]
    sources: list[str] = field(default_factory=list)


def its_results(country: CountryProgramme) -> ItsResults:
    """ITS of ANC1 visits over the first district to start MMS (the roll-out's earliest start,
    then the smallest id), from its start month: mmsis.evaluate.routine_its.store_its, the
    Evaluation page's and `mmsis evaluate routine-its`'s specification."""
    from mmsis.data.concepts import concept_map
    from mmsis.evaluate.routine_its import DEFAULT_FAMILY, level_change, store_its

    store = example_store(country)
    element = concept_map(store).require("anc1")
    ro = _rollout(country).assign(district_id=lambda f: f["district_id"].astype(str),
                                mms_start=lambda f: f["mms_start"].astype(str))
    first = ro.sort_values(["mms_start", "district_id"]).iloc[0]
    district, start = str(first["district_id"]), str(first["mms_start"])
    res = store_its(store, element, start, district)
    names = dict(zip(country.org_units["id"].astype(str), country.org_units["name"], strict=False))
    summary = res.summary.copy()
    summary.insert(0, "district", district)
    summary.insert(1, "data_element", element)
    summary.insert(2, "start", start)
    return ItsResults(
        district=district, district_name=str(names.get(district, district)), element=element,
        start=start, summary=summary, level_change=level_change(res),
        sources=[_("Monthly %(element)s (the country's ANC1 data element) over the subtree "
                   "of %(district)s, rolled up by mmsis.measure.routine; start %(start)s from "
                   "%(rollout)s") % {
                     "element": element, "district": names.get(district, district),
                     "start": fmt.period(start),
                     "rollout": _(country.source_of("rollout", "the roll-out table"))},
                 _("Model: mmsis.evaluate.routine_its.store_its (%(method)s, family "
                   "%(family)s, one annual harmonic), as the Evaluation page and `mmsis "
                   "evaluate routine-its`") % {"method": _(res.method),
                                                "family": DEFAULT_FAMILY}])


def _log(x: Any) -> str:
    """The natural log of a rate ratio with three decimals ("n/a" without one)."""
    import math

    return fmt.fixed(math.log(float(x)), 3) if x else _("n/a")


@dataclass
class DecideResults:
    """Supply forecast (summary, budget by year) and health impact with uncertainty."""

    forecast_summary: pd.DataFrame
    budget: pd.DataFrame
    orders: pd.DataFrame
    impact_summary: pd.DataFrame
    anchors: pd.DataFrame
    scenario_name: str
    currency: str
    forecast_sources: list[str] = field(default_factory=list)
    impact_sources: list[str] = field(default_factory=list)
    pathways: pd.DataFrame = field(default_factory=pd.DataFrame)


def decide_results(country: CountryProgramme, draws: int | None = None) -> DecideResults:
    """Forecast and impact (mmsis.forecast / mmsis.impact) of the country's scenario.

    The example country's scenario is built by `example_scenario`; other inputs bring their
    own (`CountryProgramme.scenario`, e.g. the one saved in a web workspace).
    """
    from mmsis.demos.examples import example_scenario
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import scenario_from_dict
    from mmsis.impact.engine import DRAWS, SEED, run_impact

    draws = DRAWS if draws is None else draws  # the web's and the CLI's draws and seed
    from mmsis.datasets import ExampleCountry

    synthetic = isinstance(country, ExampleCountry)  # its scenario is built from its tables
    data = example_scenario(country) if isinstance(country, ExampleCountry) else country.scenario
    sc = scenario_from_dict(data, file="scenario")
    fc = run_forecast(sc)
    imp = run_impact(sc, draws=draws, seed=SEED)
    money = {"name": sc.name, "currency": sc.currency, "year": sc.currency_year}
    if synthetic:
        scen = _("Scenario '%(name)s' built by mmsis.demos.examples.example_scenario from "
                 "the example country (districts, roll-out, birth rate); costs and opening "
                 "stock are illustrative (status: assumption); %(currency)s %(year)s") % money
    else:
        scen = _("Scenario '%(name)s': %(source)s; %(currency)s %(year)s") % {
            **money, "source": country.source_of("scenario", "")}
    return DecideResults(
        forecast_summary=fc.totals, budget=fc.budget, orders=fc.orders,
        impact_summary=imp.measures, anchors=imp.anchors, pathways=imp.pathways,
        scenario_name=sc.name,
        currency=sc.currency,
        forecast_sources=[
            scen,
            _("Model: mmsis.forecast.engine.run_forecast (demographic need, max-min stock "
              "projection, FEFO expiry, budget by year); product facts from "
              "framework/data/evidence.yaml"),
        ],
        impact_sources=[
            scen,
            _("Model: mmsis.impact.engine.run_impact (%(draws)s Monte Carlo draws, seed "
              "%(seed)s); effect sizes from framework/data/evidence.yaml (Keats 2019 Cochrane; "
              "Smith 2017; Katz 2013 preterm/SGA categories), scaled by adherence (Smith 2025 "
              "Adv Nutr 16(7):100455, framework/data/impact_model.yaml)")
            % {"draws": fmt.count(draws), "seed": SEED},
            _("Anchors: published cost-effectiveness results (Kashi 2019 J Nutr "
              "149(7):1222-1229, Engle-Stone 2019, NI Cost-Benefit Tool, Larsen 2023 "
              "Copenhagen Consensus) from framework/data/evidence.yaml; re-run from their "
              "stated inputs in mmsis.impact.reproduce"),
        ],
    )
