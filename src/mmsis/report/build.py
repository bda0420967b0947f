"""Build the country report: gather inputs, make sections, write HTML (+PDF), XLSX and DOCX."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mmsis.i18n import N_, current_language
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.format import period
from mmsis.report import sections as S
from mmsis.report.charts import bars_png
from mmsis.report.inputs import is_synthetic

if TYPE_CHECKING:
    from mmsis.data.programme import CountryProgramme
    from mmsis.data.workspace import Programme
    from mmsis.plan.measured import RoutineResults, SurveyResults
    from mmsis.report.gather import DecideResults, EvaluationResults

ROUTINE_CHART = ("mms_share_of_anc1", "ifa_to_mms_transition_share", "stockout_rate",
                 "stock_between_min_max", "reporting_completeness")


@dataclass
class ReportResult:
    """Paths written and the key numbers shown in the report."""

    html: Path
    xlsx: Path
    docx: Path
    pdf: Path | None
    heatmap: Path
    sections: list[str]
    missing: dict[str, str]
    key_numbers: dict[str, Any] = field(default_factory=dict)
    pptx: Path | None = None



def _element_name(country: CountryProgramme, element: str) -> str:
    """A data element's name from the programme's metadata, else its knowledge-base label."""
    from mmsis.present.labels import Labels

    des = country.data_elements
    own = ({"data_element": dict(zip(des["id"].astype(str), des["name"].astype(str),
                                     strict=False))}
           if des is not None and {"id", "name"} <= set(des.columns) else None)
    return Labels(own).label(element, "data_element")


def _pdf(html: str, path: Path) -> Path | None:
    """Write a PDF with WeasyPrint when it is installed (optional `pdf` extra)."""
    try:
        from weasyprint import HTML  # type: ignore[import-not-found]
    except ImportError:
        return None
    HTML(string=html).write_pdf(str(path))
    return path


def _cascade_table(c: pd.DataFrame) -> pd.DataFrame:
    cols = ["label", "of", "estimate", "ci_low", "ci_high", "n"]
    return c[cols].rename(columns={"label": "step"})


def _statuses(country: CountryProgramme) -> Programme:
    """The team's statuses the programme holds; without them, the example programme for the
    example country and an empty workspace for other inputs."""
    from mmsis.data.workspace import Programme
    from mmsis.datasets import ExampleCountry
    from mmsis.demos.examples import example_programme

    if country.statuses is not None:
        return country.statuses
    if isinstance(country, ExampleCountry):
        return example_programme(country)
    name = str(country.country.get("name") or "country")
    return Programme(country=name, name=name)


def build_sections(country: CountryProgramme, measured_values: dict[str, Any] | None = None
                   ) -> tuple[list[S.Section], dict[str, Any]]:
    """Compute every section the inputs allow; returns sections and the objects used.

    `country` is the example country or another `mmsis.data.programme.CountryProgramme`,
    whose `statuses` (the team's workspace) give the scorecard, agenda and decisions; a
    section whose data are absent or unusable comes out as `sections.unavailable` saying why.
    `measured_values` (indicator -> value, date, source) judge the scorecard instead of the
    values measured from `country` (the web passes the programme's own, as on its dashboard,
    when the report's data are a user's subtree).
    """
    from mmsis.framework.loader import load_framework
    from mmsis.plan.agenda import build_agenda
    from mmsis.plan.measured import programme_scorecard
    from mmsis.plan.strategies import cfir_eric_map, suggest_strategies
    from mmsis.report import gather as G

    synthetic = is_synthetic(country)
    fw = load_framework()
    prog = _statuses(country)
    s, s_why = G.attempt(country, "survey", G.survey_results)
    rt, rt_why = G.attempt(country, "routine", G.routine_results)
    measured: dict[str, dict[str, Any]] = {}
    if s is not None:
        measured.update(G.survey_measurements(s))
    if rt is not None:
        measured.update(G.routine_measurements(rt))
    own = measured  # the values of this report's data (its cascade section states them)
    if measured_values is not None:
        measured = dict(measured_values)
    card = programme_scorecard(prog, fw, measured=measured)
    agenda = build_agenda(prog, fw, card, top=10)
    strategies = suggest_strategies(prog, fw)
    kb = _("Knowledge base: mmsis/framework/data (%(files)s)") % {
        "files": ", ".join(sorted(set(fw.files.values()))) if fw.files
        else "key_results.yaml, ..."}
    out: list[S.Section] = []
    workspace = {"name": prog.name or prog.country}
    out.append(S.scorecard_section(card, [
        (_("Programme workspace: %(name)s (team statuses with evidence; example: "
           "plan/data/example_plan.yaml, synthetic)") if synthetic else
         _("Programme workspace: %(name)s (team statuses with evidence)")) % workspace,
        _("Key results and thresholds: framework/data/key_results.yaml (threshold_source per "
          "key result)"),
        (_("Measured values: the programme's own data, as on the workspace's dashboard (each "
           "row names its source)") if measured_values is not None else
         _("Measured values: survey and routine results below (each row names its source)"))
        if measured else _("Measured values: none (no survey or routine results could be "
                           "computed; see the sections below)"),
        _("Rule: mmsis.plan.measured.programme_scorecard (mmsis.plan.scorecard.assess, "
          "docs/plan.md)"),
    ]))
    regional = []
    for r in prog.regions:
        if not r.phases:
            continue
        rcard = programme_scorecard(prog, fw, measured=measured, region=r.id)
        regional += [{"region": r.name, **row} for row in S.verdict_rows(rcard, r.phases)]
    if regional:
        out[0].tables.insert(1, S.Table(
            caption=N_("Regions whose phase differs from the national one"),
            frame=pd.DataFrame(regional), percent=["share_met"]))
    clusters = {c.id: c.name for c in fw.eric_clusters}  # ERIC cluster names, not ids
    strat = strategies[["construct", "barrier", "strategy_name", "cluster", "decision",
                        "team_note"]].assign(cluster=lambda f: f["cluster"].map(
                            lambda c: clusters.get(c, c))) if len(strategies) else None
    out.append(S.agenda_section(agenda, strat, [
        _("Question bank, outcomes, designs: framework/data/questions.yaml, outcomes.yaml, "
          "designs.yaml"),
        _("Score: mmsis.plan.agenda.build_agenda; weights from the plan file; default ratings "
          "derived as documented in docs/plan.md"),
        _("Sample sizes: mmsis.design (survey_sample_size, crt_clusters, stepped_wedge_power, "
          "individual_proportions) with the assumptions in plan/data/agenda_defaults.yaml "
          "(status: assumption)"),
        _("ERIC suggestions: plan/data/cfir_eric.yaml - %(source)s (status: assumption)")
        % {"source": cfir_eric_map()["source"].strip()},
        kb,
    ]))
    out.append(_cascade(s, own) if s is not None else S.unavailable(
        "cascade", N_("Coverage cascade and equity"), str(s_why)))
    out.append(_routine(rt) if rt is not None else S.unavailable(
        "routine", N_("Routine data: trends and quality"), str(rt_why)))
    ev, ev_why = (None, rt_why) if rt is None else G.attempt(country, "rollout",
                                                              G.evaluation_results)
    out.append(_evaluation(ev) if ev is not None else S.unavailable(
        "evaluation", N_("Evaluation: what changed where MMS arrived"), str(ev_why)))
    its, _its_why = (None, rt_why) if rt is None else G.attempt(country, "rollout", G.its_results)
    if its is not None and ev is not None:
        out[-1].tables.append(S.Table(
            caption=_("Interrupted time series: %(element)s in %(district)s from %(start)s "
                      "(rate ratios; as on the Evaluation page)") % {
                "element": _element_name(country, its.element),
                "district": its.district_name, "start": period(its.start)},
            # the district, element and start are in the caption (ids stay in the XLSX)
            frame=its.summary.drop(columns=[c for c in ("district", "data_element", "start")
                                            if c in its.summary])))
        out[-1].sources = list(out[-1].sources) + its.sources
    dr, dr_why = G.attempt(country, "scenario", G.decide_results)
    out.append(_decide(dr) if dr is not None else S.unavailable(
        "decide", N_("Forecast and impact"), str(dr_why)))
    out.append(S.decisions_section(prog, {k.id: k.title for k in fw.key_results}))
    objs = {"fw": fw, "programme": prog, "card": card, "agenda": agenda,
            "strategies": strategies, "measured": measured, "evaluation": ev, "decide": dr,
            "its": its,
            "survey": s, "routine": rt}
    return out, objs


def _of_words(of: pd.Series, cascade: pd.DataFrame) -> list[str]:
    """A cascade's `of` column in words: "previous step: anc1" names the step's label, in
    the language in use (mmsis.measure.survey.cascade writes the step's id)."""
    names = dict(zip(cascade["step"].astype(str), cascade["label"].astype(str), strict=False))
    prefix = "previous step: "
    return [_("previous step: %(step)s") % {"step": _(names.get(o[len(prefix):],
                                                                  o[len(prefix):]))}
            if str(o).startswith(prefix) else _(str(o)) for o in of]


def _cascade(s: SurveyResults, measured: dict[str, dict[str, Any]]) -> S.Section:
    """Coverage cascade and equity section from the survey results."""
    cas = _cascade_table(s.cascade)
    eq = s.equity_groups.rename(columns={"dimension": "group", "group": "level"})[
        ["group", "level", "estimate", "ci_low", "ci_high", "n"]]
    sec = S.cascade_section(cas[cas["of"] == "all women"].drop(columns=["of"]), eq, s.sources)
    conditional = cas[cas["of"] != "all women"].assign(
        of=lambda f: _of_words(f["of"], s.cascade))
    sec.tables.insert(1, S.Table(caption=N_("Conditional steps (% of the previous step)"),
                                 frame=conditional,
                                 percent=["estimate", "ci_low", "ci_high"]))
    gaps = s.equity_measures[["dimension", "measure", "comparison", "estimate", "ci_low",
                              "ci_high", "n"]]
    sec.tables.append(S.Table(caption=N_("Equity gaps in receiving MMS"), frame=gaps))
    sec.tables.append(S.Table(caption=N_("Adherence among MMS recipients"), frame=s.adherence[
        ["measure", "estimate", "ci_low", "ci_high", "n"]]))
    sec.bullets = [
        _("Received any MMS: %(received)s; consumed >= 180 tablets: %(consumed)s of women "
          "with a birth in the past 24 months") % {
            "received": fmt.percent(measured["mms_received_any"]["value"], 1),
            "consumed": fmt.percent(measured["mms_consumed_180"]["value"], 1)}
        if {"mms_received_any", "mms_consumed_180"} <= set(measured)
        else _("The survey gave no MMS receipt or consumption estimate."),
        _("Group labels of region are the survey's v024 codes."),
    ]
    return sec


def _routine(rt: RoutineResults) -> S.Section:
    """Routine trends and data-quality section."""
    trends = rt.trends[rt.trends["indicator"].isin(ROUTINE_CHART)]
    rsec = S.routine_section(trends[["period", "indicator", "value"]], rt.quality, rt.sources)
    from mmsis.present.labels import label

    latest = period(rt.latest["period"].iloc[0]) if len(rt.latest) else _("none")
    rsec.tables[0] = S.Table(caption=_("Latest quarter (%(quarter)s), national")
                             % {"quarter": latest}, frame=rt.latest)
    rsec.bullets = [_("Data-quality score %(score)s (mean of the DQR dimensions)")
                    % {"score": fmt.fixed(rt.quality_score, 1)},
                    _("Shares are proportions (0-1); %(stock)s in months; %(tablets)s in "
                      "tablets.") % {"stock": label("months_of_stock"),
                                     "tablets": label("mms_tablets_per_client")}]
    return rsec


def _evaluation(ev: EvaluationResults) -> S.Section:
    """Difference-in-differences section."""
    rr = ev.summary.set_index("term").loc["did2s_att", "rr"]
    truth = ev.truth.get("anc1_rr_mms")
    return S.frames_section(
        "evaluation", N_("Evaluation: what changed where MMS arrived"),
        N_("Did antenatal attendance change when districts introduced MMS? Staggered "
           "difference-in-differences on district-month ANC1 visits (log scale; rr = rate "
           "ratio)."),
        {N_("Average effect on the treated"): ev.summary,
         N_("Event study, did2s (effect by month since introduction; both estimators in the "
            "XLSX)"): ev.event_study[ev.event_study["estimator"] == "did2s"]},
        ev.sources,
        chart_list=[S.Chart(caption=N_("Event study with 95% CIs"), png=ev.chart_png)]
        if ev.chart_png else [],
        bullets=[(_("did2s rate ratio %(rr)s; the synthetic generator's true value is "
                    "%(truth)s") if truth else _("did2s rate ratio %(rr)s"))
                 % {"rr": fmt.fixed(rr, 3), "truth": fmt.number(truth, 6) if truth else ""}],
    )


def _decide(dr: DecideResults) -> S.Section:
    """Forecast and impact section."""
    budget_cols = [c for c in ("year", "mms_total", "ifa_total", "programme_total", "total")
                   if c in dr.budget.columns]
    keep = ["lbw_averted", "neonatal_deaths_averted", "dalys_averted", "incremental_cost",
            "cost_per_daly", "cost_per_death_averted"]
    imp = dr.impact_summary[dr.impact_summary["measure"].isin(keep)][
        ["measure", "central", "mean", "ui_low", "ui_high", "n"]]
    anchors = dr.anchors[[c for c in ("study", "currency_year", "cost_per_daly",
                                      "cost_per_daly_low", "cost_per_daly_high",
                                      "cost_per_daly_converted",
                                      "dalys_averted_per_100k_pregnancies",
                                      "cost_per_death_averted", "benefit_cost_ratio",
                                      "conversion", "source")
                          if c in dr.anchors.columns]]
    b = dr.budget
    return S.frames_section(
        "decide", N_("Forecast and impact"),
        _("Supply, budget and health impact of the scale-up scenario (%(scenario)s).")
        % {"scenario": dr.scenario_name},
        {N_("Forecast summary"): dr.forecast_summary,
         _("Budget by year (%(currency)s)") % {"currency": dr.currency}: b[budget_cols],
         N_("Health impact and cost-effectiveness (95% uncertainty intervals)"): imp,
         N_("DALYs averted by pathway (each with its convention)"): dr.pathways[
             ["label", "on", "events_averted", "dalys_central", "dalys_ui_low",
              "dalys_ui_high", "convention"]] if len(dr.pathways) else dr.pathways,
         _("Published cost-effectiveness anchors (converted to %(currency)s of the "
           "scenario's year where exchange rates and deflators are given)")
         % {"currency": dr.currency}: anchors},
        list(dict.fromkeys(dr.forecast_sources + dr.impact_sources)),
        chart_list=[S.Chart(caption=_("Total budget by year (%(currency)s)")
                            % {"currency": dr.currency},
                            png=bars_png([str(y) for y in b["year"]],
                                         [float(v) for v in b["total"]], dr.currency))],
    )


def build_report(out_dir: Path, country: CountryProgramme | None = None,
                 plan_file: str | None = None, pdf: bool = False,
                 pptx: bool = False,
                 measured_values: dict[str, Any] | None = None) -> ReportResult:
    """Write report.html (+ report.pdf), agenda.xlsx, protocol.docx and the heat map.

    `country` is the example country (the default) or another
    `mmsis.data.programme.CountryProgramme` (its data, survey waves and the team's statuses);
    sections the inputs cannot support are marked unavailable (listed in `missing`).
    `measured_values` judge the scorecard instead of the values measured from `country`
    (see `build_sections`).
    """
    from mmsis.report.documents import indicator_sheets, write_protocol, write_xlsx
    from mmsis.report.html import render_html

    if country is None:
        from mmsis.datasets import example_country

        country = example_country()
    out_dir.mkdir(parents=True, exist_ok=True)
    sections, o = build_sections(country, measured_values)
    prog, card, agenda, fw = o["programme"], o["card"], o["agenda"], o["fw"]
    from mmsis.i18n import gettext as _

    sections = S.translated(sections)
    title = _("MMS implementation report: %(country)s") % {"country": prog.country}
    subtitle = _("%(programme)s - for the MMS Technical Advisory Group") % {
        "programme": prog.name or prog.country}
    notice = (_("%(country)s is a synthetic example country: numbers illustrate the method, "
                "not any real programme.") % {"country": country.country["name"]}
              if is_synthetic(country)
              or str(country.country.get("status", "")).startswith("synthetic") else None)
    html = render_html(sections, title=title, subtitle=subtitle, plan_file=plan_file,
                       notice=notice)
    html_path = out_dir / "report.html"
    html_path.write_text(html, encoding="utf-8")
    heat = card.plot(out_dir / "scorecard.png")
    ind_ids = list(dict.fromkeys([i for it in agenda.items for i in it.indicators]
                                 + [k.indicator for k in fw.key_results if k.indicator]))
    agenda_frame = agenda.summary
    basis = pd.DataFrame([{"question": it.question, **{f"basis_{k}": v for k, v in
                                                         it.rating_basis.items()}}
                          for it in agenda.items])
    measured = pd.DataFrame([{"indicator": k, **v} for k, v in o["measured"].items()],
                            columns=None if o["measured"] else ["indicator", "value"])
    if len(basis):
        agenda_frame = agenda_frame.merge(basis, on="question")
    sheets = {  # English names, written in the language in use by write_xlsx
        N_("Agenda"): agenda_frame,
        N_("Indicator sheets"): indicator_sheets(fw, ind_ids),
        N_("Scorecard"): card.items_frame(),
        N_("Verdicts"): card.verdicts_frame(),
        N_("Strategies"): o["strategies"],
        N_("Measured values"): measured,
    }
    for name, obj, attr in ((N_("ITS"), o["its"], "summary"),
                            (N_("Impact"), o["decide"], "impact_summary"),
                            (N_("Event study"), o["evaluation"], "event_study"),
                            (N_("Cascade"), o["survey"], "cascade"),
                            (N_("Routine monthly"), o["routine"], "trends")):
        if obj is not None:
            sheets[name] = getattr(obj, attr)
    if o["survey"] is not None:  # the denominator in words of the language in use (the
        from mmsis.measure.survey.programme import with_words  # results are cached)

        sheets[N_("Cascade")] = with_words(o["survey"].cascade,
                                           period_months=o["survey"].period_months)
    if current_language() != "en":  # words for the reader; the English sheets keep the ids
        if o["survey"] is not None:
            sheets[N_("Cascade")] = sheets[N_("Cascade")].assign(
                of=lambda f: _of_words(f["of"], f))
        words = pd.DataFrame(S.verdict_rows(card))
        if len(words):
            sheets[N_("Verdicts")] = sheets[N_("Verdicts")].assign(
                verdict=list(words["verdict"]), reasons=list(words["reasons"]))
    xlsx = write_xlsx(out_dir / "agenda.xlsx", sheets)
    docx = write_protocol(out_dir / "protocol.docx", prog, card, agenda, fw)
    pdf_path = _pdf(html, out_dir / "report.pdf") if pdf else None
    deck = None
    if pptx:
        from mmsis.report.deck import write_deck

        deck = write_deck(out_dir / "report.pptx", sections, title, subtitle, notice)
    key: dict[str, Any] = {
        "pillars_ready": [v.pillar for v in card.verdicts if v.ready],
        "top_question": agenda.items[0].question if agenda.items else None,
    }
    if "mms_received_any" in o["measured"]:
        key["mms_received_any"] = o["measured"]["mms_received_any"]["value"]
    if o["evaluation"] is not None:
        key["did2s_rr"] = float(o["evaluation"].summary.set_index("term").loc["did2s_att", "rr"])
    if o["its"] is not None:
        key["its_rr"] = o["its"].level_change["estimate"]
    if o["decide"] is not None:
        key["cost_per_daly"] = float(o["decide"].impact_summary.set_index("measure")
                                     .loc["cost_per_daly", "central"])
    return ReportResult(
        html=html_path, xlsx=xlsx, docx=docx, pdf=pdf_path, heatmap=heat,
        sections=[s.id for s in sections],
        missing={s.id: s.missing for s in sections if s.missing},
        key_numbers=key, pptx=deck,
    )
