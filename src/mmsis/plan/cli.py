"""`mmsis plan`: create the programme workspace, assess readiness, rank the IR agenda, and
generate the field forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mmsis._cli import console, print_json, print_table
from mmsis.errors import InputError
from mmsis.i18n import gettext as _

app = typer.Typer(no_args_is_help=True, help="Assess readiness and plan the IR agenda.")

PLAN_FILE = typer.Option(Path("mmsis-plan.yaml"), "--file", "-f", help="Programme workspace YAML.")


@app.command("assess")
def assess_cmd(
    file: Path = PLAN_FILE,
    region: str | None = typer.Option(None, "--region", help="Assess one region's phases."),
    ready_share: float = typer.Option(0.8, "--ready-share", help="Share met needed to move on."),
    chart: Path | None = typer.Option(None, "--chart", help="Write the heat map (.png/.svg)."),
    store: Path | None = typer.Option(
        None, "--store", help="Programme store (e.g. a web workspace's): key results backed by "
        "an indicator are judged from its routine data and survey wave, as on the dashboard "
        "and in the report."),
    wave: str | None = typer.Option(
        None, "--wave", help="With --store: the survey wave (default: the latest uploaded)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Readiness scorecard per phase x pillar and a verdict for each pillar's next phase."""
    import pandas as pd

    from mmsis.framework.loader import load_framework
    from mmsis.plan.measured import programme_scorecard
    from mmsis.plan.workspace import load_programme

    prog = load_programme(file)
    measured_from = None
    if store is not None:
        card, measured_from = _assess_with_store(prog, store, wave, region, ready_share)
    elif wave is not None:
        raise InputError("--wave goes with --store (the store holds the survey waves)",
                         field="wave")
    else:
        card = programme_scorecard(prog, load_framework(), measured={}, region=region,
                                   ready_share=ready_share)
    if chart is not None:
        card.plot(chart)
    if as_json:
        print_json(card)
        return
    from mmsis.plan.wording import composed as value_source_words
    from mmsis.present import format as fmt
    from mmsis.present.labels import default_labels
    from mmsis.present.sentences import item_value, readiness

    if measured_from:
        console.print(_("Measured from %(where)s.") % {"where": measured_from},
                      highlight=False)

    lab = default_labels()
    v = card.verdicts_frame()
    shown = pd.DataFrame({
        _("pillar"): [lab.label(p, "pillar") for p in v["pillar"]],
        _("phase"): [lab.label(p, "phase") for p in v["phase"]],
        _("key results met"): [fmt.percent(x) for x in v["share_met"]],
        _("verdict"): [_("ready to move on") if r else _("stay") for r in v["ready"]]})
    print_table(shown, title=_("Readiness: %(programme)s") % {"programme": card.programme})
    for row in card.verdicts:
        console.print(readiness(row, card.items), highlight=False)
    items = [i for i in card.items if i.basis == "measured"]
    if items:
        print_table(pd.DataFrame({
            _("key result"): [_(i.title) for i in items],
            _("value"): [item_value(i) for i in items],
            _("status"): [lab.label(i.status, "word") for i in items],
            _("source"): [value_source_words(i.value_source or "") or i.value_source or ""
                        for i in items]}),
            title=_("Indicator-backed key results"))


def _assess_with_store(prog: Any, store: Path, wave: str | None, region: str | None,
                       ready_share: float) -> tuple[Any, str]:
    """The scorecard judged with the store's routine data and survey wave; where from."""
    from mmsis.data.store import Store
    from mmsis.data.survey.waves import pick_wave, wave_words
    from mmsis.framework.loader import load_framework
    from mmsis.plan.measured import measurements, programme_scorecard

    if not store.is_file():
        raise InputError("file not found", file=str(store))
    with Store(store, read_only=True) as st:
        survey, words = None, "no survey wave"
        if wave is not None or len(st.survey_waves()):
            info, survey = pick_wave(st, wave)
            words = wave_words(info)
        values = measurements(st, survey, survey_file=None)
    card = programme_scorecard(prog, load_framework(), measured=values, region=region,
                               ready_share=ready_share)
    return card, f"the routine data in {store} and {words}"


@app.command("agenda")
def agenda_cmd(
    file: Path = PLAN_FILE,
    top: int = typer.Option(10, "--top", min=1, help="Number of questions to keep."),
    scores: Path | None = typer.Option(
        None, "--scores", help="The group's CHNRI scores (CSV rater,question,criterion,score): "
        "questions they scored are ranked by their research priority score."),
    weights: Path | None = typer.Option(None, "--weights", help="CHNRI criterion weights (YAML)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The ranked IR agenda with designs and sample sizes, and ERIC strategy suggestions."""
    from mmsis.framework.loader import load_framework
    from mmsis.plan.agenda import build_agenda
    from mmsis.plan.scorecard import assess
    from mmsis.plan.strategies import suggest_strategies
    from mmsis.plan.workspace import load_programme

    fw = load_framework()
    prog = load_programme(file)
    priorities = None
    if scores is not None:
        from mmsis.plan.chnri import prioritise, read_scores, read_weights

        priorities = prioritise(read_scores(scores), read_weights(weights) if weights else None)
    agenda = build_agenda(prog, fw, assess(prog, fw), top=top, priorities=priorities)
    strategies = suggest_strategies(prog, fw)
    if as_json:
        ids = list(dict.fromkeys(i for it in agenda.items for i in it.indicators))
        sheets = [fw.indicator(i).model_dump(mode="json") for i in ids]
        print_json({"agenda": agenda, "indicator_sheets": sheets, "strategies": strategies})
        return
    import pandas as pd

    from mmsis.present.tables import Column, readable

    print_table(readable(agenda.summary, [
        Column("rank", _("rank")), Column("question", _("question"), "label_id", "question"),
        Column("score", _("score"), "number"), Column("design", _("design"), "label", "design"),
        Column("sample_size", _("sample size")), Column("partner", _("partner"))]),
        title=_("IR agenda: %(programme)s (top %(top)s of %(candidates)s)") % {
            "programme": agenda.programme, "top": top, "candidates": agenda.n_candidates})
    if len(strategies):
        shown = pd.DataFrame({
            _("construct"): [_(c) for c in strategies["construct"]],
            _("strategy"): [_(n) for n in strategies["strategy_name"]],
            _("decision"): [_(d) for d in strategies["decision"]],
            _("specification"): [
                "" if d != "accepted" else _("complete") if not miss
                else _("missing: %(fields)s") % {"fields": miss}
                for d, miss in zip(strategies["decision"], strategies["spec_missing"],
                                   strict=True)]})
        print_table(shown, title=_("ERIC strategies for flagged CFIR barriers (an accepted "
                                   "one specified: actor, action, target, temporality, dose, "
                                   "outcome, justification)"))


@app.command("prioritise")
def prioritise_cmd(
    scores: Path = typer.Argument(..., help="CSV rater,question,criterion,score (1, 0.5, 0 or "
                                  "blank for \"don't know\")."),
    weights: Path | None = typer.Option(
        None, "--weights", help="YAML `criterion: weight` (default: every criterion weighs 1)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Group priority setting (CHNRI): criterion scores, research priority score, agreement."""
    from mmsis.framework.loader import load_framework
    from mmsis.plan.chnri import CRITERION_LABELS, prioritise, read_scores, read_weights

    result = prioritise(read_scores(scores), read_weights(weights) if weights else None)
    if as_json:
        print_json(result.to_dict()["questions"])
        return
    fw = load_framework()
    texts = {q.id: _(q.text) for q in fw.questions}
    table = result.summary
    table.insert(2, "text", table["question"].map(lambda q: texts.get(q, "")))
    for c in ("rps", "aea", *result.criteria):
        scale = 100 if c == "aea" else 1
        table[c] = table[c].map(lambda v, s=scale: "" if v is None or v != v else f"{v * s:.0f}")
    table = table.rename(columns={"rps": "priority score (0-100)", "aea": "agreement %",
                                  **{c: CRITERION_LABELS.get(c, c) for c in result.criteria}})
    print_table(table, title=_("Research priorities by the CHNRI method (%(n)d questions)")
                % {"n": len(table)})
    console.print(_("Priority score: the weighted mean of the criterion scores (100 = every rater "
                    "said yes on every criterion); agreement: the share of raters giving the most "
                    "frequent answer, averaged over the criteria."))


def _json_or_empty(frame: Any, as_json: bool, empty: str) -> bool:
    """Print a log's records as JSON, or say how to fill it when it is empty (then True: the
    command is done); False when the table is still to be printed."""
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return True
    if frame.empty:
        console.print(empty)
        return True
    return False


@app.command("roadmap")
def roadmap_cmd(
    file: Path = PLAN_FILE,
    chart: Path | None = typer.Option(None, "--chart", help="Write the Gantt chart (.png/.svg)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Actions on key results per phase (owner, due date, status), overdue ones flagged."""
    import pandas as pd

    from mmsis.framework.loader import load_framework
    from mmsis.plan.decisions import roadmap
    from mmsis.plan.workspace import load_programme

    fw = load_framework()
    prog = load_programme(file)
    road = roadmap(prog.actions, {k.id: k.phase for k in fw.key_results})
    if chart is not None:
        from mmsis.plan.charts import roadmap_gantt

        roadmap_gantt(road, chart)
    if _json_or_empty(road, as_json, _("No actions yet: add them under `actions:` in %(file)s "
                                       "(key_result, action, owner, start, due, status).")
                      % {"file": file}):
        return
    from mmsis.plan.charts import PHASE_NAMES, STATUS_WORDS

    titles = {k.id: k.title for k in fw.key_results}
    status = [_(STATUS_WORDS.get(s, s.replace("_", " "))) + (", " + _("OVERDUE") if late
                                                            else "")
              for s, late in zip(road["status"], road["overdue"], strict=True)]
    shown = pd.DataFrame({
        _("phase"): road["phase"].map(lambda p: _(PHASE_NAMES.get(str(p), str(p)))),
        _("key result"): road["key_result"].map(lambda k: _(titles.get(str(k), str(k)))),
        _("action"): road["action"], _("owner"): road["owner"],
        _("due"): road["due"], _("status"): status})
    print_table(shown, title=_("Roadmap: %(name)s") % {"name": prog.name or prog.country})
    late = int(road["overdue"].sum())
    console.print(_("%(n)d actions, %(done)d done, %(late)d overdue.") % {
        "n": len(road), "done": int((road["status"] == "done").sum()), "late": late}
        + (" " + _("Overdue actions are open and past their due date.") if late else ""))


@app.command("decisions")
def decisions_cmd(
    file: Path = PLAN_FILE,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The decision and adaptation log (FRAME-IS fields), oldest first."""
    from mmsis.plan.decisions import decision_log
    from mmsis.plan.workspace import load_programme

    prog = load_programme(file)
    log = decision_log(prog.adaptations)
    if _json_or_empty(log, as_json, _("No decisions logged yet: add them under `adaptations:` "
                                      "in %(file)s (date, what, nature, goal, planned, "
                                      "decided_by, reasons, evidence).") % {"file": file}):
        return
    print_table(log[["date", "what", "nature", "planned", "goal", "decided by"]],
                title=_("Decisions and adaptations: %(name)s") % {
                    "name": prog.name or prog.country})


@app.command("forms")
def forms_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for the XLSForms."),
    file: Path = PLAN_FILE,
    top: int = typer.Option(10, "--top", min=1, help="Agenda questions the forms follow."),
    store: Path | None = typer.Option(
        None, "--store", help="Programme store whose org units the forms offer as choices "
        "(district, then facility filtered by district)."),
    district_level: int | None = typer.Option(
        None, "--district-level", min=1, help="With --store: the org-unit level of districts "
        "(default: the store's concept mapping, `mmsis routine concepts`)."),
) -> None:
    """Write XLSForms (household/exit survey, facility checklist, stock-card audit)."""
    from mmsis.plan.forms import build_forms

    areas = None
    if store is not None:
        from mmsis.data.store import Store
        from mmsis.plan.forms import org_unit_choices

        if not store.is_file():
            raise InputError("file not found", file=str(store))
        with Store(store, read_only=True) as st:
            level = district_level if district_level is not None else (
                st.concepts().require_district_level())
            areas = org_unit_choices(st.org_units(), level)

    agenda_records = None
    if file.exists():
        from mmsis.framework.loader import load_framework
        from mmsis.plan.agenda import build_agenda
        from mmsis.plan.scorecard import assess
        from mmsis.plan.workspace import load_programme

        fw = load_framework()
        prog = load_programme(file)
        agenda_records = build_agenda(prog, fw, assess(prog, fw), top=top).to_records()
    forms = build_forms(out, agenda_records, org_units=areas)
    for f in forms.values():
        console.print(f"{out / (f.form_id + '.xlsx')}: modules {', '.join(f.modules)}")
    if agenda_records is None:
        console.print(f"(no {file}: every module included)")
