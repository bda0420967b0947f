"""DHIS2 ISO periods: parse, validate, and convert between period types.

Formats (DHIS2 Web API, "Date and period format"): daily ``20240115``, weekly ``2024W3``
(ISO weeks, Monday start), weeks starting Wednesday/Thursday/Saturday/Sunday ``2024WedW1``,
``2024ThuW1``, ``2024SatW1``, ``2024SunW1`` (week 1 is the first with 4 days in the year, as
ISO), bi-weekly ``2024BiW1`` (ISO weeks 1-2), monthly ``202401``, bi-monthly ``202401B``,
quarterly ``2024Q1``, six-monthly ``2024S1``, six-monthly April ``2024AprilS1`` (Apr-Sep
2024) and November ``2024NovS1`` (Nov 2023-Apr 2024), yearly ``2024``, financial years
``2024April``, ``2024July``, ``2024Oct`` (named by the year they start in) and ``2024Nov``
(Nov 2023-Oct 2024: DHIS2 names it by the year it ends in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from mmsis.errors import InputError

PERIOD_TYPES = (
    "daily", "weekly", "weekly_wednesday", "weekly_thursday", "weekly_saturday",
    "weekly_sunday", "biweekly", "monthly", "bimonthly", "quarterly", "sixmonthly",
    "sixmonthly_april", "sixmonthly_nov", "yearly", "financial_april", "financial_july",
    "financial_oct", "financial_nov",
)
# financial years: start month, and the offset from the year named to the year they start in
_FIN_START = {"April": 4, "July": 7, "Oct": 10, "Nov": 11}
_FIN_OFFSET = {"April": 0, "July": 0, "Oct": 0, "Nov": -1}
_WEEK_DAY = {"Wed": 2, "Thu": 3, "Sat": 5, "Sun": 6}  # date.weekday() of the first day
_WEEK_TYPE = {"weekly_wednesday": "Wed", "weekly_thursday": "Thu", "weekly_saturday": "Sat",
              "weekly_sunday": "Sun"}
_RE = re.compile(
    r"^(?:(?P<day>\d{8})|(?P<wy>\d{4})W(?P<w>\d{1,2})"
    r"|(?P<xy>\d{4})(?P<xd>Wed|Thu|Sat|Sun)W(?P<xw>\d{1,2})|(?P<by>\d{4})BiW(?P<bw>\d{1,2})"
    r"|(?P<my>\d{4})(?P<m>\d{2})(?P<b>B)?"
    r"|(?P<qy>\d{4})Q(?P<q>\d)|(?P<sy>\d{4})S(?P<s>\d)|(?P<ay>\d{4})(?P<am>April|Nov)S(?P<an>\d)"
    r"|(?P<y>\d{4})|(?P<fy>\d{4})(?P<fin>April|July|Oct|Nov))$"
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
        if self.type in ("daily", "biweekly") or self.type.startswith("weekly"):
            return ((self.end - self.start).days + 1) / 30.4375
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _week1_start(year: int, weekday: int) -> date:
    """First day of week 1 of ``year`` for weeks starting on ``weekday``: the week with at
    least 4 days in the year (java.time WeekFields(start, 4), as DHIS2), i.e. the start day
    falling between 29 December and 4 January."""
    dec29 = date(year - 1, 12, 29)
    return dec29 + timedelta(days=(weekday - dec29.weekday()) % 7)


def _week_of(d: date, weekday: int) -> tuple[int, int]:
    """(week-year, week number) of date ``d`` for weeks starting on ``weekday``."""
    start = d - timedelta(days=(d.weekday() - weekday) % 7)
    year = (start + timedelta(days=3)).year
    return year, (start - _week1_start(year, weekday)).days // 7 + 1


def _six_month(year: int, half: int, first_month: int) -> tuple[date, date]:
    """Start and end of a half year starting in ``first_month`` of ``year`` (+6 for half 2)."""
    m0 = first_month + 6 * (half - 1)
    y0, m0 = year + (m0 - 1) // 12, (m0 - 1) % 12 + 1
    m1 = m0 + 5
    y1, m1 = y0 + (m1 - 1) // 12, (m1 - 1) % 12 + 1
    return date(y0, m0, 1), _month_end(y1, m1)


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
        if g["xy"]:
            y, n, wd = int(g["xy"]), int(g["xw"]), _WEEK_DAY[g["xd"]]
            w1 = _week1_start(y, wd)
            if not 1 <= n <= (_week1_start(y + 1, wd) - w1).days // 7:
                raise ValueError(f"week {n} does not exist in {y}")
            start = w1 + timedelta(weeks=n - 1)
            ptype = next(k for k, v in _WEEK_TYPE.items() if v == g["xd"])
            return Period(pe, ptype, start, start + timedelta(days=6))
        if g["by"]:
            y, n = int(g["by"]), int(g["bw"])
            if n < 1:
                raise ValueError("bi-week must be >= 1")
            start = date.fromisocalendar(y, 2 * n - 1, 1)
            return Period(pe, "biweekly", start, start + timedelta(days=13))
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
        if g["ay"]:
            y, s = int(g["ay"]), int(g["an"])
            if s not in (1, 2):
                raise ValueError("half must be 1 or 2")
            # AprilS1 = Apr-Sep of the year named; NovS1 = Nov of the year before - Apr
            fy, fm = (y, 4) if g["am"] == "April" else (y - 1, 11)
            start, end = _six_month(fy, s, fm)
            return Period(pe, f"sixmonthly_{g['am'].lower()}", start, end)
        if g["y"]:
            y = int(g["y"])
            return Period(pe, "yearly", date(y, 1, 1), date(y, 12, 31))
        name = g["fin"]
        y, start_month = int(g["fy"]) + _FIN_OFFSET[name], _FIN_START[name]
        end = _month_end(y + 1, start_month - 1)
        return Period(pe, f"financial_{name.lower()}", date(y, start_month, 1), end)
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
    if ptype in _WEEK_TYPE:
        wy, wn = _week_of(d, _WEEK_DAY[_WEEK_TYPE[ptype]])
        return f"{wy}{_WEEK_TYPE[ptype]}W{wn}"
    if ptype == "biweekly":
        iy, iw, _ = d.isocalendar()
        return f"{iy}BiW{(iw + 1) // 2}"
    if ptype == "monthly":
        return f"{y}{mo:02d}"
    if ptype == "bimonthly":
        return f"{y}{(mo + 1) // 2:02d}B"
    if ptype == "quarterly":
        return f"{y}Q{(mo - 1) // 3 + 1}"
    if ptype == "sixmonthly":
        return f"{y}S{1 if mo <= 6 else 2}"
    if ptype == "sixmonthly_april":
        return f"{y}AprilS1" if 4 <= mo <= 9 else f"{y if mo >= 10 else y - 1}AprilS2"
    if ptype == "sixmonthly_nov":
        return f"{y}NovS2" if 5 <= mo <= 10 else f"{y + 1 if mo >= 11 else y}NovS1"
    if ptype == "yearly":
        return str(y)
    if ptype.startswith("financial_"):
        name = {"april": "April", "july": "July", "oct": "Oct", "nov": "Nov"}.get(
            ptype.split("_", 1)[1], "")
        if name:
            start = _FIN_START[name]
            return f"{(y if mo >= start else y - 1) - _FIN_OFFSET[name]}{name}"
    raise InputError(f"unknown period type '{ptype}'; use one of {', '.join(PERIOD_TYPES)}",
                     field="period_type")


_ORDER = {t: i for i, t in enumerate(PERIOD_TYPES)}


def convert_period(pe: str, target: str) -> str:
    """The period of type ``target`` that contains ``pe`` (a roll-up, e.g. 202402 -> 2024Q1).

    A week (of any start day) belongs to the period holding its 4th day, where most of its
    days are (for Monday weeks its Thursday, the ISO-8601 rule for week years); a bi-week
    follows its first week. Any other period must lie wholly inside one target period, else
    InputError.
    """
    p = parse_period(pe)
    if p.type == target:
        return pe
    if p.type.startswith("weekly") or p.type == "biweekly":
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
