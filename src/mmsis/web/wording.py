"""What the pages show people: workspace labels, readable result tables, sentences and charts.

Routes hand raw results (ITS fits, forecasts, impact) to these helpers; templates receive
strings written through ``mmsis.present`` (labels instead of ids, "Jan 2024", "79% (77-81%)",
"USD 2,834,056") and charts with dated axes, units and named series. The API keeps the raw
values; nothing here is used for machine output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.impact import wording as impact_wording
from mmsis.present import format as fmt
from mmsis.present import sentences
from mmsis.present.labels import Labels, default_labels
from mmsis.present.tables import Column, readable
from mmsis.web import charts

_LABELS: dict[tuple[int, float], Labels] = {}


def workspace_labels(ws: Any) -> Labels:
    """Labels with the workspace store's org-unit and data-element names (cached per store
    file version); the knowledge base's labels alone when the workspace has no store."""
    from pathlib import Path

    from mmsis.web import programme

    path = getattr(ws, "store_path", None)
    if not path or not programme.has_store(ws):
        return default_labels()
    try:
        stamp = Path(path).stat().st_mtime
    except OSError:
        stamp = 0.0
    key = (int(ws.id), stamp)
    found = _LABELS.get(key)
    if found is None:  # (read once: another request may clear the dict meanwhile)
        with programme.reading(ws) as st:
            found = Labels.from_store(st)
        _LABELS.clear()
        _LABELS[key] = found
    return found


def month_index(period: str) -> int:
    """A YYYYMM period as a month count (year x 12 + month - 1)."""
    return int(period[:4]) * 12 + int(period[4:6]) - 1


def month_period(index: int) -> str:
    """A month count back to YYYYMM."""
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- dashboard -----------------------------------------------------------------------------


def trend_chart(rows: Sequence[Mapping[str, Any]], title: str, labels: Labels
                ) -> charts.LineChart | None:
    """Monthly totals per data element, months on the x axis, elements named in the legend."""
    if not rows:
        return None
    series: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        name = labels.label(r["data_element"], "data_element")
        series.setdefault(name, []).append((month_index(str(r["period"])), float(r["value"])))
    months = sorted({month_index(str(r["period"])) for r in rows})
    return charts.line_chart(
        series, title=title, x_label=_("Month"), y_label=_("People per month (count)"),
        x_names={m: fmt.period(month_period(m)) for m in months}, y_min=0)


def trend_table(rows: Sequence[Mapping[str, Any]], labels: Labels) -> list[dict[str, str]]:
    """The last months of the trend as strings for people."""
    return [{"element": labels.label(r["data_element"], "data_element"),
             "month": fmt.period(r["period"]), "total": fmt.count(r["value"]),
             "values": fmt.count(r.get("n_values"))} for r in rows]


def quality_flags(flags: Iterable[Mapping[str, Any]], labels: Labels) -> list[dict[str, str]]:
    """Data-quality flags with names, periods and checks in words."""
    out = []
    for f in flags:
        check = str(f.get("check", ""))
        de = f.get("data_element")
        out.append({
            "unit": str(f.get("org_unit_name") or labels.label(f.get("org_unit"), "org_unit")),
            "period": fmt.period(f.get("period")),
            "check": check_label(check, labels),
            "element": labels.label(de, "data_element") if de else "",
            "value": fmt.number(f.get("value"), 3) if f.get("value") is not None else "",
            "reference": (fmt.number(f.get("reference"), 3)
                          if f.get("reference") is not None else ""),
        })
    return out


def check_label(check: str, labels: Labels) -> str:
    """A data-quality check in words ("internal:anc4_le_anc1" -> "Consistency: ANC4 at most
    ANC1")."""
    if check.startswith("internal:"):
        words = check.split(":", 1)[1].replace("_", " ").split()
        ops = {"le": _("at most"), "ge": _("at least"), "lt": _("below"), "gt": _("above"),
               "eq": _("equal to")}
        rule = " ".join(ops.get(w.lower(), w.upper()) for w in words)
        return _("Consistency: %(rule)s") % {"rule": rule}
    found = labels.find(check, "check")
    return found or _first_upper(check.replace("_", " "))


def quality_sentence(quality: Mapping[str, Any]) -> str:
    """The data-quality review's verdict in words (score, weakest point, flags)."""
    summary = pd.DataFrame(quality.get("summary") or [])
    score = quality.get("score")
    return sentences.quality(float(score) if score is not None else math.nan,
                             summary if len(summary) else None, int(quality.get("n_flags") or 0))


def verdicts(card: Any, labels: Labels) -> list[dict[str, str]]:
    """Each pillar's readiness verdict as a sentence (mmsis.present.sentences.readiness)."""
    return [{"pillar": labels.label(v.pillar, "pillar"),
             "phase": labels.label(v.phase, "phase"),
             "sentence": sentences.readiness(v, card.items, labels)} for v in card.verdicts]


# --- evaluation ----------------------------------------------------------------------------


def months_with_data(db: Any, access: Any, data_element: str) -> list[tuple[str, str]]:
    """The months with values of a data element in the user's area, as (YYYYMM, "Jan 2024")
    for the start-month picker."""
    from mmsis.web import services

    try:
        rows = services.routine_series(db, access, [data_element], None)
    except Exception:  # noqa: BLE001 - no store or no such element: an empty picker
        return []
    return [(p, fmt.period(p)) for p in sorted({str(r["period"]) for r in rows})]


def first_period(db: Any, access: Any, data_element: str, org_unit: str | None,
                 control: str | None) -> str:
    """The first month of the series an ITS was fitted on (month 0 of its time axis)."""
    from mmsis.web import services

    periods = {str(r["period"]) for r in services.routine_series(db, access, [data_element],
                                                                  org_unit)}
    if control:
        periods &= {str(r["period"]) for r in services.routine_series(
            db, access, [data_element], control)}
    return min(periods)


def its_view(res: Any, first_period: str, start: str, element: str, where: str,
             control: str | None = None) -> dict[str, Any]:
    """An ITS (or controlled ITS) fit for people: the sentence, the dated chart with the
    start month marked and the counterfactual band, and the rate ratios with their CIs."""
    base = month_index(first_period)
    s = res.series

    def pts(frame: pd.DataFrame, col: str) -> list[tuple[float, float]]:
        return [(base + float(t), float(v)) for t, v in zip(frame["time"], frame[col],
                                                              strict=True)]

    lines: dict[str, list[tuple[float, float]]] = {}
    if "treated" in s:
        ctrl = s[s["treated"] == 0]
        s = s[s["treated"] == 1]
        lines[_("%(district)s (control, observed)") % {"district": control}] = pts(
            ctrl, "observed")
    post = s[s["intervention"] == 1]
    series = {_("%(area)s, observed") % {"area": _first_upper(where)}: pts(s, "observed"),
              _("Model fit"): pts(s, "fitted"),
              _("Expected without the change"): pts(post, "counterfactual"), **lines}
    band = None
    lo_col, hi_col = next(((a, b) for a, b in (("cf_low", "cf_high"),
                                              ("counterfactual_low", "counterfactual_high"))
                           if {a, b} <= set(post.columns)), (None, None))
    if lo_col and hi_col:
        band = (_("95% interval of the expected values without the change"),
                [(base + float(t), float(lo), float(hi)) for t, lo, hi in zip(
                    post["time"], post[lo_col], post[hi_col], strict=True)])
    months = sorted({base + int(t) for t in res.series["time"]})
    chart = charts.line_chart(
        series, title=_("%(element)s in %(area)s: observed, model fit and expected without the "
                        "change") % {"element": element, "area": where},
        x_label=_("Month"), y_label=_("%(element)s per month") % {"element": element}, y_min=0,
        x_names={m: fmt.period(month_period(m)) for m in months},
        markers=[(month_index(start), _("Start: %(month)s") % {"month": fmt.period(start)})],
        band=band)
    summary = res.summary
    terms = Labels()
    if "rr" in summary:
        cols = [Column(("rr", "rr_ci_low", "rr_ci_high"), _("Rate ratio (95% CI)"), "ci")]
    else:
        cols = [Column(("estimate", "ci_low", "ci_high"), _("Estimate (95% CI)"), "ci")]
    summary = summary.assign(term=[_term(t, terms) for t in summary["term"]])
    shown = readable(summary, [Column("term", _("Term")), *cols,
                               Column("p", _("p value"), "p")], terms)
    # the web has no Newey-West option: say where it is rather than a flag the page lacks
    remedy = _("the Newey-West option of `mmsis evaluate its` corrects it")
    outcome = f"{element[:1].lower()}{element[1:]}"
    if control:
        sentence = sentences.cits(res, outcome=outcome, remedy=remedy)
    else:
        sentence = sentences.its(res, outcome=outcome, start=start, remedy=remedy)
    said = sentences.autocorrelation_p(res) is not None
    warnings = [w for w in res.warnings if not ("autocorrelation" in w and said)]
    return {"chart": chart, "table": shown, "sentence": sentence, "warnings": warnings,
            "method": _("%(method)s, %(family)s model: %(before)s months before and %(after)s "
                        "after (%(first)s to %(last)s); standard errors %(errors)s.") % {
                "method": _first_upper(res.method), "family": res.family, "before": res.n_pre,
                "after": res.n_post, "first": fmt.period(first_period),
                "last": fmt.period(month_period(months[-1])), "errors": res.se_type}}


def _term(term: Any, labels: Labels) -> str:
    """A model term in words; seasonal harmonics (sin1, cos2, month_3) as what they are."""
    text = str(term)
    found = labels.find(text, "term")
    if found:
        return found
    m = re.fullmatch(r"(sin|cos)(\d+)", text)
    if m:
        wave = _("sine") if m.group(1) == "sin" else _("cosine")
        return _("Seasonality (%(wave)s, harmonic %(n)s)") % {"wave": wave, "n": m.group(2)}
    return labels.label(text, "term")


# --- forecast and impact -------------------------------------------------------------------

IMPACT_SHOWN = ("births_covered", "lbw_averted", "preterm_averted", "sga_averted",
                "stillbirths_averted", "neonatal_deaths_averted", "dalys_averted",
                "dalys_averted_per_100k_pregnancies", "incremental_cost", "cost_per_daly",
                "cost_per_death_averted")


def impact_table(summary: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The impact summary's main measures: label, central value and 95% UI, by unit."""
    lab = default_labels()
    rows = summary.set_index("measure")
    out = []
    for m in IMPACT_SHOWN:
        if m not in rows.index:
            continue
        r = rows.loc[m]
        unit = lab.unit(m) or ("money" if "cost" in m else "count")
        kind = {"money": "money", "count": "count", "percent": "percent"}.get(unit, "number")
        centre = r["central"] if "central" in r else r["mean"]
        out.append({
            _("Measure"): lab.label(m, "output"),
            _("Central estimate"): _write(centre, kind, currency),
            _("95% uncertainty interval"): (
                _("%(low)s to %(high)s") % {"low": _write(r["ui_low"], kind, currency),
                                            "high": _write(r["ui_high"], kind, currency)}
                if "ui_low" in r else ""),
        })
    return pd.DataFrame(out)


def _write(v: Any, kind: str, currency: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return fmt.MISSING
    if kind == "money":
        return fmt.money(v, currency)
    if kind == "count":
        return fmt.count(v)
    if kind == "percent":
        return fmt.percent(v)
    return fmt.number(v, 3)


def pathways_table(pathways: pd.DataFrame) -> list[dict[str, str]]:
    """DALYs averted by pathway with each pathway's convention and whether it is on."""
    out = []
    for r in pathways.itertuples(index=False):
        out.append({
            "pathway": _first_upper(_(str(r.label))),
            "on": _("on") if r.on else _("off"),
            "events": fmt.count(r.events_averted),
            "events_label": default_labels().label(r.events_measure, "output"),
            "dalys": fmt.ci(r.dalys_central, r.dalys_ui_low, r.dalys_ui_high, kind="count"),
            "share": fmt.percent(r.share_of_dalys) if r.on and math.isfinite(
                float(r.share_of_dalys)) else fmt.MISSING,
            "convention": _convention(str(r.pathway), str(r.convention)),
        })
    return out


def _convention(pathway: str, text: str) -> str:
    """A pathway's convention in words (mmsis.impact.wording), as stored when not known."""
    return impact_wording.convention(text) or text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def acceptability_chart(acc: pd.DataFrame, marks: pd.DataFrame, currency: str,
                        year: int) -> charts.LineChart | None:
    """The cost-effectiveness acceptability curve with the thresholds marked."""
    if acc is None or not len(acc):
        return None
    curve = [(float(w), float(p)) for w, p in zip(acc["wtp"], acc["probability_cost_effective"],
                                                  strict=True)]
    ticks = charts._nice_ticks(float(acc["wtp"].min()), float(acc["wtp"].max()))
    return charts.line_chart(
        {_("Probability that MMS is cost-effective"): curve},
        title=_("Cost-effectiveness acceptability curve"),
        x_label=_("Willingness to pay per DALY averted (%(currency)s %(year)s)") % {
            "currency": currency, "year": year},
        y_label=_("Probability cost-effective"), y_min=0, y_max=1, y_unit="percent",
        x_names={t: fmt.money(t, currency) if t else f"{currency} 0" for t in ticks},
        markers=[(float(v), f"{_first_upper(str(n))}: {fmt.money(v, currency)}")
                 for n, v in zip(marks.get("threshold", []), marks.get("value", []),
                                 strict=True)])


def tornado_table(tornado: pd.DataFrame, currency: str, top: int = 10) -> list[dict[str, str]]:
    """The inputs the cost per DALY depends on most (one-way sensitivity, widest first): each
    input's range and the result at either end; pathways are switched off and on."""
    if tornado is None or not len(tornado):
        return []
    lab = default_labels()
    out = []
    for __, r in tornado.head(top).iterrows():
        name = str(r["parameter"])
        unit = lab.unit(name)
        if name.startswith("pathway:"):
            shown = _("off to on")
            label = lab.label(name, "parameter").split(" (0 = off")[0]
        else:
            shown = _("%(low)s to %(high)s") % {"low": _by_unit(r["low"], unit, currency),
                                                "high": _by_unit(r["high"], unit, currency)}
            label = lab.label(name, "parameter")
        money = str(r.get("metric", "")).startswith("cost")
        out.append({"input": label, "range": shown,
                    "low": fmt.money(r["output_low"], currency) if money
                    else fmt.number(r["output_low"], 3),
                    "high": fmt.money(r["output_high"], currency) if money
                    else fmt.number(r["output_high"], 3)})
    return out


def _by_unit(v: Any, unit: str, currency: str) -> str:
    if unit == "percent":
        return fmt.percent(v)
    if unit == "money":
        return fmt.money(v, currency)
    return fmt.number(v, 3)


def plane_chart(points: Sequence[tuple[float, float]], marks: pd.DataFrame, currency: str,
                year: int) -> charts.ScatterChart | None:
    """The cost-effectiveness plane: each Monte Carlo draw's DALYs averted and extra cost,
    with each threshold as the line cost = threshold x DALYs (below it: cost-effective)."""
    if not points:
        return None
    slopes = [(float(v), _("%(threshold)s (%(value)s per DALY)") % {
        "threshold": _first_upper(str(n)), "value": fmt.money(v, currency)})
              for n, v in zip(marks.get("threshold", []), marks.get("value", []), strict=True)]
    return charts.scatter_chart(
        points, title=_("Cost-effectiveness plane (one dot per Monte Carlo draw)"),
        name=_("A draw of the Monte Carlo simulation"), x_label=_("DALYs averted"),
        y_label=_("Extra cost of MMS over IFA (%(currency)s %(year)s)") % {
            "currency": currency, "year": year}, y_unit="money",
        slopes=slopes)


def thresholds_table(at: pd.DataFrame, currency: str) -> list[dict[str, str]]:
    """Each threshold with its value, source and the probability MMS is cost-effective at it."""
    return [{"threshold": _first_upper(str(r["threshold"])),
             "value": fmt.money(r["value"], currency),
             "probability": fmt.percent(r.get("probability_cost_effective")),
             "source": str(r.get("source") or "")} for __, r in at.iterrows()]


def forecast_chart(months: pd.DataFrame) -> charts.LineChart | None:
    """MMS and IFA tablets needed per month over the horizon (all districts)."""
    if months is None or not len(months) or "month" not in months:
        return None
    by = months.groupby("month")[["mms_tablets_needed", "ifa_tablets_needed"]].sum()
    idx = [month_index(str(m).replace("-", "")) for m in by.index]
    series = {_("MMS tablets needed"): list(zip(idx, by["mms_tablets_needed"].astype(float),
                                             strict=True)),
              _("IFA tablets needed"): list(zip(idx, by["ifa_tablets_needed"].astype(float),
                                             strict=True))}
    return charts.line_chart(
        series, title=_("Tablets needed per month: MMS replacing IFA"), x_label=_("Month"),
        y_label=_("Tablets per month (count)"), y_min=0,
        x_names={m: fmt.period(month_period(m)) for m in idx})


FORECAST_ITEMS = {i: i for i in (
    N_("Pregnancies covered by MMS"), N_("MMS tablets needed"), N_("IFA tablets needed"),
    N_("MMS packs ordered"), N_("IFA packs ordered"), N_("MMS tablets short"),
    N_("IFA tablets short"), N_("IFA tablets expired in horizon"),
    N_("IFA tablets at risk of expiry after horizon"), N_("Total budget"))}
"""The forecast summary's items (mmsis.forecast's keys, first letter up) as catalog messages."""


def forecast_table(summary: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The forecast summary as item and value for people (counts, money)."""
    items = list(summary["item"]) if "item" in summary else list(summary.iloc[:, 0])
    values = list(summary["value"]) if "value" in summary else list(summary.iloc[:, 1])
    out = []
    for item, value in zip(items, values, strict=True):
        text = str(item)
        money = "budget" in text or "cost" in text
        shown = _first_upper(text.replace(f" ({currency})", ""))
        out.append({"Item": _(FORECAST_ITEMS[shown]) if shown in FORECAST_ITEMS else shown,
                    "Value": fmt.money(value, currency) if money else fmt.count(value)})
    return pd.DataFrame(out)


BUDGET_SHOWN = (("total", N_("Total")), ("mms_total", "MMS"), ("ifa_total", "IFA"),
                ("programme_total", N_("Programme costs")))
"""The budget columns shown on the page (the total first); the report and CSV keep them all."""


def budget_view(budget: pd.DataFrame, currency: str) -> dict[str, Any]:
    """The budget by year: a chart of MMS, IFA, programme and total costs, and a short table
    with the total first (the full breakdown stays in the report and the CSV)."""
    if budget is None or not len(budget) or "year" not in budget:
        return {"chart": None, "rows": [], "columns": []}
    shown = [(c, _(name)) for c, name in BUDGET_SHOWN if c in budget]
    years = [int(y) for y in budget["year"]]
    lines = {name: [(float(y), float(v)) for y, v in zip(years, budget[c], strict=True)]
             for c, name in shown}
    chart = charts.line_chart(
        lines, title=_("Budget by year (%(currency)s)") % {"currency": currency},
        x_label=_("Year"), y_label=_("Cost (%(currency)s)") % {"currency": currency}, y_min=0,
        y_unit="money",
        x_names={float(y): str(y) for y in years}) if lines else None
    rows = [[str(y)] + [fmt.money(budget[c].iloc[i], currency) for c, _ in shown]
            for i, y in enumerate(years)]
    return {"chart": chart, "rows": rows, "columns": [_("Year")] + [n for __, n in shown]}


def audit_details(detail: Mapping[str, Any]) -> str:
    """An audit entry's details as "key: value" words rather than raw JSON."""
    parts = []
    for k, v in detail.items():
        if isinstance(v, Mapping):
            v = ", ".join(f"{humanise_key(a)} {b}" for a, b in v.items()
                          if b not in (None, "")) or "nothing"
        elif isinstance(v, (list, tuple)):
            v = ", ".join(str(x) for x in v)
        elif isinstance(v, float):
            v = fmt.number(v, 3)
        elif isinstance(v, int) and not isinstance(v, bool):
            v = fmt.count(v)
        parts.append(f"{humanise_key(k)}: {v}")
    return "; ".join(parts)


def humanise_key(key: Any) -> str:
    """A JSON key as words."""
    return str(key).replace("_", " ")
