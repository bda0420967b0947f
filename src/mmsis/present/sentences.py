"""What a result means, in one or two plain sentences, with the caveats that matter.

One function per result type, each reading the result object's own fields (duck-typed, so
this module imports no computing package): sample sizes and power (``design``), interrupted
time series, difference-in-differences and stepped-wedge analyses (``evaluate``), supply
forecasts, health impact, readiness verdicts, survey estimates and the data-quality review.
The CLI prints them under its tables; the web pages and the report can call the same functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mmsis.i18n import N_, ngettext
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.labels import Labels, default_labels

#: Fewer time points than this on either side of an interruption make an ITS fragile
#: (Penfold & Zhang 2013 and the Cochrane EPOC criteria ask for at least 3; 8-12 per segment
#: are commonly advised for a stable trend: Wagner et al. 2002).
FEW_POINTS = 8
#: Usual target power of a trial or study.
TARGET_POWER = 0.8


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _join(parts: Iterable[str]) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _power_note(power: float | None, locale: str) -> str:
    if power is None:
        return ""
    if power < TARGET_POWER - 1e-9:
        return _("That is below the usual %(target)s: add clusters or people, or expect a larger "
                 "effect.") % {"target": fmt.percent(TARGET_POWER, locale=locale)}
    return ""


# --- design ---------------------------------------------------------------------------------

def survey_sample_size(r: Any, locale: str = fmt.DEFAULT_LOCALE, who: str | None = None) -> str:
    """"Interview 38 clusters of 20 women (760 in all) to estimate a coverage of about 50%..."""
    names = {"who": who or _("women"), "margin": fmt.number(100 * r.margin_absolute, 3, locale),
             "confidence": fmt.percent(r.confidence, locale=locale),
             "p": fmt.percent(r.p, locale=locale)}
    notes = []
    if r.design_effect and abs(r.design_effect - 1) > 1e-9:
        notes.append(_("design effect %(deff)s") % {
            "deff": fmt.number(r.design_effect, 3, locale)})
    if r.nonresponse:
        notes.append(_("%(share)s expected non-response") % {
            "share": fmt.percent(r.nonresponse, locale=locale)})
    if getattr(r, "population", None):
        notes.append(_("a population of %(n)s") % {"n": fmt.count(r.population, locale)})
    names["notes"] = ", ".join(notes)
    if r.clusters and r.take:
        names.update(clusters=fmt.count(r.clusters, locale), take=fmt.count(r.take, locale),
                     n=fmt.count(r.clusters * r.take, locale))
        if notes:
            return _("Interview %(clusters)s clusters of %(take)s %(who)s (%(n)s in all) to "
                     "estimate a coverage of about %(p)s within +/-%(margin)s percentage points "
                     "with %(confidence)s confidence, allowing for %(notes)s.") % names
        return _("Interview %(clusters)s clusters of %(take)s %(who)s (%(n)s in all) to estimate "
                 "a coverage of about %(p)s within +/-%(margin)s percentage points with "
                 "%(confidence)s confidence.") % names
    names["n"] = fmt.count(r.n_total, locale)
    if notes:
        return _("Interview %(n)s %(who)s to estimate a coverage of about %(p)s within "
                 "+/-%(margin)s percentage points with %(confidence)s confidence, allowing for "
                 "%(notes)s.") % names
    return _("Interview %(n)s %(who)s to estimate a coverage of about %(p)s within "
             "+/-%(margin)s percentage points with %(confidence)s confidence.") % names


def crt(r: Any, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """Clusters per arm (or power) of a parallel cluster randomised trial, in words."""
    names = {"power": fmt.percent(r.power, locale=locale),
             "m": fmt.number(r.m, 3, locale), "effect": fmt.number(r.effect, 3, locale),
             "alpha": fmt.number(r.alpha, 3, locale),
             "deff": fmt.number(r.design_effect, 3, locale)}
    if r.clusters_per_arm:
        names.update(per_arm=fmt.count(r.clusters_per_arm, locale),
                     n=fmt.count(2 * r.clusters_per_arm, locale))
        s = (_("%(per_arm)s clusters per arm (%(n)s in all) of %(m)s people give %(power)s "
               "power to detect a difference of %(effect)s between arms (two-sided alpha "
               "%(alpha)s, design effect %(deff)s).") if r.outcome != "rate" else
             _("%(per_arm)s clusters per arm (%(n)s in all) of %(m)s person-time units give "
               "%(power)s power to detect a difference of %(effect)s between arms (two-sided "
               "alpha %(alpha)s, design effect %(deff)s).")) % names
    else:
        s = _("The trial has %(power)s power to detect a difference of %(effect)s between arms "
              "(two-sided alpha %(alpha)s, design effect %(deff)s).") % names
    return _join([s, _power_note(_f(r.power), locale)])


def individual(r: Any, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """People per arm (or power) of an individually randomised trial, in words."""
    names = {"power": fmt.percent(r.power, locale=locale),
             "effect": fmt.number(r.effect, 3, locale), "alpha": fmt.number(r.alpha, 3, locale)}
    if r.n_per_arm:
        names.update(per_arm=fmt.count(r.n_per_arm, locale),
                     n=fmt.count(2 * r.n_per_arm, locale))
        s = _("%(per_arm)s people per arm (%(n)s in all) give %(power)s power to detect a "
              "difference of %(effect)s (two-sided alpha %(alpha)s).") % names
    else:
        s = _("The trial has %(power)s power to detect a difference of %(effect)s (two-sided "
              "alpha %(alpha)s).") % names
    return _join([s, _power_note(_f(r.power), locale)])


def stepped_wedge_power(r: Any, locale: str = fmt.DEFAULT_LOCALE,
                        sequences: list[int] | None = None, p0: float | None = None,
                        p1: float | None = None) -> str:
    """Power of a stepped-wedge design, in words (the proportions when given)."""
    effect = (_("a change from %(p0)s to %(p1)s") % {
        "p0": fmt.percent(p0, locale=locale), "p1": fmt.percent(p1, locale=locale)}
        if p0 is not None and p1 is not None
        else _("an effect of %(theta)s") % {"theta": fmt.number(r.theta, 3, locale)})
    names = {"clusters": fmt.count(r.n_clusters, locale), "periods": fmt.count(r.n_periods,
                                                                                 locale),
             "power": fmt.percent(r.power, locale=locale), "effect": effect,
             "alpha": fmt.number(r.alpha, 3, locale)}
    if sequences:
        names.update(steps=str(len(sequences)), sizes=", ".join(str(s) for s in sequences))
        s = _("With %(clusters)s clusters in %(steps)s steps of %(sizes)s over %(periods)s "
              "periods, the trial has %(power)s power to detect %(effect)s (two-sided alpha "
              "%(alpha)s).") % names
    else:
        s = _("With %(clusters)s clusters over %(periods)s periods, the trial has %(power)s power "
              "to detect %(effect)s (two-sided alpha %(alpha)s).") % names
    return _join([s, _power_note(_f(r.power), locale)])


def simulated_power(r: Any, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """Simulated power with its Monte Carlo interval, in words."""
    s = _("In %(n)s simulated trials the effect was detected in %(share)s of them (the formula "
          "gives %(analytic)s).") % {
        "n": fmt.count(r.n, locale),
        "share": fmt.ci(r.estimate, r.ci_low, r.ci_high, kind="percent", locale=locale),
        "analytic": fmt.percent(r.analytic_power, locale=locale)}
    extra = (_("%(n)s fits failed and were left out.") % {"n": fmt.count(r.n_failed, locale)}
             if getattr(r, "n_failed", 0) else "")
    return _join([s, extra, _power_note(_f(r.estimate), locale)])


def design_effect(r: Any, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """A stepped-wedge design effect (Woertman, Hooper), in words."""
    names = {"deff": fmt.number(r.design_effect, 3, locale)}
    n_total = _f(getattr(r, "n_total", None))
    if n_total:
        return _("The design needs %(deff)s times the sample of an individually randomised trial "
                 "(%(n)s people in all).") % {**names, "n": fmt.count(n_total, locale)}
    return _("The design needs %(deff)s times the sample of an individually randomised "
             "trial.") % names


# --- evaluate -------------------------------------------------------------------------------

def _change(eff: Mapping[str, Any], log_link: bool, locale: str,
            templates: tuple[str, str, str], **names: str) -> str:
    """A change in a whole translated sentence: ``templates`` are (rose, fell, not estimated),
    each with %(change)s and %(interval)s ("11%", " (95% CI 9% to 13%, p < 0.001)")."""
    p = fmt.p_value(eff.get("p"), locale)
    if log_link:
        rr, lo, hi = _f(eff.get("rr")), _f(eff.get("ci_low")), _f(eff.get("ci_high"))
        if rr is None:
            return templates[2] % names
        rose = rr >= 1
        d = fmt._share_decimals([v - 1 for v in (rr, lo, hi) if v is not None])
        change = fmt.percent(abs(rr - 1), d, locale)
        band = (_("95%% CI %(low)s to %(high)s") % {
            "low": fmt.percent(lo - 1, d, locale), "high": fmt.percent(hi - 1, d, locale)}
            if lo is not None and hi is not None else "")
    else:
        est, lo, hi = _f(eff.get("estimate")), _f(eff.get("ci_low")), _f(eff.get("ci_high"))
        if est is None:
            return templates[2] % names
        rose = est >= 0
        change = fmt.number(abs(est), 3, locale)
        band = (_("95%% CI %(low)s to %(high)s") % {
            "low": fmt.number(lo, 3, locale), "high": fmt.number(hi, 3, locale)}
            if lo is not None and hi is not None else "")
    inner = ", ".join(x for x in (band, p) if x)
    interval = _(" (%(interval)s)") % {"interval": inner} if inner else ""
    return (templates[0] if rose else templates[1]) % {
        **names, "change": change, "interval": interval}


def _significance(eff: Mapping[str, Any]) -> str:
    lo, hi = _f(eff.get("ci_low")), _f(eff.get("ci_high"))
    null = 1.0 if "rr" in eff else 0.0
    if lo is None or hi is None:
        return ""
    if lo <= null <= hi:
        return _("The interval includes no change, so the data cannot rule out chance.")
    return ""


def _outcome(outcome: str | None) -> str:
    return outcome if outcome else _("the outcome")


def its(r: Any, locale: str = fmt.DEFAULT_LOCALE, outcome: str | None = None,
        start: str | None = None, remedy: str | None = None) -> str:
    """An interrupted time series: the level change at the start, with its caveats."""
    what = _outcome(outcome)
    what = f"{what[:1].upper()}{what[1:]}"
    if start:
        s = _change(r.level_change, r.log_link, locale, (
            _("%(outcome)s rose by %(change)s%(interval)s when MMS started (%(month)s), beyond "
              "the trend before."),
            _("%(outcome)s fell by %(change)s%(interval)s when MMS started (%(month)s), beyond "
              "the trend before."),
            _("%(outcome)s could not be estimated when MMS started (%(month)s).")),
            outcome=what, month=fmt.period(start, locale))
    else:
        s = _change(r.level_change, r.log_link, locale, (
            _("%(outcome)s rose by %(change)s%(interval)s at the interruption, beyond the trend "
              "before."),
            _("%(outcome)s fell by %(change)s%(interval)s at the interruption, beyond the trend "
              "before."),
            _("%(outcome)s could not be estimated at the interruption.")), outcome=what)
    parts = [s, _significance(r.level_change)]
    sc = getattr(r, "slope_change", None)
    if sc is not None:
        parts.append(_change(sc, r.log_link, locale, (
            _("Its monthly trend then rose by %(change)s%(interval)s."),
            _("Its monthly trend then fell by %(change)s%(interval)s."),
            _("Its monthly trend then could not be estimated."))))
    parts += its_caveats(r, locale, remedy)
    return _join(parts)


def autocorrelation_p(r: Any) -> float | None:
    """The Breusch-Godfrey p value when it shows autocorrelated months under standard errors
    that ignore it (below 0.05, no Newey-West), else None."""
    ac = getattr(r, "autocorrelation", None) or {}
    bg = (ac.get("breusch_godfrey") or {}) if isinstance(ac, Mapping) else {}
    p = _f(bg.get("p"))
    if p is not None and p < 0.05 and "Newey" not in str(getattr(r, "se_type", "")):
        return p
    return None


def its_caveats(r: Any, locale: str = fmt.DEFAULT_LOCALE, remedy: str | None = None
                ) -> list[str]:
    """Few points, autocorrelation and data-quality flags of an ITS, as sentences; ``remedy``
    says how to correct autocorrelation where the reader is (default: the CLI's option)."""
    out = []
    n_pre, n_post = getattr(r, "n_pre", None), getattr(r, "n_post", None)
    if n_pre is not None and n_post is not None and min(n_pre, n_post) < FEW_POINTS:
        out.append(_("Caution: only %(before)s points before and %(after)s after; trends from "
                     "so few points are fragile.") % {"before": n_pre, "after": n_post})
    p = autocorrelation_p(r)
    if p is not None:
        out.append(_("Caution: the months are autocorrelated (Breusch-Godfrey %(p)s), so the "
                     "interval is too narrow; %(remedy)s.") % {
            "p": fmt.p_value(p, locale), "remedy": remedy or _("refit with --newey-west")})
    dq = getattr(r, "data_quality", None) or {}
    if isinstance(dq, Mapping) and (dq.get("n_missing") or dq.get("n_low_completeness")):
        out.append(_("Data quality: %(missing)s missing and %(low)s low-completeness months "
                     "(%(handling)s).") % {
            "missing": dq.get("n_missing", 0), "low": dq.get("n_low_completeness", 0),
            "handling": dq.get("handling") or _("dropped")})
    return out


def cits(r: Any, locale: str = fmt.DEFAULT_LOCALE, outcome: str | None = None,
         remedy: str | None = None) -> str:
    """A controlled ITS: the level change beyond the control's."""
    s = _change(r.level_change, r.log_link, locale, (
        _("Compared with the control, %(outcome)s rose by %(change)s%(interval)s at the "
          "interruption."),
        _("Compared with the control, %(outcome)s fell by %(change)s%(interval)s at the "
          "interruption."),
        _("Compared with the control, %(outcome)s could not be estimated at the interruption.")),
        outcome=_outcome(outcome))
    return _join([s, _significance(r.level_change), *its_caveats(r, locale, remedy)])


def did(r: Any, locale: str = fmt.DEFAULT_LOCALE, outcome: str | None = None) -> str:
    """Difference-in-differences: the robust (did2s) effect of MMS start, with caveats."""
    eff = dict(r.robust)
    treated = sum(v for k, v in r.cohorts.items() if k != "never")
    never = r.cohorts.get("never", 0)
    waves = len(r.cohorts) - (1 if "never" in r.cohorts else 0)
    cohorts = ngettext("%(treated)s districts started MMS in %(waves)s roll-out wave",
                       "%(treated)s districts started MMS in %(waves)s roll-out waves",
                       waves) % {"treated": treated, "waves": waves}
    if never:
        templates = (
            _("In districts after MMS started, %(outcome)s rose by %(change)s%(interval)s, "
              "compared with %(never)s districts without MMS (%(cohorts)s)."),
            _("In districts after MMS started, %(outcome)s fell by %(change)s%(interval)s, "
              "compared with %(never)s districts without MMS (%(cohorts)s)."),
            _("In districts after MMS started, %(outcome)s could not be estimated, compared "
              "with %(never)s districts without MMS (%(cohorts)s)."))
    else:
        templates = (
            _("In districts after MMS started, %(outcome)s rose by %(change)s%(interval)s, "
              "compared with districts that started later (%(cohorts)s)."),
            _("In districts after MMS started, %(outcome)s fell by %(change)s%(interval)s, "
              "compared with districts that started later (%(cohorts)s)."),
            _("In districts after MMS started, %(outcome)s could not be estimated, compared "
              "with districts that started later (%(cohorts)s)."))
    names = {"outcome": _outcome(outcome), "never": str(never), "cohorts": cohorts}
    if r.log_outcome:
        rr = {"rr": eff.get("rr"), "ci_low": eff.get("rr_ci_low"),
              "ci_high": eff.get("rr_ci_high"), "p": eff.get("p")}
        s = _change(rr, True, locale, templates, **names)
        sig = _significance(rr)
    else:
        s = _change(eff, False, locale, templates, **names)
        sig = _significance(eff)
    parts = [s, sig]
    pre = getattr(r, "event_study", None)
    if pre is not None and len(pre):
        leads = pre[(pre["rel_time"] < -1) & pre["p"].notna()]
        if len(leads) and (leads["p"] < 0.05).any():
            parts.append(_("Caution: districts already differed before MMS started (a lead is "
                           "significant), so the parallel-trends assumption is doubtful."))
    return _join(parts)


def stepped_wedge_analysis(r: Any, locale: str = fmt.DEFAULT_LOCALE,
                           outcome: str | None = None) -> str:
    """A stepped-wedge trial's treatment effect (difference or odds ratio), in words."""
    e = r.treatment_effect
    p = fmt.p_value(e.get("p"), locale)
    what = _outcome(outcome)
    if r.family == "gaussian":
        band = fmt.ci(e["estimate"], e["ci_low"], e["ci_high"], locale=locale)
        s = _("Under the intervention %(outcome)s changed by %(band)s (%(p)s), period effects "
              "removed.") % {"outcome": what, "band": band, "p": p}
        sig = _significance(e)
    else:
        orr = fmt.ci(e.get("rr", math.exp(e["estimate"])),
                     e.get("rr_ci_low", math.exp(e["ci_low"])),
                     e.get("rr_ci_high", math.exp(e["ci_high"])), locale=locale)
        s = _("Under the intervention the odds of %(outcome)s were %(ratio)s times those under "
              "control (%(p)s), period effects removed.") % {"outcome": what, "ratio": orr,
                                                              "p": p}
        sig = _significance({"rr": 1, "ci_low": e.get("rr_ci_low", math.exp(e["ci_low"])),
                             "ci_high": e.get("rr_ci_high", math.exp(e["ci_high"]))})
    few = (_("Caution: only %(n)s clusters; small-sample corrections matter.") % {
        "n": r.n_clusters} if r.n_clusters < 10 else "")
    return _join([s, sig, few])


# --- decide ---------------------------------------------------------------------------------

def forecast(summary: Mapping[str, float], currency: str, months: int,
             locale: str = fmt.DEFAULT_LOCALE) -> str:
    """A supply forecast's totals in words (``summary``: item -> value as ForecastResult)."""
    def get(prefix: str) -> float:
        for k, v in summary.items():
            if k.startswith(prefix):
                return float(v)
        return 0.0

    budget = get("total budget")
    s = _("Over %(months)s months MMS covers %(pregnancies)s pregnancies, needing %(tablets)s "
          "MMS tablets (%(packs)s packs) at a total cost of %(cost)s.") % {
        "months": months, "pregnancies": fmt.count(get("pregnancies covered"), locale),
        "tablets": fmt.count(get("MMS tablets needed"), locale),
        "packs": fmt.count(get("MMS packs ordered"), locale),
        "cost": fmt.money(budget, currency, locale)}
    short = get("MMS tablets short") + get("IFA tablets short")
    expired = get("IFA tablets expired in horizon") + get("IFA tablets at risk")
    notes = []
    notes.append(_("Stock-outs: %(n)s tablets short.") % {"n": fmt.count(short, locale)}
                 if short else _("No stock-outs are forecast."))
    if expired:
        notes.append(_("%(n)s IFA tablets expire or are at risk of expiring: slow IFA orders "
                       "earlier.") % {"n": fmt.count(expired, locale)})
    return _join([s, *notes])


def impact(r: Any, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """Health impact and cost-effectiveness of MMS vs IFA in words, with 95% UIs."""
    cur = r.scenario.currency

    def m(name: str) -> dict[str, float]:
        return dict(r.measure(name))

    def counted(v: Mapping[str, float]) -> str:
        return fmt.ci(v["central"], v["ui_low"], v["ui_high"], kind="count", locale=locale)

    lbw, deaths, cpd = m("lbw_averted"), m("deaths_averted"), m("cost_per_daly")
    s = _("Giving MMS instead of IFA averts about %(lbw)s low-birthweight births and %(deaths)s "
          "deaths, at %(cost)s per DALY averted (95%% uncertainty interval %(low)s to %(high)s; "
          "%(currency)s %(year)s).") % {
        "lbw": counted(lbw), "deaths": counted(deaths),
        "cost": fmt.money(cpd["central"], cur, locale),
        "low": fmt.money(cpd["ui_low"], cur, locale),
        "high": fmt.money(cpd["ui_high"], cur, locale), "currency": cur,
        "year": r.scenario.currency_year}
    notes = []
    if deaths["ui_low"] is not None and _f(deaths["ui_low"]) is not None and deaths["ui_low"] < 0:
        notes.append(_("The interval of deaths averted includes zero."))
    tor = getattr(r, "tornado", None)
    if tor is not None and len(tor):
        top = tor.iloc[0]
        name = default_labels().label(top["parameter"], "parameter")
        notes.append(_("The result depends most on %(input)s (cost per DALY %(low)s to %(high)s "
                       "over its range).") % {
            "input": f"{name[:1].lower()}{name[1:]}",
            "low": fmt.money(top["output_low"], cur, locale),
            "high": fmt.money(top["output_high"], cur, locale)})
    return _join([s, *notes])


# --- plan -----------------------------------------------------------------------------------

_THRESHOLD = re.compile(r"^\s*(<=|>=|<|>|==|=)\s*(-?[0-9.]+)\s*$")
_OPS = {"<=": N_("at most %(value)s"), ">=": N_("at least %(value)s"),
        "<": N_("below %(value)s"), ">": N_("above %(value)s"), "==": "", "=": ""}


def _threshold(text: str | None, unit: str, locale: str) -> str:
    if not text:
        return ""
    m = _THRESHOLD.match(text)
    if not m:
        return text
    v = float(m.group(2))
    shown = fmt.percent(v, locale=locale) if unit == "proportion" else fmt.number(v, 3, locale)
    op = _OPS[m.group(1)]
    return _(op) % {"value": shown} if op else shown


def item_value(item: Any, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """A measured key result's value for people: "3.1% (Dec 2024; target at least 48%)"."""
    unit = _indicator_unit(getattr(item, "indicator", None))
    v = getattr(item, "value", None)
    if v is None:
        return ""
    shown = fmt.percent(v, locale=locale) if unit == "proportion" else fmt.number(v, 3, locale)
    when = fmt.period(item.value_date, locale) if getattr(item, "value_date", None) else ""
    target = _threshold(getattr(item, "threshold", None), unit, locale)
    goal = _("target %(threshold)s") % {"threshold": target} if target else ""
    inner = "; ".join(p for p in (when, goal) if p)
    return f"{shown} ({inner})" if inner else shown


def _indicator_unit(indicator: str | None) -> str:
    if not indicator:
        return ""
    from mmsis.framework import load_framework

    try:
        return load_framework().indicator(indicator).unit
    except KeyError:
        return ""


def readiness(verdict: Any, items: Iterable[Any], labels: Labels | None = None,
              locale: str = fmt.DEFAULT_LOCALE) -> str:
    """One pillar's readiness verdict: where it stands, what is met and what is still open."""
    lab = labels or default_labels()
    pillar, phase = lab.label(verdict.pillar, "pillar"), lab.label(verdict.phase, "phase")
    share = _f(verdict.share_met)
    met = (_("%(share)s of its key results are met") % {
        "share": fmt.percent(share, locale=locale)}
        if share is not None else _("no key result of this phase applies"))
    names = {"pillar": pillar, "phase": phase, "met": met}
    if verdict.next_phase is None:
        head = (_("%(pillar)s is sustaining MMS (%(met)s).") if verdict.ready else
                _("%(pillar)s should strengthen sustainment (%(met)s).")) % names
    elif verdict.ready:
        head = _("%(pillar)s is ready to move from %(phase)s to %(next)s: %(met)s and every "
                 "required one.") % {**names, "next": lab.label(verdict.next_phase, "phase")}
    else:
        head = _("%(pillar)s stays in %(phase)s: %(met)s.") % names
    required: list[str] = []
    other: list[str] = []
    for i in {i.key_result: i for i in items}.values():
        if i.phase != verdict.phase or i.pillar != verdict.pillar:
            continue
        if i.status not in ("not_met", "partly"):
            continue
        shown = (f"{i.title} ({item_value(i, locale)})" if i.basis == "measured" else
                 f"{i.title} ({lab.label(i.status, 'word')})")
        (required if i.required else other).append(shown)
    tail = (_("Required and still open: %(items)s.") % {"items": "; ".join(required)}
            if required else "")
    rest = (_("Not yet met: %(items)s.") % {
        "items": "; ".join(other[:3]) + ("; ..." if len(other) > 3 else "")} if other else "")
    return _join([head, tail, rest])


# --- measure --------------------------------------------------------------------------------

def survey_estimate(res: Any, stat: str, variable: str, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """A survey estimate table's headline and why any design effect is blank."""
    if res is None or not len(res):
        return ""
    first = res.iloc[0]
    kind = "percent" if stat == "proportion" else "number"
    if len(res) == 1:
        band = fmt.ci(first["estimate"], first["ci_low"], first["ci_high"], kind=kind,
                      locale=locale)
        one = {"proportion": _("The proportion of %(variable)s is %(band)s (95%% CI) from "
                               "%(n)s respondents."),
               "mean": _("The mean of %(variable)s is %(band)s (95%% CI) from %(n)s "
                         "respondents."),
               "total": _("The total of %(variable)s is %(band)s (95%% CI) from %(n)s "
                          "respondents."),
               "ratio": _("The ratio of %(variable)s is %(band)s (95%% CI) from %(n)s "
                          "respondents.")}
        s = one.get(stat, one["mean"]) % {"variable": variable, "band": band,
                                          "n": fmt.count(first["n"], locale)}
    else:
        lo, hi = res["estimate"].min(), res["estimate"].max()
        shown = (fmt.percent if kind == "percent" else
                 (lambda v, locale=locale: fmt.number(v, 3, locale)))
        many = {"proportion": _("The proportion of %(variable)s ranges from %(low)s to "
                                "%(high)s across %(groups)s groups."),
                "mean": _("The mean of %(variable)s ranges from %(low)s to %(high)s across "
                          "%(groups)s groups."),
                "total": _("The total of %(variable)s ranges from %(low)s to %(high)s across "
                           "%(groups)s groups."),
                "ratio": _("The ratio of %(variable)s ranges from %(low)s to %(high)s across "
                           "%(groups)s groups.")}
        s = many.get(stat, many["mean"]) % {
            "variable": variable, "low": shown(lo, locale=locale),
            "high": shown(hi, locale=locale), "groups": fmt.count(len(res), locale)}
    notes = []
    if "deff_note" in res and res["deff_note"].notna().any():
        notes.append(_("Design effect: %(notes)s.") % {"notes": "; ".join(dict.fromkeys(
            str(n) for n in res["deff_note"].dropna()))})
    return _join([s, *notes])


def expected_reports(text: str) -> str | None:
    """The completeness metric the review composes ("% of expected <data set> reports": the
    data set's name, else its id) in the language in use; None when `text` is not one."""
    m = re.fullmatch(r"% of expected (.+) reports", text)
    return _("%% of expected %(data_set)s reports") % {"data_set": m.group(1)} if m else None


def quality_metric(text: str) -> str:
    """A data-quality metric in the language in use: a catalog message, or the completeness
    metric the review composes (`expected_reports`)."""
    if _(text) != text:
        return _(text)
    return expected_reports(text) or text


def quality(score: float, summary: Any, n_flags: int, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """The data-quality review's verdict: score, the weakest dimension and the flags."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return _("No data-quality check could run on this store.")
    shown = fmt.number(score, 3, locale)
    s = (_("Data quality is good: %(score)s out of 100.") if score >= 90 else
         _("Data quality is acceptable: %(score)s out of 100.") if score >= 80 else
         _("Data quality is weak: %(score)s out of 100.")) % {"score": shown}
    weakest = ""
    if summary is not None and len(summary):
        row = summary.loc[summary["value"].idxmin()]
        dim = default_labels().label(row["dimension"], "check")
        weakest = _("The weakest point is %(dimension)s (%(metric)s: %(value)s%%).") % {
            "dimension": f"{dim[:1].lower()}{dim[1:]}", "metric": quality_metric(row["metric"]),
            "value": fmt.number(row["value"], 3, locale)}
    flags = (ngettext("%(n)s value or unit is flagged for review.",
                      "%(n)s values or units are flagged for review.", int(n_flags)) % {
        "n": fmt.count(n_flags, locale)} if n_flags else _("Nothing is flagged."))
    return _join([s, weakest, flags])


__all__ = ["FEW_POINTS", "TARGET_POWER", "cits", "crt", "design_effect", "did", "forecast",
           "impact", "individual", "item_value", "its", "its_caveats", "quality", "readiness",
           "simulated_power", "stepped_wedge_analysis", "stepped_wedge_power", "survey_estimate",
           "survey_sample_size"]
