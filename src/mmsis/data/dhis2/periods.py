"""DHIS2 ISO periods: parse, validate, and convert between period types.

Formats (DHIS2 Web API, "Date and period format"): daily ``20240115``, weekly ``2024W3``
(ISO weeks, Monday start), monthly ``202401``, bi-monthly ``202401B``, quarterly ``2024Q1``,
six-monthly ``2024S1``, yearly ``2024``, financial years ``2024April``, ``2024July``,
``2024Oct`` (the year named is the one the financial year starts in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from mmsis.errors import InputError

PERIOD_TYPES = (
    "daily", "weekly", "monthly", "bimonthly", "quarterly", "sixmonthly", "yearly",
    "financial_april", "financial_july", "financial_oct",
)
_FIN_START = {"April": 4, "July": 7, "Oct": 10}
_RE = re.compile(
    r"^(?:(?P<day>\d{8})|(?P<wy>\d{4})W(?P<w>\d{1,2})|(?P<my>\d{4})(?P<m>\d{2})(?P<b>B)?"
    r"|(?P<qy>\d{4})Q(?P<q>\d)|(?P<sy>\d{4})S(?P<s>\d)|(?P<y>\d{4})"
    r"|(?P<fy>\d{4})(?P<fin>April|July|Oct))$"
)


@dataclass(frozen=True)
class Period:
    """One DHIS2 period: its id, type and inclusive start and end dates."""

    id: str
    type: str
    start: date
    end: date

    @property
    def days(self) -> int:
        """Length in days, both ends included (DHIS2's annualization uses 365 / days)."""
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Length in months (calendar months count 1; days count as days / 30.4375)."""
        if self.type in ("daily", "weekly"):
            return ((self.end - self.start).days + 1) / 30.4375
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@lru_cache(maxsize=65536)
def parse_period(pe: str) -> Period:
    """Parse a DHIS2 ISO period id; raise InputError when it is not a valid period."""
    m = _RE.match(str(pe).strip())
    if not m:
        raise InputError(f"'{pe}' is not a DHIS2 ISO period", field="period")
    g = m.groupdict()
    try:
        if g["day"]:
            d = date(int(pe[:4]), int(pe[4:6]), int(pe[6:8]))
            return Period(pe, "daily", d, d)
        if g["wy"]:
            start = date.fromisocalendar(int(g["wy"]), int(g["w"]), 1)
            return Period(pe, "weekly", start, start + timedelta(days=6))
        if g["my"]:
            y, mo = int(g["my"]), int(g["m"])
            if g["b"]:
                if mo < 1 or mo > 6:
                    raise ValueError("bi-month must be 01-06")
                first = 2 * mo - 1
                return Period(pe, "bimonthly", date(y, first, 1), _month_end(y, first + 1))
            return Period(pe, "monthly", date(y, mo, 1), _month_end(y, mo))
        if g["qy"]:
            y, q = int(g["qy"]), int(g["q"])
            if not 1 <= q <= 4:
                raise ValueError("quarter must be 1-4")
            return Period(pe, "quarterly", date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
        if g["sy"]:
            y, s = int(g["sy"]), int(g["s"])
            if s not in (1, 2):
                raise ValueError("half must be 1 or 2")
            return Period(pe, "sixmonthly", date(y, 6 * s - 5, 1), _month_end(y, 6 * s))
        if g["y"]:
            y = int(g["y"])
            return Period(pe, "yearly", date(y, 1, 1), date(y, 12, 31))
        y, start_month = int(g["fy"]), _FIN_START[g["fin"]]
        end = _month_end(y + 1, start_month - 1)
        return Period(pe, f"financial_{g['fin'].lower()}", date(y, start_month, 1), end)
    except ValueError as exc:
        raise InputError(f"'{pe}' is not a valid DHIS2 period ({exc})", field="period") from exc


def is_valid_period(pe: str) -> bool:
    """True when ``pe`` parses as a DHIS2 ISO period."""
    try:
        parse_period(pe)
    except InputError:
        return False
    return True


def period_type(pe: str) -> str:
    """The period type of a DHIS2 ISO period id (e.g. '2024Q1' -> 'quarterly')."""
    return parse_period(pe).type


def period_of(d: date, ptype: str) -> str:
    """The id of the period of type ``ptype`` that contains date ``d``."""
    y, mo = d.year, d.month
    if ptype == "daily":
        return d.strftime("%Y%m%d")
    if ptype == "weekly":
        iy, iw, _ = d.isocalendar()
        return f"{iy}W{iw}"
    if ptype == "monthly":
        return f"{y}{mo:02d}"
    if ptype == "bimonthly":
        return f"{y}{(mo + 1) // 2:02d}B"
    if ptype == "quarterly":
        return f"{y}Q{(mo - 1) // 3 + 1}"
    if ptype == "sixmonthly":
        return f"{y}S{1 if mo <= 6 else 2}"
    if ptype == "yearly":
        return str(y)
    if ptype.startswith("financial_"):
        name = {"april": "April", "july": "July", "oct": "Oct"}[ptype.split("_", 1)[1]]
        start = _FIN_START[name]
        return f"{y if mo >= start else y - 1}{name}"
    raise InputError(f"unknown period type '{ptype}'; use one of {', '.join(PERIOD_TYPES)}",
                     field="period_type")


_ORDER = {t: i for i, t in enumerate(PERIOD_TYPES)}


def convert_period(pe: str, target: str) -> str:
    """The period of type ``target`` that contains ``pe`` (a roll-up, e.g. 202402 -> 2024Q1).

    A week belongs to the period holding its Thursday (the ISO-8601 rule for week years);
    any other period must lie wholly inside one target period, else InputError.
    """
    p = parse_period(pe)
    if p.type == target:
        return pe
    if p.type == "weekly":
        return period_of(p.start + timedelta(days=3), target)
    out = period_of(p.start, target)
    if period_of(p.end, target) != out:
        raise InputError(f"period {pe} ({p.type}) does not fit inside one {target} period",
                         field="period")
    return out


def periods_between(start: str, end: str) -> list[str]:
    """All periods of the type of ``start`` from ``start`` to ``end`` inclusive."""
    p0, p1 = parse_period(start), parse_period(end)
    if p0.type != p1.type:
        raise InputError(f"{start} and {end} are not the same period type", field="period")
    out = []
    d = p0.start
    while d <= p1.start:
        pid = period_of(d, p0.type)
        out.append(pid)
        d = parse_period(pid).end + timedelta(days=1)
    return out


def sub_periods(pe: str, ptype: str = "monthly") -> list[str]:
    """The periods of type ``ptype`` inside ``pe`` (e.g. 2024Q1 -> 202401, 202402, 202403)."""
    p = parse_period(pe)
    first = parse_period(period_of(p.start, ptype))
    last = parse_period(period_of(p.end, ptype))
    return periods_between(first.id, last.id)
