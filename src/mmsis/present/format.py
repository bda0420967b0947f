"""One locale-aware way to write numbers, shares, intervals, p values, money and periods.

Everything a person reads (CLI tables, pages, charts, the report) goes through these
functions; machines keep the raw values (``--json``, ``--csv``, the API). Numbers never come
out in scientific notation. Formatting rules follow Babel's CLDR data for ``locale``
(the language in use unless ``locale`` is given; see mmsis.i18n). The number functions live
in ``mmsis.present.numbers`` (no project imports); the period functions here read DHIS2
periods with ``mmsis.data.dhis2.periods``.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from babel.dates import format_date as _date

from mmsis.present.numbers import (
    DEFAULT_LOCALE,
    MISSING,
    _share_decimals,
    ci,
    count,
    decimals_for,
    fixed,
    money,
    number,
    p_value,
    percent,
    resolve,
    text,
)


def _babel_date(d: date, pattern: str, locale: str) -> str:
    return str(_date(d, pattern, locale=resolve(locale)))


def day(d: date | datetime | str, locale: str = DEFAULT_LOCALE) -> str:
    """A calendar date: "15 Jan 2024"."""
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    return _babel_date(d, "d MMM y", locale=locale)


def _month(d: date, locale: str, year: bool = True) -> str:
    return _babel_date(d, "MMM y" if year else "MMM", locale=locale)


def span(start: date, end: date, locale: str = DEFAULT_LOCALE) -> str:
    """Whole months from start to end: "Dec 2024", "Oct-Dec 2024", "Nov 2023-Apr 2024"."""
    if (start.year, start.month) == (end.year, end.month):
        return _month(start, locale)
    if start.year == end.year:
        return f"{_month(start, locale, year=False)}-{_month(end, locale)}"
    return f"{_month(start, locale)}-{_month(end, locale)}"


def period(pe: Any, locale: str = DEFAULT_LOCALE) -> str:
    """A DHIS2 period (or ISO month/date) for people, one format per period type.

    monthly 202412 and 2024-12 -> "Dec 2024"; quarterly 2024Q4 -> "Oct-Dec 2024"; weekly
    2024W5 -> "Week 5 2024 (29 Jan-4 Feb)"; daily 20240115 and 2024-01-15 -> "15 Jan 2024";
    yearly 2024 -> "2024"; six-monthly, bi-monthly and financial years as their month span.
    Text that is not a period comes back unchanged.
    """
    from mmsis.data.dhis2.periods import is_valid_period, parse_period

    if pe is None or (isinstance(pe, float) and math.isnan(pe)):
        return MISSING
    if isinstance(pe, (date, datetime)):
        return day(pe, locale)
    text = str(pe).strip()
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        text = text[:4] + text[5:]  # ISO month 2024-12
    elif len(text) == 10 and text[4] == text[7] == "-":
        try:
            return day(text, locale)
        except ValueError:
            return str(pe)
    if not is_valid_period(text):
        return str(pe)
    p = parse_period(text)
    if p.type == "yearly":
        return str(p.start.year)
    if p.type == "daily":
        return day(p.start, locale)
    if p.type.startswith("weekly") or p.type == "biweekly":
        digits = "".join(ch for ch in text.split("W")[-1] if ch.isdigit())
        word = "Weeks" if p.type == "biweekly" else "Week"
        n = int(digits) if p.type != "biweekly" else int(digits) * 2 - 1
        label = f"{word} {n}" if p.type != "biweekly" else f"{word} {n}-{n + 1}"
        start = _babel_date(p.start, "d MMM", locale=locale)
        end = _babel_date(p.end, "d MMM", locale=locale)
        return f"{label} {text[:4]} ({start}-{end})"
    return span(p.start, p.end, locale)


__all__ = ["DEFAULT_LOCALE", "MISSING", "_share_decimals", "ci", "count", "day",
           "decimals_for", "fixed", "money", "number", "p_value", "percent", "period", "span",
           "text"]
