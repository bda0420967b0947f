"""National calendars: Ethiopian and Nepali DHIS2 periods against known dates, apportioning by
days (totals kept), the push direction, and a pull from an Ethiopian-calendar instance."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_dhis2.loopback_dhis2 import TOKEN, value_of
from mmsis.data.dhis2 import calendars as cal
from mmsis.data.dhis2.client import Dhis2, pull
from mmsis.data.store import Store
from mmsis.errors import InputError

# Known pairs from calendars published for those years (not from the converters themselves):
# Enkutatash (1 Meskerem) 2016 E.C. = 12 Sep 2023; Genna (28 Tahsas 2016, the year after an
# Ethiopian leap year) = 7 Jan 2024; Ethiopia's reporting month 7/21-8/20/2016 E.C. = 30 Mar -
# 28 Apr 2024; Nepali new year (1 Baishakh) 2079 B.S. = 14 Apr 2022 and 2081 B.S. = 13 Apr 2024.
ETHIOPIAN = [((2016, 1, 1), dt.date(2023, 9, 12)), ((2015, 1, 1), dt.date(2022, 9, 11)),
             ((2016, 4, 28), dt.date(2024, 1, 7)), ((2016, 7, 21), dt.date(2024, 3, 30)),
             ((2016, 8, 20), dt.date(2024, 4, 28))]
NEPALI = [((2079, 1), dt.date(2022, 4, 14)), ((2081, 1), dt.date(2024, 4, 13))]


@pytest.mark.parametrize(("ethiopian", "gregorian"), ETHIOPIAN)
def test_ethiopian_dates(ethiopian: tuple[int, int, int], gregorian: dt.date) -> None:
    assert cal._ethiopian_day(*ethiopian) == gregorian
    assert cal._ethiopian_from(gregorian) == ethiopian


@pytest.mark.parametrize(("nepali", "gregorian"), NEPALI)
def test_nepali_new_year(nepali: tuple[int, int], gregorian: dt.date) -> None:
    assert cal._nepali_month(*nepali)[0] == gregorian


def test_meskerem_2016_is_split_by_its_days() -> None:
    # 12 Sep - 11 Oct 2023: 19 days in September, 11 in October
    assert cal.gregorian_shares("ethiopian", "201601") == (("202309", 19 / 30),
                                                           ("202310", 11 / 30))
    quarter = dict(cal.gregorian_shares("ethiopian", "2016Q1"))
    assert sum(quarter.values()) == pytest.approx(1.0) and set(quarter) == {
        "202309", "202310", "202311", "202312"}
    year = dict(cal.gregorian_shares("nepali", "2080"))
    assert sum(year.values()) == pytest.approx(1.0) and min(year) == "202304"


def test_apportioning_keeps_totals_and_keys() -> None:
    frame = pd.DataFrame({"dataElement": ["A", "A", "B"], "orgUnit": ["F1", "F1", "F1"],
                          "period": ["201601", "201602", "201601"], "value": [300, 60, 30]})
    out = cal.to_gregorian_months(frame, "ethiopian")
    assert out["value"].sum() == pytest.approx(390)
    a = out[out.dataElement == "A"].set_index("period")["value"]
    # Tikimt 2016 = 12 Oct - 10 Nov 2023: October gets 20 of its 30 days
    assert a["202309"] == pytest.approx(190) and a["202310"] == pytest.approx(110 + 40)
    assert a["202311"] == pytest.approx(20)
    assert cal.to_gregorian_months(frame, "iso8601") is frame


def test_push_direction_leaves_pagume_out() -> None:
    # September 2023: 1-5 Nehase 2015 (5 days), Pagume 2015 (6-11 Sep, leap: 6 days), then
    # 1-19 Meskerem 2016 (19 days)
    shares = dict(cal.national_shares("ethiopian", "202309"))
    assert shares == pytest.approx({"201512": 5 / 30, "201601": 19 / 30})
    back = cal.from_gregorian_months(pd.DataFrame({"period": ["202309"], "value": [30.0]}),
                                     "ethiopian")
    assert back.set_index("period")["value"].to_dict() == pytest.approx(
        {"201512": 5.0, "201601": 19.0})


def test_unknown_calendars_and_periods_are_refused() -> None:
    with pytest.raises(InputError, match="persian"):
        cal.calendar_of({"calendar": "persian"})
    assert cal.calendar_of({}) == "iso8601"
    with pytest.raises(InputError, match="not a monthly"):
        cal.gregorian_shares("ethiopian", "2016W05")
    with pytest.raises(InputError, match="1-12"):
        cal.gregorian_shares("ethiopian", "201613")


def test_pull_from_an_ethiopian_instance_gives_gregorian_months(dhis2_server) -> None:
    url, state = dhis2_server
    state.calendar = "ethiopian"
    with Store(":memory:") as st:
        pull(Dhis2(url, token=TOKEN, backoff=0.001), st, data_elements=["ANC1"],
             periods=["201601", "201602"])
        df = st.data_values()
    f21 = df[df.org_unit == "F21"].set_index("period")["value"]
    want = value_of("ANC1", "201601", "F21") + value_of("ANC1", "201602", "F21")
    assert f21.sum() == pytest.approx(want)
    assert set(f21.index) == {"202309", "202310", "202311"}
    assert f21["202309"] == pytest.approx(value_of("ANC1", "201601", "F21") * 19 / 30)
