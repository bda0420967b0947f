"""National calendars of DHIS2 instances: Ethiopian and Nepali periods <-> Gregorian months.

A DHIS2 instance says its calendar in `/api/system/info` (`calendar`: `iso8601`, `ethiopian`,
`nepali`, ...); its period ids then count in that calendar: Ethiopian `201601` is Meskerem of
2016 E.C., Nepali `207901` is Baishakh of 2079 B.S. mmsis analyses Gregorian months, so a value
of a national-calendar period is **apportioned by days** to the Gregorian months it overlaps
(a month's count is spread evenly over its days; the value of each day is added to the
Gregorian month it falls in). On push the rule runs the other way: a Gregorian month's value
goes to the national-calendar periods in proportion to the days they share.

Dates are converted with well-kept libraries: `convertdate`'s Coptic calendar for the
Ethiopian one (same months and days, Ethiopian year = Coptic year + 276) and
`nepali-datetime` (its Bikram Sambat month-length table) for the Nepali one.

DHIS2's Ethiopian calendar (dhis2-core `EthiopianCalendar`) has 12 months of 30 days: the five
or six days of Pagume (the 13th month) belong to no monthly period, and quarterly and yearly
periods are made of those 12 months. mmsis follows it: Pagume days receive no value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from mmsis.errors import InputError

CALENDARS = ("iso8601", "gregorian", "ethiopian", "nepali")
"""Calendars mmsis reads. `iso8601` and `gregorian` need no conversion."""
ETHIOPIAN_MONTHS = ("Meskerem", "Tikimt", "Hidar", "Tahsas", "Tir", "Yekatit", "Megabit",
                    "Miyazya", "Ginbot", "Sene", "Hamle", "Nehase")
ETHIOPIAN_COPTIC_OFFSET = 276


def calendar_of(system_info: Mapping[str, Any]) -> str:
    """The calendar named by a DHIS2 `/api/system/info` answer (`iso8601` when absent)."""
    name = str(system_info.get("calendar") or "iso8601").strip().lower()
    if name not in CALENDARS:
        raise InputError(f"the DHIS2 instance uses the {name!r} calendar, which mmsis does not "
                         f"read yet (it reads {', '.join(CALENDARS)})", field="calendar")
    return name


def _ethiopian_day(year: int, month: int, day: int) -> dt.date:
    from convertdate import coptic

    y, m, d = coptic.to_gregorian(year - ETHIOPIAN_COPTIC_OFFSET, month, day)
    return dt.date(y, m, d)


def _ethiopian_from(day: dt.date) -> tuple[int, int, int]:
    from convertdate import coptic

    y, m, d = coptic.from_gregorian(day.year, day.month, day.day)
    return y + ETHIOPIAN_COPTIC_OFFSET, m, d


def _nepali_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    import nepali_datetime as nd

    try:
        first = nd.date(year, month, 1).to_datetime_date()
        nxt = nd.date(year + (month == 12), month % 12 + 1, 1).to_datetime_date()
    except (ValueError, OverflowError) as exc:
        raise InputError(f"{year}-{month:02d} B.S. is outside the Nepali calendar's table "
                         f"({exc})", field="period") from None
    return first, nxt - dt.timedelta(days=1)


def _month_span(calendar: str, year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of one month of the national calendar."""
    if not 1 <= month <= 12:
        raise InputError(f"month {month} of a DHIS2 {calendar} period must be 1-12",
                         field="period")
    if calendar == "ethiopian":
        return _ethiopian_day(year, month, 1), _ethiopian_day(year, month, 30)
    if calendar == "nepali":
        return _nepali_month(year, month)
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _months_of(period: str) -> tuple[int, list[int]]:
    """Year and months (1-12) of a monthly, bi-monthly, quarterly, six-monthly or yearly id."""
    p = period.strip()
    try:
        year = int(p[:4])
        if len(p) == 4:
            return year, list(range(1, 13))
        if len(p) == 6 and p[4:].isdigit():
            return year, [int(p[4:])]
        if p[4] == "Q":
            q = int(p[5:])
            if 1 <= q <= 4:
                return year, [3 * q - 2, 3 * q - 1, 3 * q]
        if p[4] == "S":
            s = int(p[5:])
            if s in (1, 2):
                return year, list(range(6 * s - 5, 6 * s + 1))
        if p.endswith("B") and len(p) == 7:
            b = int(p[4:6])
            if 1 <= b <= 6:
                return year, [2 * b - 1, 2 * b]
    except (ValueError, IndexError):
        pass
    raise InputError(f"period {period!r} is not a monthly, bi-monthly, quarterly, six-monthly "
                     "or yearly DHIS2 period id", field="period")


@cache
def gregorian_shares(calendar: str, period: str) -> tuple[tuple[str, float], ...]:
    """The Gregorian months (YYYYMM) a national-calendar period overlaps, each with its share
    of the period's days (shares sum to 1)."""
    cal = calendar_of({"calendar": calendar})
    year, months = _months_of(period)
    days: dict[str, int] = {}
    total = 0
    for m in months:
        start, end = _month_span(cal, year, m)
        day = start
        while day <= end:
            key = f"{day.year}{day.month:02d}"
            days[key] = days.get(key, 0) + 1
            total += 1
            day += dt.timedelta(days=1)
    return tuple((k, n / total) for k, n in sorted(days.items()))


def national_shares(calendar: str, yyyymm: str) -> tuple[tuple[str, float], ...]:
    """The national-calendar months a Gregorian month overlaps, each with the share of the
    Gregorian month's days in it (Ethiopian Pagume days are in none, so shares may sum < 1)."""
    cal = calendar_of({"calendar": calendar})
    year, month = int(yyyymm[:4]), int(yyyymm[4:6])
    start, end = _month_span("iso8601", year, month)
    n_days = (end - start).days + 1
    counts: dict[str, int] = {}
    day = start
    while day <= end:
        key = _national_month_of(cal, day)
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
        day += dt.timedelta(days=1)
    return tuple((k, n / n_days) for k, n in sorted(counts.items()))


def _national_month_of(calendar: str, day: dt.date) -> str | None:
    """The DHIS2 monthly period id holding a Gregorian day (None for Ethiopian Pagume)."""
    if calendar == "ethiopian":
        y, m, _ = _ethiopian_from(day)
        return None if m == 13 else f"{y}{m:02d}"
    if calendar == "nepali":
        import nepali_datetime as nd

        bs = nd.date.from_datetime_date(day)
        return f"{bs.year}{bs.month:02d}"
    return f"{day.year}{day.month:02d}"


def _spread(frame: pd.DataFrame, shares: Any, period: str, value: str) -> pd.DataFrame:
    """Each row's value split over the periods `shares(pe)` gives, summed per key."""
    keys = [c for c in frame.columns if c not in (period, value)]
    rows = [{period: pe, "_to": to, "_share": share}
            for pe in frame[period].astype(str).unique() for to, share in shares(pe)]
    spread = frame.merge(pd.DataFrame(rows), on=period)
    spread[value] = pd.to_numeric(spread[value]) * spread["_share"]
    out = spread.groupby([*keys, "_to"], as_index=False, dropna=False)[value].sum()
    return out.rename(columns={"_to": period})[[*keys, period, value]]


def to_gregorian_months(frame: pd.DataFrame, calendar: str, period: str = "period",
                        value: str = "value") -> pd.DataFrame:
    """Data values in a national calendar as Gregorian monthly values, apportioned by days.

    Every other column is a key kept as it is; values of one key that land in the same
    Gregorian month are summed. An `iso8601`/`gregorian` frame comes back unchanged.
    """
    cal = calendar_of({"calendar": calendar})
    if cal in ("iso8601", "gregorian") or frame.empty:
        return frame
    return _spread(frame, lambda pe: gregorian_shares(cal, pe), period, value)


def from_gregorian_months(frame: pd.DataFrame, calendar: str, period: str = "period",
                          value: str = "value") -> pd.DataFrame:
    """Gregorian monthly values as the instance's national-calendar monthly periods (for push),
    each Gregorian month's value split by the days it shares with each national month."""
    cal = calendar_of({"calendar": calendar})
    if cal in ("iso8601", "gregorian") or frame.empty:
        return frame
    return _spread(frame, lambda pe: national_shares(cal, pe), period, value)


def month_label(calendar: str, period: str) -> str:
    """A person's name for a national-calendar month with its Gregorian dates."""
    year, months = _months_of(period)
    start, _ = _month_span(calendar, year, months[0])
    _, end = _month_span(calendar, year, months[-1])
    if calendar == "ethiopian" and len(months) == 1:
        name = f"{ETHIOPIAN_MONTHS[months[0] - 1]} {year} E.C."
    elif calendar == "nepali" and len(months) == 1:
        import nepali_datetime as nd

        name = f"{nd.date(year, months[0], 1).strftime('%B')} {year} B.S."
    else:
        name = period
    return f"{name} ({start:%d %b %Y} - {end:%d %b %Y})"
