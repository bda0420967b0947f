"""DHIS2 ISO periods: parsing every type and rolling up between types."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from mmsis.data.dhis2.periods import (
    convert_period,
    is_valid_period,
    parse_period,
    period_of,
    periods_between,
    sub_periods,
)
from mmsis.errors import InputError


@pytest.mark.parametrize(("pe", "ptype", "start", "end"), [
    ("20240115", "daily", date(2024, 1, 15), date(2024, 1, 15)),
    ("2024W3", "weekly", date(2024, 1, 15), date(2024, 1, 21)),
    ("2020W53", "weekly", date(2020, 12, 28), date(2021, 1, 3)),
    ("202402", "monthly", date(2024, 2, 1), date(2024, 2, 29)),
    ("202402B", "bimonthly", date(2024, 3, 1), date(2024, 4, 30)),
    ("2024Q1", "quarterly", date(2024, 1, 1), date(2024, 3, 31)),
    ("2024S2", "sixmonthly", date(2024, 7, 1), date(2024, 12, 31)),
    ("2024", "yearly", date(2024, 1, 1), date(2024, 12, 31)),
    ("2024April", "financial_april", date(2024, 4, 1), date(2025, 3, 31)),
    ("2024July", "financial_july", date(2024, 7, 1), date(2025, 6, 30)),
    ("2024Oct", "financial_oct", date(2024, 10, 1), date(2025, 9, 30)),
    # DHIS2 names the November financial year (and six-month) by the year it ends in
    ("2024Nov", "financial_nov", date(2023, 11, 1), date(2024, 10, 31)),
    ("2024NovS1", "sixmonthly_nov", date(2023, 11, 1), date(2024, 4, 30)),
    ("2024NovS2", "sixmonthly_nov", date(2024, 5, 1), date(2024, 10, 31)),
    ("2024AprilS1", "sixmonthly_april", date(2024, 4, 1), date(2024, 9, 30)),
    ("2024AprilS2", "sixmonthly_april", date(2024, 10, 1), date(2025, 3, 31)),
    # week 1 = the first week (from its start day) with 4 days in the year; 1 Jan 2024 = Monday
    ("2024WedW1", "weekly_wednesday", date(2024, 1, 3), date(2024, 1, 9)),
    ("2024ThuW1", "weekly_thursday", date(2024, 1, 4), date(2024, 1, 10)),
    ("2024SatW1", "weekly_saturday", date(2023, 12, 30), date(2024, 1, 5)),
    ("2024SunW1", "weekly_sunday", date(2023, 12, 31), date(2024, 1, 6)),
    ("2024BiW1", "biweekly", date(2024, 1, 1), date(2024, 1, 14)),
    ("2020BiW27", "biweekly", date(2020, 12, 28), date(2021, 1, 10)),
])
def test_parse(pe: str, ptype: str, start: date, end: date) -> None:
    p = parse_period(pe)
    assert (p.type, p.start, p.end) == (ptype, start, end)


@pytest.mark.parametrize("bad", ["202413", "2024Q5", "2024S3", "20240230", "2021W53", "24Q1",
                                 "2024M1", "", "2024Apr", "202407B", "2024AprilS3",
                                 "2024WedW0", "2024FriW1", "2021BiW27", "2024BiW0"])
def test_invalid(bad: str) -> None:
    assert not is_valid_period(bad)
    with pytest.raises(InputError):
        parse_period(bad)


@pytest.mark.parametrize(("pe", "target", "expected"), [
    ("202402", "quarterly", "2024Q1"), ("202407", "sixmonthly", "2024S2"),
    ("2024Q3", "yearly", "2024"), ("202403", "financial_april", "2023April"),
    ("202404", "financial_april", "2024April"), ("202406", "financial_july", "2023July"),
    ("202410", "financial_oct", "2024Oct"), ("20240229", "monthly", "202402"),
    ("2024W1", "monthly", "202401"), ("2020W53", "yearly", "2020"),
    ("2024Q2", "financial_april", "2024April"),
    ("202311", "financial_nov", "2024Nov"), ("202410", "financial_nov", "2024Nov"),
    ("202411", "financial_nov", "2025Nov"), ("202401", "sixmonthly_april", "2023AprilS2"),
    ("2024Q3", "sixmonthly_april", "2024AprilS1"), ("202312", "sixmonthly_nov", "2024NovS1"),
    ("2024SunW1", "monthly", "202401"), ("2024SatW1", "yearly", "2024"),
    ("2024BiW1", "quarterly", "2024Q1"),
])
def test_convert(pe: str, target: str, expected: str) -> None:
    assert convert_period(pe, target) == expected


def test_convert_refuses_periods_that_straddle() -> None:
    with pytest.raises(InputError, match="does not fit"):
        convert_period("2024S1", "financial_april")


def test_ranges() -> None:
    assert periods_between("202311", "202402") == ["202311", "202312", "202401", "202402"]
    assert sub_periods("2024Q2") == ["202404", "202405", "202406"]
    assert len(sub_periods("2024July")) == 12
    assert parse_period("2024Q2").months == 3


@pytest.mark.parametrize(("prefix", "ptype", "weekday"), [
    ("", "weekly", 0), ("Wed", "weekly_wednesday", 2), ("Thu", "weekly_thursday", 3),
    ("Sat", "weekly_saturday", 5), ("Sun", "weekly_sunday", 6)])
def test_weeks_agree_with_a_brute_force_count(prefix: str, ptype: str, weekday: int) -> None:
    """Independent check, 2000-2030: every week starting on ``weekday`` belongs to the year
    holding most (4+) of its days and is numbered in order within it; its days map back to it,
    and it rolls up to the month holding most of its days."""
    start = date(1999, 1, 1) + timedelta(days=(weekday - date(1999, 1, 1).weekday()) % 7)
    numbers: Counter[int] = Counter()
    while start < date(2031, 1, 1):
        days = [start + timedelta(days=i) for i in range(7)]
        year = Counter(d.year for d in days).most_common(1)[0][0]
        numbers[year] += 1
        pe = f"{year}{prefix}W{numbers[year]}"
        if year >= 2000:
            p = parse_period(pe)
            assert (p.type, p.start, p.end) == (ptype, start, days[-1]), pe
            assert {period_of(d, ptype) for d in days} == {pe}
            month = Counter(f"{d.year}{d.month:02d}" for d in days).most_common(1)[0][0]
            assert convert_period(pe, "monthly") == month
        start += timedelta(days=7)
    for year in range(2000, 2030):
        assert numbers[year] in (52, 53)
        assert not is_valid_period(f"{year}{prefix}W{numbers[year] + 1}")
