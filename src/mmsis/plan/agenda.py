"""The implementation-research agenda: select and rank questions from the question bank.

Candidates are the bank's questions tagged with each pillar's current phase, plus those on
outcomes the measured data show as weak. Each is scored on five criteria in [0, 1]
(answerability, decision value, equity, feasibility, relevance to open key results) with
default ratings derived transparently from the knowledge base and the programme (rules in
docs/plan.md); the team may override any rating per question and set the criterion weights in
the plan file. Each question then gets outcomes, indicators, a design with a sample size from
`mmsis.design`, data sources, timing and a responsible partner.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError

from mmsis.errors import InputError
from mmsis.framework.framework import Framework
from mmsis.framework.models import Question, StudyDesign
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.plan.chnri import Prioritisation
from mmsis.plan.scorecard import Scorecard
from mmsis.plan.workspace import DEFAULT_WEIGHTS, AgendaSettings, Programme
from mmsis.present import format as fmt
from mmsis.present.labels import label

CRITERIA: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)
PRIORITY_SCORE = {"high": 1.0, "medium": 2 / 3, "low": 1 / 3}
# Sources that a programme usually has in hand (routine systems, documents) vs. new collection.
ROUTINE_SOURCES = {"hmis", "lmis", "hmis_dqr", "document_review", "budget_records",
                   "procurement_records", "modelling"}
SURVEY_SOURCES = {"dhs_survey", "coverage_survey"}


@functools.cache
def agenda_defaults() -> dict[str, Any]:
    """Design defaults (feasibility, duration, sample-size inputs) from plan/data, sourced."""
    text = resources.files("mmsis.plan").joinpath("data/agenda_defaults.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


class SampleSize(BaseModel):
    """A sample size proposed for a question's design, with its assumptions and method."""

    summary: str
    n: int | None = None
    clusters: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    method: str = ""
    function: str = ""


class AgendaItem(BaseModel):
    """One ranked question with its score breakdown and study proposal."""

    rank: int
    question: str
    text: str
    phases: list[str]
    pillars: list[str]
    score: float
    ratings: dict[str, float]
    rating_basis: dict[str, str]
    why: list[str]
    outcomes: list[str]
    indicators: list[str]
    design: str
    design_name: str
    sample_size: SampleSize
    data_sources: list[str]
    timing: str
    partner: str
    open_key_results: list[str]
    designs_set_aside: list[str] = Field(default_factory=list)
    """The bank's other designs for the question, each with why it was not proposed."""


class Agenda(BaseModel):
    """The ranked IR agenda and the weights used."""

    programme: str
    weights: dict[str, float]
    items: list[AgendaItem]
    n_candidates: int

    @property
    def summary(self) -> pd.DataFrame:
        """One row per question: rank, score, criteria ratings, design, sample size, partner."""
        rows = []
        for it in self.items:
            rows.append({
                "rank": it.rank, "question": it.question, "text": it.text,
                "score": it.score, **it.ratings, "outcomes": ", ".join(it.outcomes),
                "indicators": ", ".join(it.indicators), "design": it.design,
                "sample_size": it.sample_size.summary, "data_sources": ", ".join(it.data_sources),
                "timing": it.timing, "partner": it.partner,
            })
        return pd.DataFrame(rows)

    def to_records(self) -> list[dict[str, Any]]:
        """Items as plain dicts (what `--json` prints and the forms builder reads)."""
        return [it.model_dump() for it in self.items]


def _design_defaults(design: StudyDesign) -> dict[str, Any]:
    """The defaults entry for a design: by id, else by the first keyword found in id/name."""
    d = agenda_defaults()
    if design.id in d["designs"]:
        return dict(d["designs"][design.id])
    hay = f"{design.id} {design.name}".lower()
    for key, entry in d["keywords"].items():
        if key in hay:
            return dict(entry)
    return dict(d["fallback"])


NO_SAMPLE = N_("no sample size (records or modelling)")


def _fixed(x: float, decimals: int) -> str:
    """A number with exactly `decimals` decimals in the locale in use (2.00, 2,00)."""
    from babel.numbers import format_decimal

    from mmsis.i18n import current_locale

    return str(format_decimal(float(x), format="0." + "0" * decimals, locale=current_locale()))


def sample_size_for(design: StudyDesign, programme: Programme) -> SampleSize:
    """Compute the sample size of a design with `mmsis.design` from the plan/data defaults."""
    spec = dict(_design_defaults(design).get("sample_size") or {})
    kind = spec.pop("kind", "none")
    source = spec.pop("source", "")
    if kind == "survey":
        from mmsis.design.survey import survey_sample_size

        r = survey_sample_size(**spec)
        words = {"n": fmt.count(r.n_total), "clusters": fmt.count(r.clusters or 0),
                 "take": fmt.count(r.take or 0), "p": fmt.number(r.p),
                 "margin": fmt.number(r.margin_absolute), "deff": _fixed(r.design_effect, 2)}
        return SampleSize(  # words in the language in use (see build_agenda)
            summary=(_("%(n)s respondents in %(clusters)s clusters of %(take)s (p=%(p)s, "
                       "+/-%(margin)s, DEFF %(deff)s)") if r.clusters else
                     _("%(n)s respondents (p=%(p)s, +/-%(margin)s, DEFF %(deff)s)")) % words,
            n=r.n_total, clusters=r.clusters, inputs={**spec, "source": source}, method=r.method,
            function="mmsis.design.survey.survey_sample_size",
        )
    if kind == "crt":
        from mmsis.design.crt import crt_clusters

        outcome = spec.pop("outcome", "binary")
        c = crt_clusters(outcome, **spec)
        m = int(c.m)
        return SampleSize(
            summary=_("%(clusters)s clusters per arm x %(m)s women (ICC %(icc)s, power "
                      "%(power)s)") % {"clusters": fmt.count(c.clusters_per_arm or 0),
                                        "m": fmt.count(m), "icc": fmt.number(spec.get("icc")),
                                        "power": fmt.percent(c.power, 0)},
            n=(c.clusters_per_arm or 0) * 2 * m, clusters=(c.clusters_per_arm or 0) * 2,
            inputs={**spec, "outcome": outcome, "source": source}, method=c.method,
            function="mmsis.design.crt.crt_clusters",
        )
    if kind == "stepped_wedge":
        from mmsis.design.stepped_wedge import stepped_wedge_power

        sw = stepped_wedge_power(**spec)
        n_per = float(spec["n"])
        return SampleSize(
            summary=_("%(clusters)s clusters over %(periods)s periods x %(n)s women: power "
                      "%(power)s for %(p0)s -> %(p1)s") % {
                "clusters": fmt.count(sw.n_clusters), "periods": fmt.count(sw.n_periods),
                "n": fmt.number(n_per), "power": fmt.percent(sw.power, 0),
                "p0": fmt.number(spec["p0"]), "p1": fmt.number(spec["p1"])},
            n=int(sw.n_clusters * sw.n_periods * n_per), clusters=sw.n_clusters,
            inputs={**spec, "source": source}, method=sw.method,
            function="mmsis.design.stepped_wedge.stepped_wedge_power",
        )
    if kind == "individual":
        from mmsis.design.individual import individual_proportions

        ir = individual_proportions(**spec)
        return SampleSize(
            summary=_("%(n)s women per arm (%(p0)s -> %(p1)s, power %(power)s)") % {
                "n": fmt.count(ir.n_per_arm or 0), "p0": fmt.number(spec["p0"]),
                "p1": fmt.number(spec["p1"]), "power": fmt.percent(ir.power, 0)},
            n=(ir.n_per_arm or 0) * 2, inputs={**spec, "source": source}, method=ir.method,
            function="mmsis.design.individual.individual_proportions",
        )
    if kind == "its":
        regions = max(len(programme.regions), 1)
        pts = spec.get("min_points_each_side", 12)
        return SampleSize(
            summary=_("routine data: >= %(points)s monthly points before and after, all "
                      "districts (%(regions)s regions); no recruitment") % {
                "points": pts, "regions": regions},
            inputs={**spec, "source": source}, method="rule of thumb for segmented regression",
            function="",
        )
    if kind == "qualitative":
        n = int(spec.get("interviews", 30))
        return SampleSize(
            summary=_("about %(n)s interviews / focus groups, to saturation") % {"n": n},
            n=n, inputs={**spec, "source": source}, method="saturation guidance",
        )
    note = str(spec.get("note") or NO_SAMPLE)
    return SampleSize(summary=_(note),
                      inputs={**spec, "source": source})


def design_fits_data(design: StudyDesign, q: Question) -> bool:
    """True when the design can analyse one of the question's data sources (or collects its own).

    A design's analysable sources are `data` in plan/data/agenda_defaults.yaml: a time series
    needs routine data, so an ITS is no answer to a question only a survey or audit can see.
    """
    uses = _design_defaults(design).get("data")
    return not uses or bool(set(uses) & set(q.data_sources))


def _choose_design(q: Question, fw: Framework,
                   phases: set[str]) -> tuple[StudyDesign | None, list[str]]:
    """The question's most feasible design that fits its data and a current phase, and why
    the bank's other designs for it were set aside."""
    cands = []
    set_aside: list[str] = []
    names = {ds.id: ds.name for ds in fw.data_sources}
    for did in q.designs:
        try:
            d = fw.design(did)
        except KeyError:
            continue
        if not design_fits_data(d, q):
            needs = ", ".join(names.get(x, x) for x in _design_defaults(d).get("data", []))
            has = ", ".join(names.get(x, x) for x in q.data_sources)
            set_aside.append(f"{d.name}: analyses {needs}, which this question does not use "
                             f"(its data: {has})")
            continue
        fits = bool(phases & set(d.phases))
        cands.append((not fits, -float(_design_defaults(d).get("feasibility", 0.5)),
                      q.designs.index(did), d))
    if not cands:
        return None, set_aside
    best = min(cands, key=lambda t: t[:3])
    for t in cands:
        if t[3] is not best[3]:
            reason = ("fits no current phase" if t[0] else
                      "less feasible" if t[1] > best[1] else "listed after it in the bank")
            set_aside.append(f"{t[3].name}: {reason}")
    return best[3], set_aside


def _pick_design(q: Question, fw: Framework, phases: set[str]) -> StudyDesign | None:
    """The design `_choose_design` picks (None when no design of the bank fits its data)."""
    return _choose_design(q, fw, phases)[0]


def _weak_outcomes(card: Scorecard, fw: Framework) -> set[str]:
    """Outcomes whose measured indicators miss their key-result thresholds."""
    weak = set()
    for i in card.items:
        if i.basis == "measured" and i.status == "not_met" and i.indicator:
            try:
                weak.add(fw.indicator(i.indicator).outcome)
            except KeyError:
                continue
    return weak


def build_agenda(
    programme: Programme,
    fw: Framework,
    card: Scorecard,
    top: int | None = 10,
    weights: Mapping[str, float] | None = None,
    priorities: Prioritisation | None = None,
) -> Agenda:
    """Select, score and rank IR questions for the current phases of the scorecard (national,
    or the region the scorecard was made for); ties are ranked by question id.

    With a group's CHNRI `priorities`, a question the group scored is ranked by its research
    priority score (RPS / 100) instead of the rule-based ratings (docs/plan.md)."""
    if top is not None and top < 1:
        raise InputError(f"top must be at least 1 (or None for all), got {top}", field="top")
    try:
        w = AgendaSettings(weights={**programme.agenda.weights, **(weights or {})}).weights
    except ValidationError as exc:
        raise InputError(exc.errors()[0]["msg"], field="agenda.weights") from exc
    wsum = sum(w.values()) or 1.0
    current = {c.pillar: c.phase for c in card.cells if c.current}
    cur_phases = set(current.values())
    open_items = card.open_key_results(current_only=True)
    open_by_pillar: dict[str, list[str]] = {}
    for i in open_items:
        open_by_pillar.setdefault(i.pillar, []).append(i.key_result)
    open_indicators = {i.indicator: i.key_result for i in open_items if i.indicator}
    required_open = {i.pillar for i in open_items if i.required}
    gap = {c.pillar: 1.0 - (c.share_met or 0.0) for c in card.cells if c.current}
    weak = _weak_outcomes(card, fw)
    group = {p.question: p for p in (priorities.questions if priorities else [])
             if p.rps is not None}
    have = set(ROUTINE_SOURCES)
    if programme.data.surveys:
        have |= SURVEY_SOURCES

    scored: list[tuple[float, Question, dict[str, float], dict[str, str], list[str]]] = []
    for q in fw.questions:
        in_phase = [p for p in q.pillars if p in current and current[p] in q.phases]
        weak_hit = sorted(set(q.outcomes) & weak)
        if not in_phase and not weak_hit:
            continue
        why: list[str] = []  # in the language in use (the web caches suggestions per language)
        if in_phase:
            why.append(_("tagged for the current phase of %(pillars)s") % {
                "pillars": ", ".join(label(p, "pillar") for p in in_phase)})
        if weak_hit:
            why.append(_("measured data show weak %(outcomes)s") % {
                "outcomes": ", ".join(label(o, "outcome") for o in weak_hit)})
        r: dict[str, float] = {}
        basis: dict[str, str] = {}
        # relevance to open key results
        direct = [open_indicators[i] for i in q.indicators if i in open_indicators]
        if direct:
            r["kr_relevance"], basis["kr_relevance"] = 1.0, "measures open " + ", ".join(direct)
        else:
            g = max((gap.get(p, 0.0) for p in in_phase), default=0.0)
            if weak_hit:
                g = max(g, 0.75)
            r["kr_relevance"] = round(g, 3)
            basis["kr_relevance"] = "share of key results still open in its pillar(s)"
        # decision value
        pr = PRIORITY_SCORE[q.priority]
        blocked = [p for p in in_phase if p in required_open]
        r["decision_value"] = round(pr * (1.0 if blocked else 0.6), 3)
        basis["decision_value"] = f"bank priority {q.priority}" + (
            f"; required key results open in {', '.join(blocked)}" if blocked
            else "; no required key result blocked (x0.6)")
        # equity
        if "equity" in q.outcomes:
            r["equity"], basis["equity"] = 1.0, "equity is an outcome"
        elif set(q.outcomes) & {"coverage", "penetration", "adherence"}:
            r["equity"], basis["equity"] = 0.6, "coverage/adherence can be disaggregated"
        else:
            r["equity"], basis["equity"] = 0.2, "no equity outcome"
        # answerability: data in hand
        avail = [1.0 if s in have else 0.5 for s in q.data_sources]
        r["answerability"] = round(sum(avail) / len(avail), 3)
        basis["answerability"] = "share of its data sources already in hand (new collection 0.5)"
        # feasibility: of the chosen design
        d = _pick_design(q, fw, cur_phases)
        r["feasibility"] = float(_design_defaults(d).get("feasibility", 0.5)) if d else 0.5
        basis["feasibility"] = f"design {d.id if d else 'none'} (plan/data/agenda_defaults.yaml)"
        # team overrides
        team = programme.agenda.ratings.get(q.id)
        if team is not None:
            for c in CRITERIA:
                v = getattr(team, c)
                if v is not None:
                    r[c], basis[c] = float(v), "team rating"
        score = sum(w[c] * r[c] for c in CRITERIA) / wsum
        if q.id in group:
            score = group[q.id].rps / 100.0  # type: ignore[operator]
            why.append(_("group CHNRI priority score %(rps)s of 100 (%(raters)s raters, "
                         "agreement %(aea)s)") % {
                "rps": fmt.count(round(float(group[q.id].rps))),  # type: ignore[arg-type]
                "raters": fmt.count(group[q.id].raters),
                "aea": fmt.percent(group[q.id].aea, 0)})
        scored.append((score, q, r, basis, why))

    # equal scores (up to float noise) are ranked by question id, as documented
    scored.sort(key=lambda t: (-round(t[0], 9), t[1].id))
    chosen = scored[:top] if top else scored
    items: list[AgendaItem] = []
    defaults = agenda_defaults()
    for rank, (score, q, r, basis, why) in enumerate(chosen, start=1):
        d, set_aside = _choose_design(q, fw, cur_phases)
        dd = _design_defaults(d) if d else dict(defaults["fallback"])
        ss = sample_size_for(d, programme) if d else SampleSize(summary="no design")
        team = programme.agenda.ratings.get(q.id)
        partner = (team.partner if team and team.partner else None) or next(
            (programme.agenda.partners[p] for p in q.pillars if p in programme.agenda.partners),
            _("to assign"),
        )
        timing = (team.timing if team and team.timing else None) or (
            _("%(months)s months from protocol approval") % {"months": dd.get("months", 6)}
        )
        items.append(AgendaItem(
            rank=rank, question=q.id, text=q.text, phases=q.phases, pillars=q.pillars,
            score=round(score, 4), ratings=r, rating_basis=basis, why=why,
            outcomes=q.outcomes, indicators=q.indicators,
            design=d.id if d else "", design_name=d.name if d else "", sample_size=ss,
            data_sources=q.data_sources, timing=timing, partner=partner,
            open_key_results=sorted({k for p in q.pillars for k in open_by_pillar.get(p, [])}),
            designs_set_aside=set_aside,
        ))
    return Agenda(programme=programme.name or programme.country, weights=w, items=items,
                  n_candidates=len(scored))
