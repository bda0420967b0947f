"""DHIS2 ISO periods: parsing every type and rolling up between types."""

from __future__ import annotations

from datetime import date

import pytest

from mmsis.data.dhis2.periods import (
    convert_period,
    is_valid_period,
    parse_period,
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
])
def test_parse(pe: str, ptype: str, start: date, end: date) -> None:
    p = parse_period(pe)
    assert (p.type, p.start, p.end) == (ptype, start, end)


@pytest.mark.parametrize("bad", ["202413", "2024Q5", "2024S3", "20240230", "2021W53", "24Q1",
                                 "2024M1", "", "2024Apr"])
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
