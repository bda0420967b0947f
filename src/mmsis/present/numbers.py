"""Numbers for people: counts, shares, intervals, p values and money (Babel, any locale).

Part of ``mmsis.present.format`` with no project imports, so the lowest layer (``mmsis._cli``)
may use it.

Everything a person reads (CLI tables, pages, charts, the report) goes through these
functions; machines keep the raw values (``--json``, ``--csv``, the API). Numbers never come
out in scientific notation. Formatting rules follow Babel's CLDR data for ``locale``
(``locale`` defaults to the language in use: ``mmsis.i18n.current_locale``, set by
``--lang``/``MMSIS_LANG`` or the web user's language).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from babel.numbers import format_currency as _currency
from babel.numbers import format_decimal as _decimal

from mmsis.i18n import N_, current_locale

DEFAULT_LOCALE = ""
"""The default ``locale`` argument: "" means the language in use (mmsis.i18n)."""
#: Shown for a missing value (None, NaN, infinite).
MISSING = ""


def resolve(locale: str) -> str:
    """The CLDR locale to format with: the one given, else the language in use."""
    return locale or current_locale()


def _babel_decimal(value: Any, format: str, locale: str) -> str:  # noqa: A002 - Babel's name
    return str(_decimal(value, format=format, locale=resolve(locale)))


def _babel_currency(value: Any, currency: str, format: str, locale: str, **kw: Any) -> str:  # noqa: A002
    return str(_currency(value, currency, format=format, locale=resolve(locale), **kw))


@functools.lru_cache(maxsize=64)
def _percent_suffix(locale: str) -> str:
    """What follows the number in the locale's CLDR percent pattern: "%" in English and
    Portuguese, a no-break space and "%" in French ("79 %")."""
    from babel import Locale, UnknownLocaleError

    try:
        pattern = Locale.parse(locale.replace("-", "_")).percent_formats[None].pattern
    except (UnknownLocaleError, ValueError, KeyError, TypeError):
        return "%"
    positive = pattern.split(";")[0]
    tail = positive[len(positive.rstrip("%\u00a0\u202f ")):]
    return tail if tail.endswith("%") and tail.strip("\u00a0\u202f ") == "%" else "%"


def _num(x: Any) -> float | None:
    """A finite float, or None for missing, NaN, infinite or non-numeric values."""
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _pattern(decimals: int, *, grouping: bool = True, fixed: bool = False) -> str:
    """A CLDR decimal pattern with up to (or, ``fixed``, exactly) ``decimals`` decimals."""
    base = "#,##0" if grouping else "0"
    if decimals <= 0:
        return base
    return base + "." + ("0" if fixed else "#") * decimals


def decimals_for(x: float, digits: int = 3) -> int:
    """Decimals that show ``digits`` significant digits of x (none for |x| >= 10^digits)."""
    if x == 0:
        return 0
    return max(0, digits - 1 - math.floor(math.log10(abs(x))))


def number(x: Any, digits: int = 3, locale: str = DEFAULT_LOCALE) -> str:
    """A number with ``digits`` significant digits, thousands separators, never 1e+04."""
    f = _num(x)
    if f is None:
        return MISSING
    d = min(decimals_for(f, digits), 12)
    rounded = round(f, d)
    if rounded == 0:
        return "0"
    return _babel_decimal(rounded, format=_pattern(d), locale=locale)


def count(x: Any, locale: str = DEFAULT_LOCALE) -> str:
    """A whole count with thousands separators (births, women, tablets): 17,010."""
    f = _num(x)
    if f is None:
        return MISSING
    return _babel_decimal(round(f), format="#,##0", locale=locale)


def fixed(x: Any, decimals: int, locale: str = DEFAULT_LOCALE) -> str:
    """A number with exactly ``decimals`` decimals (scores, rate ratios, logs: 1.104, French
    1,104), where the digits carry meaning that significant digits would drop."""
    f = _num(x)
    if f is None:
        return MISSING
    return _babel_decimal(round(f, decimals), format=_pattern(decimals, fixed=True),
                          locale=locale)


def _share_decimals(values: list[float]) -> int:
    """0 decimals from 10%, 1 from 1%, 2 below: enough to tell the smallest share apart."""
    smallest = min((abs(v) for v in values if v != 0), default=1.0)
    return 0 if smallest >= 0.1 else 1 if smallest >= 0.01 else 2


def percent(share: Any, decimals: int | None = None, locale: str = DEFAULT_LOCALE) -> str:
    """A share (0.7857) as a percentage ("79%", French "79 %" as CLDR writes it); decimals
    chosen by size unless given."""
    f = _num(share)
    if f is None:
        return MISSING
    d = _share_decimals([f]) if decimals is None else decimals
    return (_babel_decimal(round(100 * f, d), format=_pattern(d, fixed=True), locale=locale)
            + _percent_suffix(resolve(locale)))


def _range(lo: str, hi: str, negative: bool, locale: str = DEFAULT_LOCALE) -> str:
    """"77-81", or "-0.01 to 0.06" when a bound is negative (a hyphen would read as minus),
    "to" in the locale's language ("-502 a 10.979" in Portuguese)."""
    if not negative:
        return f"{lo}-{hi}"
    from mmsis import i18n

    words = N_("%(low)s to %(high)s")
    lang = resolve(locale).replace("-", "_").split("_")[0]
    return i18n.translations(lang).gettext(words) % {"low": lo, "high": hi}


def ci(estimate: Any, low: Any, high: Any, *, kind: str = "number", digits: int = 3,
       currency: str | None = None, locale: str = DEFAULT_LOCALE) -> str:
    """An estimate with its interval: "79% (77-81%)", "1.11 (1.09-1.13)", "USD 237 (101-1,070)".

    ``kind`` is ``percent`` (shares 0-1), ``number``, ``count`` or ``money`` (with ``currency``).
    """
    e, lo, hi = _num(estimate), _num(low), _num(high)
    if e is None:
        return MISSING
    negative = any(v is not None and v < 0 for v in (lo, hi))
    if kind == "percent":
        d = _share_decimals([v for v in (e, lo, hi) if v is not None])
        head = percent(e, d, locale)
        if lo is None or hi is None:
            return head
        sign = _percent_suffix(resolve(locale))
        inner = _range(percent(lo, d, locale)[:-len(sign)], percent(hi, d, locale)[:-len(sign)],
                       negative, locale)
        return f"{head} ({inner}{sign})"
    # decimals for the largest of the three: 0.092 (0.067-0.117), not 0.0921 (0.067-0.1172)
    widest = max((abs(v) for v in (e, lo, hi) if v is not None), default=abs(e))
    d = min(decimals_for(widest if widest else e, digits), 12)

    def fmt(v: float) -> str:
        if kind == "count" or (kind == "money" and abs(v) >= 100):
            return count(v, locale)
        if kind == "money":
            return number(v, digits, locale)
        return _babel_decimal(round(v, d), format=_pattern(d), locale=locale)

    if kind == "count":
        head = count(e, locale)
    elif kind == "money":
        head = money(e, currency or "USD", locale)
    else:
        head = number(e, digits, locale)
    if lo is None or hi is None:
        return head
    return f"{head} ({_range(fmt(lo), fmt(hi), negative, locale)})"


def p_value(p: Any, locale: str = DEFAULT_LOCALE) -> str:
    """"p < 0.001", "p = 0.02", "p = 0.23": never "p 0" or 1.5e-11."""
    f = _num(p)
    if f is None:
        return MISSING
    if f < 0.001:
        return "p < " + _babel_decimal(0.001, format="0.###", locale=locale)
    if f > 0.99:
        return "p > " + _babel_decimal(0.99, format="0.##", locale=locale)
    d = 3 if f < 0.01 else 2
    return "p = " + _babel_decimal(round(f, d), format=_pattern(d, fixed=True), locale=locale)


def money(x: Any, currency: str = "USD", locale: str = DEFAULT_LOCALE) -> str:
    """An amount with its ISO currency: "USD 2,834,000", "USD 14.50", "USD 0.0188"."""
    f = _num(x)
    if f is None:
        return MISSING
    if abs(f) >= 100:
        d, fixed = 0, True
    elif abs(f) >= 1 or f == 0:
        d, fixed = 2, True
    else:
        d, fixed = max(2, decimals_for(f, 3)), False
    pattern = "¤¤\u00a0" + _pattern(d, fixed=fixed)
    return _babel_currency(round(f, d), currency, format=pattern, locale=locale,
                           currency_digits=False)


def text(value: Any, locale: str = DEFAULT_LOCALE) -> str:
    """Any value as plain text: floats without scientific notation, big ints grouped."""
    import numpy as np

    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return count(value, locale) if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, (float, np.floating)):
        return number(value, 4, locale)
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v, locale) for v in value)
    return str(value)


__all__ = ["DEFAULT_LOCALE", "MISSING", "ci", "count", "decimals_for", "money", "number",
           "p_value", "percent", "text"]
