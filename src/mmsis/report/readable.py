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

from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.labels import Labels, default_labels, humanise

#: Headers whose words the label files do not hold.
HEADERS = {
    "ci_low": "95% CI, low", "ci_high": "95% CI, high", "rr_ci_low": "Rate ratio, 95% CI low",
    "rr_ci_high": "Rate ratio, 95% CI high", "ui_low": "Uncertainty interval, low",
    "ui_high": "Uncertainty interval, high", "se": "Standard error", "n": "Number",
    "p": "p value", "rr": "Rate ratio", "kr_relevance": "Relevance to key results",
    "rel_time": "Months from start", "dalys_ui_low": "DALYs averted, uncertainty low",
    "dalys_ui_high": "DALYs averted, uncertainty high", "dalys_central": "DALYs averted",
}
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
