"""Report tables for people: every header and cell of a report table written through
``mmsis.present`` (issue #15), in one place for the HTML report and so its PDF and DOCX.

Headers and id-like values become knowledge-base labels (``present.labels``), periods
"Jan 2024", shares percentages, p values "p < 0.001", money with its currency, counts with
thousands separators and other numbers with 3 significant digits. The XLSX keeps the raw
frames (ids and numbers) for machines.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from mmsis.i18n import N_, gettext_words
from mmsis.i18n import gettext as _
from mmsis.impact import wording as impact_wording
from mmsis.plan import wording as plan_wording
from mmsis.present import format as fmt
from mmsis.present import sentences
from mmsis.present.labels import Labels, default_labels, humanise

#: Headers whose words the label files do not hold (English; translated where shown).
HEADERS = {
    "ci_low": N_("95% CI, low"), "ci_high": N_("95% CI, high"),
    "rr_ci_low": N_("Rate ratio, 95% CI low"), "rr_ci_high": N_("Rate ratio, 95% CI high"),
    "ui_low": N_("Uncertainty interval, low"), "ui_high": N_("Uncertainty interval, high"),
    "se": N_("Standard error"), "n": N_("Number"), "p": N_("p value"), "rr": N_("Rate ratio"),
    "kr_relevance": N_("Relevance to key results"), "rel_time": N_("Months from start"),
    "dalys_ui_low": N_("DALYs averted, uncertainty low"),
    "dalys_ui_high": N_("DALYs averted, uncertainty high"), "dalys_central": N_("DALYs averted"),
    # the agenda's rating bases (the XLSX's basis_* columns) and the verdicts' next phase
    "basis_kr_relevance": N_("Basis: relevance to key results"),
    "basis_decision_value": N_("Basis: decision value"), "basis_equity": N_("Basis: equity"),
    "basis_answerability": N_("Basis: answerability"),
    "basis_feasibility": N_("Basis: feasibility"), "next_phase": N_("Next phase"),
}

#: Headers of columns the label files may name (their label first, else these words).
COLUMNS = {
    "pillar": N_("Pillar"), "phase": N_("Phase"), "region": N_("Region"),
    "indicator": N_("Indicator"), "value_date": N_("Value date"),
    "value_source": N_("Value source"), "title": N_("Title"), "required": N_("Required"),
    "basis": N_("Basis"), "question": N_("Question"), "outcomes": N_("Outcomes"),
    "design": N_("Design"), "sample_size": N_("Sample size"), "timing": N_("Timing"),
    "partner": N_("Partner"), "decision_value": N_("Decision value"),
    "construct": N_("Construct"), "barrier": N_("Barrier"), "strategy_name": N_("Strategy"),
    "strategy": N_("Strategy"), "cluster": N_("Cluster"), "decision": N_("Decision"),
    "team_note": N_("Team note"), "estimate": N_("Estimate"), "of": N_("Of"),
    "group": N_("Group"), "level": N_("Level"), "comparison": N_("Comparison"),
    "numerator": N_("Numerator"), "denominator": N_("Denominator"), "metric": N_("Metric"),
    "flagged": N_("Flagged"), "estimator": N_("Estimator"), "central": N_("Central"),
    "mean": N_("Mean"), "label": N_("Label"), "on": N_("On"), "study": N_("Study"),
    "currency_year": N_("Currency year"), "cost_per_daly_low": N_("Cost per DALY, low"),
    "cost_per_daly_high": N_("Cost per DALY, high"),
    "cost_per_daly_converted": N_("Cost per DALY, converted"),
    "benefit_cost_ratio": N_("Benefit-cost ratio"), "conversion": N_("Conversion"),
    "source": N_("Source"), "modified": N_("Modified"), "planned": N_("Planned"),
    "outcome": N_("Outcome"), "overdue": N_("Overdue"), "barrier_cfir": N_("Barrier (CFIR)"),
    "text": N_("Text"), "score": N_("Score"), "rank": N_("Rank"), "step": N_("Step"),
    "measure": N_("Measure"), "dimension": N_("Dimension"), "term": N_("Term"),
    "value": N_("Value"), "threshold": N_("Threshold"), "status": N_("Status"),
    "key_result": N_("Key result"), "verdict": N_("Verdict"), "reasons": N_("Reasons"),
    "share_met": N_("Share of key results met (weighted)"), "period": N_("Period"),
    "year": N_("Year"), "id": N_("Id"), "name": N_("Name"), "definition": N_("Definition"),
    "disaggregation": N_("Disaggregation"), "data_source": N_("Data source"),
    "frequency": N_("Frequency"), "unit": N_("Unit"), "direction": N_("Direction"),
    "dhs_mapping": N_("DHS mapping"), "dhis2_mapping": N_("DHIS2 mapping"),
    "notes": N_("Notes"), "item": N_("Item"),
    "indicators": N_("Indicators"), "data_sources": N_("Data sources"), "weight": N_("Weight"),
    "evidence_type": N_("Evidence type"), "threshold_source": N_("Threshold source"),
    "team_status": N_("Team status"), "ready": N_("Ready"), "cfir": N_("CFIR domain"),
    "spec_actor": N_("Specification: actor"), "spec_action": N_("Specification: action"),
    "spec_target": N_("Specification: action target"),
    "spec_temporality": N_("Specification: temporality"), "spec_dose": N_("Specification: dose"),
    "spec_outcome": N_("Specification: implementation outcome"),
    "spec_justification": N_("Specification: justification"),
    "spec_missing": N_("Specification: missing dimensions"), "method": N_("Method"),
    "deff": N_("Design effect"), "df": N_("Degrees of freedom"),
}

#: Words of the report's cells (statuses, bases, survey groups) that no label file holds.
CELL_WORDS = (
    N_("measured"), N_("team"), N_("none"), N_("suggested"), N_("accepted"), N_("rejected"),
    N_("wealth"), N_("residence"), N_("region"), N_("poorest"), N_("poorer"), N_("middle"),
    N_("richer"), N_("richest"), N_("urban"), N_("rural"), N_("absolute gap"),
    N_("relative gap"), N_("slope index of inequality"), N_("relative index of inequality"),
    N_("concentration index"), N_("population attributable risk"),
    N_("population attributable fraction"), N_("all women"), N_("overdue"),
    N_("Not assessed"), N_("Not applicable"), N_("In progress"), N_("Not started"),
    N_("pregnancies covered by MMS"), N_("average"), N_("top - bottom of the ridit scale"),
    N_("p(top) / p(bottom) of the ridit scale, logistic"),
    N_("concentration on the ridit scale"), N_("consumed / expected (ratio of totals)"),
    # the data-quality review's metrics (mmsis.measure.routine.quality)
    N_("% of values not extreme outliers (> 3 SD)"),
    N_("% of values without moderate outliers (2-3 SD)"),
    N_("% of values with modified z <= 3.5"), N_("% of facility-months consistent"),
)
_DQ_TREND = re.compile(r"% of unit-elements within \+-([\d.]+)% of 3-year mean"
                       r"(?: \((\d+) in planned MMS roll-out left out\))?")
_DQ_SURVEY = re.compile(r"% of comparisons within \+-([\d.]+)% of the survey")
_BUDGET = re.compile(r"total budget \(([A-Z]{3})\)")
_SHARE_WITH = re.compile(r"share with consumed / expected >= ([\d.]+)")


def stored_words(text: str) -> str | None:
    """A catalog message, or English words the computations store (a pathway's convention,
    an anchor's conversion, a measured value's source, a rating's basis), in the language in
    use; None when `text` is none of them."""
    if _(text) != text:  # a whole message first
        return _(text)
    stored = impact_wording.composed(text)  # pathways' conventions, anchors' conversions
    if stored is None:  # measured values' sources, the agenda's rating bases
        stored = plan_wording.composed(text)
    return stored


def _composed(text: str) -> str | None:
    """Cells the computations compose from words: "richest - poorest" (each catalog word
    translated), "total budget (USD)", "share with consumed / expected >= 0.9"; else None."""
    stored = stored_words(text)
    if stored is not None:
        return stored
    expected = sentences.expected_reports(text)
    if expected is not None:
        return expected
    m = _DQ_TREND.fullmatch(text)
    if m:
        tol = {"tol": fmt.number(float(m.group(1))), "n": m.group(2)}
        return (_("%% of unit-elements within +-%(tol)s%% of 3-year mean (%(n)s in planned MMS "
                  "roll-out left out)") if m.group(2) else
                _("%% of unit-elements within +-%(tol)s%% of 3-year mean")) % tol
    m = _DQ_SURVEY.fullmatch(text)
    if m:
        return _("%% of comparisons within +-%(tol)s%% of the survey") % {
            "tol": fmt.number(float(m.group(1)))}
    m = _BUDGET.fullmatch(text)
    if m:
        return _("total budget (%(currency)s)") % {"currency": m.group(1)}
    m = _SHARE_WITH.fullmatch(text)
    if m:
        return _("share with consumed / expected >= %(threshold)s") % {
            "threshold": fmt.number(float(m.group(1)))}
    m = re.fullmatch(r"concentration index \((\w+)\)", text)  # its correction's name
    if m:
        return f"{_('concentration index')} ({m.group(1)})"
    if re.fullmatch(r"\(?[\w ]+ [-/] [\w ]+\)?( / \w+)?", text):
        return gettext_words(text)
    return None

#: Headers for a column whose label another column of the same sheet already shows.
DISTINCT = {"strategy_name": N_("Strategy name")}


def is_period(text: str) -> bool:
    """Whether a cell is a DHIS2 period ("202101", "2021Q1", "2021-01") to write as a date."""
    return bool(_PERIOD.fullmatch(text.strip()))


P_COLUMNS = {"p", "p_value", "pvalue", "P>|t|", "P>|z|"}
_ID = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_.:][A-Za-z0-9]+)+")
_PERIOD = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2]|-(?:0[1-9]|1[0-2])|Q[1-4]|S[12]|W\d{1,2})")
_MONEY_WORDS = ("cost", "budget", "usd", "price")


def header(column: Any, labels: Labels) -> str:
    """A column header in words."""
    name = str(column)
    if name in HEADERS:
        return _(HEADERS[name])
    for kind in ("output", "parameter", "word"):
        found = labels.find(name, kind)
        if found:
            return found
    if name in COLUMNS:
        return _(COLUMNS[name])
    return _(humanise(name)) if name.islower() or "_" in name else _(name)


def _unit(column: str, labels: Labels, percent: bool) -> str:
    if percent:
        return "percent"
    if column in P_COLUMNS:
        return "p"
    unit = labels.unit(column)
    if unit:
        return unit
    low = column.lower()
    if any(w in low for w in _MONEY_WORDS):
        return "money"
    return ""


def text_cell(value: str, labels: Labels, column: str = "") -> str:
    """A text cell: an id becomes its label, a period 'Jan 2024', other text translated."""
    text = value.strip()
    if not text:
        return text
    if _PERIOD.fullmatch(text) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return fmt.period(text)
    composed = _composed(text)
    if composed is not None:
        return composed
    items = [t.strip() for t in text.split(",")]
    if len(items) > 1 and all(_ID.fullmatch(t) or (t.isalpha() and t.islower()) for t in items):
        return ", ".join(text_cell(t, labels, column) for t in items)  # a list of ids
    if " " not in text:
        kind = "term" if column == "term" else None
        found = labels.find(text, kind) or labels.find(text)
        if found:
            return found
        if _ID.fullmatch(text) and text.lower() == text:
            return _(humanise(text))
    return words(_(text), labels)


_LABEL_THEN_ID = re.compile(r"(?<=') \(([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\)")
_TOKEN = re.compile(r"(?<![\w.@/-])(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|(?:19|20)\d{2}"
                    r"(?:0[1-9]|1[0-2]|-(?:0[1-9]|1[0-2])|Q[1-4]))(?![\w@/-])")


def words(text: str, labels: Labels) -> str:
    """Free text (a reason, a caption) with ids inside it written as labels and periods as
    months: "'Title' (kr_id)" drops the id, "received_180" becomes its label or words."""
    text = _LABEL_THEN_ID.sub("", text)

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if token[0].isdigit():
            return fmt.period(token)
        return labels.find(token) or humanise(token).lower()

    return _TOKEN.sub(one, text)


def cell(value: Any, column: str, labels: Labels, percent: bool = False,
         currency: str = "USD") -> tuple[str, bool]:
    """One cell for people; returns (text, is_number)."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return (_("yes") if value else _("no")), False
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v, column, labels)[0] for v in value), False
    if isinstance(value, dict):
        return ", ".join(f"{text_cell(str(k), labels)}: {cell(v, column, labels)[0]}"
                         for k, v in value.items()), False
    if isinstance(value, (pd.Timestamp,)):
        return fmt.day(value.date()), False
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if "year" in column.lower():
            return f"{int(v)}", True
        unit = _unit(column, labels, percent)
        if unit == "percent":  # one decimal: survey estimates are compared to 0.1 point
            return fmt.percent(v, 1), True
        if unit == "p":
            return fmt.p_value(v), True
        if unit == "money":
            return fmt.money(v, currency), True
        if unit == "count" or isinstance(value, (int, np.integer)) or (
                abs(v) >= 1000 and v.is_integer()):
            return fmt.count(v), True
        if abs(v) >= 1000:
            return fmt.count(round(v)), True
        return fmt.number(v, 3), True
    return text_cell(str(value), labels, column), False


def readable(table: Any, frame: pd.DataFrame | None = None,
             labels: Labels | None = None) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Headers and rows of a report ``Table`` written for people."""
    lab = labels or default_labels()
    df = table.frame if frame is None else frame
    columns = [str(c) for c in df.columns]
    rows = [[cell(v, col, lab, col in table.percent) for col, v in zip(columns, rec, strict=False)]
            for rec in df.itertuples(index=False)]
    return [header(c, lab) for c in columns], rows
