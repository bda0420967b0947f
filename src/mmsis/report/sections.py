"""Report sections: each builder takes plain inputs (DataFrames, dicts, plan models) and
returns a `Section` holding its tables, charts (PNG bytes) and the sources of its numbers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from mmsis.i18n import N_, ngettext
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.labels import default_labels
from mmsis.report import charts

if TYPE_CHECKING:
    from collections.abc import Collection

    from mmsis.data.workspace import Programme
    from mmsis.plan.scorecard import KeyResultAssessment, Scorecard


class Table(BaseModel):
    """A captioned table of a section."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    caption: str
    frame: pd.DataFrame
    percent: list[str] = Field(default_factory=list)


class Chart(BaseModel):
    """A captioned chart, as PNG bytes."""

    caption: str
    png: bytes


def _tr(text: str) -> str:
    from mmsis.i18n import gettext

    return gettext(text) if text else text


def translated(sections: list[Section]) -> list[Section]:
    """The sections with their titles, intros, captions and reasons in the language in use
    (words the catalogs know; numbers and names stay as computed)."""
    out = []
    for sec in sections:
        out.append(sec.model_copy(update={
            "title": _tr(sec.title), "intro": _tr(sec.intro),
            "missing": _tr(sec.missing) if sec.missing else sec.missing,
            "tables": [t.model_copy(update={"caption": _tr(t.caption)}) for t in sec.tables],
            "charts": [c.model_copy(update={"caption": _tr(c.caption)}) for c in sec.charts],
        }))
    return out


class Section(BaseModel):
    """One report section: text, tables, charts and the sources of every number in it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    title: str
    intro: str = ""
    bullets: list[str] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    missing: str | None = None


def unavailable(id: str, title: str, reason: str, sources: list[str] | None = None) -> Section:
    """A section whose inputs could not be computed, saying why."""
    return Section(id=id, title=title, missing=reason, sources=sources or [])


def _threshold(text: str | None) -> str:
    """A threshold ">= 0.7" with its number in the locale in use (">= 0,7")."""
    op, _sp, value = (text or "").partition(" ")
    try:
        return f"{op} {fmt.number(float(value))}"
    except ValueError:
        return text or ""


def _item_note(item: KeyResultAssessment) -> str:
    """Why a key result is open, in words: its measured value against the threshold, or the
    team's status."""
    lab = default_labels()
    if item.basis != "measured" or item.value is None:
        return _("status: %(status)s") % {"status": lab.label(item.status, "word")}
    words = {"indicator": lab.label(item.indicator) if item.indicator else "",
             "value": fmt.number(item.value), "threshold": _threshold(item.threshold),
             "date": fmt.period(item.value_date) if item.value_date else ""}
    note = (_("%(indicator)s = %(value)s (%(date)s) meets %(threshold)s")
            if item.status == "met" else
            _("%(indicator)s = %(value)s (%(date)s) does not meet %(threshold)s")) % words
    if item.team_status and (item.team_status == "met") != (item.status == "met"):
        note += _("; the team recorded '%(status)s'") % {
            "status": lab.label(item.team_status, "word")}
    return note


def verdict_rows(card: Scorecard, pillars: Collection[str] | None = None
                 ) -> list[dict[str, Any]]:
    """Each pillar's verdict and its reasons in the language in use (the scorecard's own
    `verdict`/`reasons` are English words kept for machines)."""
    lab = default_labels()
    items = {i.key_result: i for i in card.items}
    cells = {(c.pillar, c.phase): c for c in card.cells}
    share = {"ready": fmt.percent(card.ready_share, 0)}
    rows = []
    for v in card.verdicts:
        if pillars is not None and v.pillar not in pillars:
            continue
        reasons = []
        cell = cells.get((v.pillar, v.phase))
        for kid in (cell.required_open if cell is not None else []):
            i = items.get(kid)
            if i is not None:
                reasons.append(_("required '%(title)s' is open: %(why)s") % {
                    "title": _(i.title), "why": _item_note(i)})
        met = {**share, "share": fmt.percent(v.share_met, 0) if v.share_met is not None else ""}
        if v.share_met is None:
            reasons.append(_("no applicable key results in this phase"))
        elif v.share_met < card.ready_share:
            reasons.append(_("weighted share met %(share)s is below %(ready)s") % met)
        if v.next_phase is None:
            verdict = _("sustaining: last phase") if v.ready else _("strengthen sustainment")
        elif v.ready:
            verdict = _("ready to move to %(phase)s") % {
                "phase": lab.label(v.next_phase, "phase")}
            reasons.append(_("all required key results met and %(share)s of the weighted key "
                             "results met") % met)
        else:
            verdict = _("stay in %(phase)s") % {"phase": lab.label(v.phase, "phase")}
        rows.append({"pillar": v.pillar, "phase": v.phase, "share_met": v.share_met,
                     "verdict": verdict, "reasons": "; ".join(reasons)})
    return rows


def scorecard_section(card: Any, sources: list[str]) -> Section:
    """Readiness scorecard: verdict per pillar, heat map, and the key results still open."""
    verdicts = pd.DataFrame(verdict_rows(card),
                            columns=["pillar", "phase", "share_met", "verdict", "reasons"])
    items = card.items_frame()
    current = {(v.pillar, v.phase) for v in card.verdicts}
    cur = items[[(r.pillar, r.phase) in current for r in items.itertuples()]]
    open_items = cur[cur["status"] != "met"][
        ["pillar", "key_result", "title", "required", "status", "basis", "value", "value_date",
         "threshold", "value_source"]
    ]
    measured = items[items["basis"] == "measured"][
        ["key_result", "indicator", "value", "value_date", "threshold", "status", "value_source"]
    ]
    # thresholds with their number in the language (">= 0,8" in pt), as in the notes
    open_items, measured = (f.assign(threshold=[_threshold(t) if isinstance(t, str) else t
                                                for t in f["threshold"]])
                            for f in (open_items, measured))
    lab = default_labels()
    ready = [lab.label(v.pillar, "pillar") for v in card.verdicts if v.ready]
    counts = {"ready": fmt.count(len(ready)), "total": fmt.count(len(card.verdicts)),
              "pillars": ", ".join(ready)}
    bullets = [
        (_("%(ready)s of %(total)s pillars ready for their next phase: %(pillars)s") if ready
         else _("%(ready)s of %(total)s pillars ready for their next phase")) % counts,
        _("Rule: credit met = 1, partly = 0.5; ready when every required key result of the "
          "current phase is met and the weighted share met >= %(share)s")
        % {"share": fmt.percent(card.ready_share, 0)},
    ]
    return Section(
        id="scorecard",
        title=N_("Readiness scorecard"),
        intro=N_("Where the programme stands on each pillar in its current phase, and whether "
                 "it may move to the next phase."),
        bullets=bullets,
        tables=[
            Table(caption=N_("Verdict per pillar (current phase)"), frame=verdicts,
                  percent=["share_met"]),
            Table(caption=N_("Key results measured from data"), frame=measured),
            Table(caption=N_("Key results still open in the current phase"), frame=open_items),
        ],
        charts=[Chart(caption=N_("Share of key results met by phase and pillar (box: current "
                                 "phase)"), png=charts.scorecard_png(card))],
        sources=sources,
    )


def agenda_section(agenda: Any, strategies: pd.DataFrame | None, sources: list[str]) -> Section:
    """IR agenda: ranked questions with score, design, sample size, and ERIC suggestions."""
    frame = agenda.summary[
        ["rank", "question", "text", "score", "outcomes", "design", "sample_size", "timing",
         "partner"]
    ]
    from mmsis.report.readable import header

    lab = default_labels()
    w = ", ".join(f"{header(k, lab)} {fmt.number(v)}" for k, v in agenda.weights.items())
    tables = [Table(caption=_("Top %(shown)s of %(candidates)s candidate questions (weights: "
                              "%(weights)s)") % {"shown": fmt.count(len(frame)),
                                                 "candidates": fmt.count(agenda.n_candidates),
                                                 "weights": w}, frame=frame)]
    crit = agenda.summary[["rank", "question", *agenda.weights.keys()]]
    tables.append(Table(caption=N_("Score breakdown (0-1 per criterion)"), frame=crit))
    if strategies is not None and len(strategies):
        tables.append(Table(caption=N_("Implementation strategies (ERIC) suggested for the "
                                       "barriers the team flagged"), frame=strategies))
    return Section(
        id="agenda", title=N_("Implementation-research agenda"),
        intro=N_("Questions the programme must answer next, ranked by a transparent score."),
        tables=tables, sources=sources,
    )


def cascade_section(
    cascade: pd.DataFrame, equity: pd.DataFrame | None, sources: list[str]
) -> Section:
    """Coverage cascade (estimate with 95% CI per step) and equity gaps."""
    tables = [Table(caption=N_("MMS coverage cascade (survey-weighted)"), frame=cascade,
                    percent=[c for c in ("estimate", "ci_low", "ci_high") if c in cascade])]
    chart_list = [Chart(caption=N_("Coverage cascade with 95% confidence intervals"),
                        png=charts.cascade_png(cascade))]
    if equity is not None and len(equity):
        tables.append(Table(caption=N_("Equity: coverage by group"), frame=equity,
                            percent=[c for c in ("estimate", "ci_low", "ci_high") if c in equity]))
        if {"group", "level", "estimate"} <= set(equity.columns):
            chart_list.append(Chart(caption=N_("Equity: estimate by group"),
                                    png=charts.equity_png(equity)))
    return Section(id="cascade", title=N_("Coverage cascade and equity"),
                   intro=N_("From antenatal care to taking 180 tablets, from the household "
                            "survey."),
                   tables=tables, charts=chart_list, sources=sources)


def routine_section(
    trends: pd.DataFrame, quality: pd.DataFrame | None, sources: list[str]
) -> Section:
    """Routine (HMIS) indicator trends and data-quality review."""
    tables: list[Table] = []
    chart_list = [Chart(caption=N_("Routine indicators by month (national)"),
                        png=charts.trends_png(trends))]
    last = trends.sort_values("period").groupby("indicator").tail(1)
    tables.append(Table(caption=N_("Latest month per indicator"), frame=last))
    if quality is not None and len(quality):
        tables.append(Table(caption=N_("Data-quality review"), frame=quality))
    return Section(id="routine", title=N_("Routine data: trends and quality"),
                   intro=N_("Monthly facility reports (DHIS2) aggregated to the country."),
                   tables=tables, charts=chart_list, sources=sources)


def frames_section(
    id: str, title: str, intro: str, frames: dict[str, pd.DataFrame], sources: list[str],
    chart_list: list[Chart] | None = None, bullets: list[str] | None = None,
) -> Section:
    """A section made of captioned tables (evaluation, forecast, impact)."""
    return Section(
        id=id, title=title, intro=intro,
        tables=[Table(caption=k, frame=v) for k, v in frames.items()],
        charts=chart_list or [], sources=sources, bullets=bullets or [],
    )


def decisions_section(programme: Programme, key_result_titles: dict[str, str],
                      today: dt.date | None = None) -> Section:
    """Decisions and adaptations (FRAME-IS), specified strategies and the roadmap of actions."""
    import tempfile
    from pathlib import Path

    from mmsis.plan.charts import roadmap_gantt
    from mmsis.plan.decisions import decision_log, roadmap

    sources = [_("Programme workspace: adaptations, actions and strategies entered by the "
                 "team"),
               _("Fields: FRAME-IS (Miller et al., Implement Sci 2021;16:36); strategy "
                 "specification: Proctor et al., Implement Sci 2013;8:139")]
    log = decision_log(programme.adaptations)
    specs = [{"strategy": c.strategy, "barrier_cfir": c.cfir, **c.spec.model_dump()}
             for c in programme.strategies if c.decision == "accepted" and c.spec is not None]
    phase_of = programme_phases()
    day = today or dt.date.today()
    road = roadmap(programme.actions, phase_of, today=day)
    if log.empty and not specs and road.empty:
        return unavailable("decisions", N_("Decisions, strategies and roadmap"),
                           N_("no decisions, specified strategies or actions recorded yet "
                              "(adaptations:, strategies[].spec and actions: in the plan "
                              "file, or the workspace's Decisions page)"), sources)
    tables: list[Table] = []
    charts_: list[Chart] = []
    bullets: list[str] = []
    if not log.empty:
        reactive = int((log["planned"] == "reactive").sum())
        bullets.append(ngettext("%(n)s decision or adaptation logged, %(reactive)s of them "
                                "reactive (unplanned).",
                                "%(n)s decisions or adaptations logged, %(reactive)s of them "
                                "reactive (unplanned).", len(log))
                       % {"n": fmt.count(len(log)), "reactive": fmt.count(reactive)})
        tables.append(Table(caption=N_("Decision and adaptation log (oldest first)"),
                            frame=log.drop(columns=["key result"])))
    if specs:
        tables.append(Table(caption=N_("Implementation strategies as specified (actor, "
                                       "action, target, temporality, dose, outcome, "
                                       "justification)"),
                            frame=pd.DataFrame(specs)))
    if not road.empty:
        late = int(road["overdue"].sum())
        bullets.append(ngettext("%(n)s action on key results, %(done)s done, %(late)s overdue "
                                "(as of %(day)s).",
                                "%(n)s actions on key results, %(done)s done, %(late)s "
                                "overdue (as of %(day)s).", len(road))
                       % {"n": fmt.count(len(road)),
                          "done": fmt.count(int((road["status"] == "done").sum())),
                          "late": fmt.count(late), "day": fmt.day(day)})
        shown = road.assign(key_result=road["key_result"].map(
            lambda k: key_result_titles.get(k, k)), overdue=road["overdue"].map(
            {True: _("overdue"), False: ""}))
        tables.append(Table(caption=N_("Roadmap: actions per phase"), frame=shown))
        if (road["due"] != "").any():
            with tempfile.TemporaryDirectory() as tmp:
                png = roadmap_gantt(road, Path(tmp) / "roadmap.png", today=day).read_bytes()
            charts_.append(Chart(caption=N_("Roadmap (Gantt): actions from start to due date "
                                            "by phase; red outline = overdue"), png=png))
    return Section(id="decisions", title=N_("Decisions, strategies and roadmap"),
                   intro=N_("What the group decided and changed, how chosen strategies are "
                            "specified, and who does what by when."),
                   bullets=bullets, tables=tables, charts=charts_, sources=sources)


def programme_phases() -> dict[str, str]:
    """Key-result id -> its phase, from the knowledge base."""
    from mmsis.framework.loader import load_framework

    return {k.id: k.phase for k in load_framework().key_results}
