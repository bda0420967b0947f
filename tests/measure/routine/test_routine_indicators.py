"""Routine indicators on hand-computed small cases: roll-ups, LAST stock rule, coverage with
population denominators, year-to-date, financial years, stock-outs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine import compute_indicators
from mmsis.measure.routine.definitions import Definitions, RoutineIndicator, load_definitions
from mmsis.measure.routine.expressions import Expression

MONTHS = [f"2024{m:02d}" for m in range(1, 7)]
ANC1 = {"F1": [10, 20, 30, 40, 50, 60], "F2": [1, 2, 3, 4, 5, 6]}
SOH = {"F1": [100, 90, 80, 70, 60, None], "F2": [5, 4, 3, 2, 1, 0]}


@pytest.fixture()
def store() -> Store:
    st = Store(":memory:")
    ous = pd.DataFrame({"id": ["R", "D1", "F1", "F2"], "name": ["Root", "Dist", "Fac1", "Fac2"],
                        "level": [1, 2, 3, 3], "parent_id": [None, "R", "D1", "D1"],
                        "path": ["/R", "/R/D1", "/R/D1/F1", "/R/D1/F2"],
                        "population": [3000, 3000, 1000, 2000]})
    des = pd.DataFrame({"id": ["ANC1", "MMS_STOCK_ON_HAND", "MMS_CLIENTS"],
                        "aggregation_type": ["SUM", "LAST", "SUM"]})
    assert st.import_metadata({"org_units": ous, "data_elements": des}).ok
    rows = []
    for fac in ("F1", "F2"):
        for i, pe in enumerate(MONTHS):
            rows.append(("ANC1", pe, fac, ANC1[fac][i]))
            if SOH[fac][i] is not None:
                rows.append(("MMS_STOCK_ON_HAND", pe, fac, SOH[fac][i]))
    df = pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit", "value"])
    assert st.import_data_values(df).ok
    st.set_constants({"crude_birth_rate": 0.04, "pregnancy_loss_adjustment": 1.1})
    return st


@pytest.fixture()
def defs(tmp_path: Path) -> Path:
    p = tmp_path / "defs.yaml"
    p.write_text("""
constants: {k: {value: 2, source: test}}
indicators:
  - {id: anc1_total, name: ANC1, numerator: "#{ANC1}", denominator: "1"}
  - {id: soh, name: Stock, numerator: "#{MMS_STOCK_ON_HAND}", denominator: "1"}
  - {id: scaled, name: Scaled, numerator: "#{ANC1} * C{k}", denominator: "#{ANC1.HllvX50cXC0}",
     factor: 100}
""")
    return p


def _val(df: pd.DataFrame, ind: str, ou: str, pe: str) -> float:
    sub = df[(df.indicator == ind) & (df.org_unit == ou) & (df.period == pe)]
    assert len(sub) == 1, (ind, ou, pe)
    return float(sub["value"].iloc[0])


def test_sum_rolls_up_months_quarters_years(store: Store, defs: Path) -> None:
    q = compute_indicators(store, ["anc1_total"], level=2, period_type="quarterly",
                           definitions=defs)
    assert _val(q, "anc1_total", "D1", "2024Q1") == 66
    assert _val(q, "anc1_total", "D1", "2024Q2") == 165
    y = compute_indicators(store, ["anc1_total"], level=1, period_type="yearly",
                           definitions=defs)
    assert _val(y, "anc1_total", "R", "2024") == 231
    m = compute_indicators(store, ["anc1_total"], level=3, period_type="monthly",
                           definitions=defs)
    assert _val(m, "anc1_total", "F1", "202405") == 50
    assert set(m.columns) == {"org_unit", "org_unit_name", "period", "indicator", "numerator",
                              "denominator", "value"}


def test_an_element_without_any_value_is_unknown_not_zero(store: Store, tmp_path: Path
                                                         ) -> None:
    """MMS_CLIENTS is defined but holds no value (a concept not mapped or not pulled): a share
    over it is missing, not 100% (ANC1 / (ANC1 + 0)); the stock's one missing month, with
    other months present, still counts as zero."""
    p = tmp_path / "share.yaml"
    p.write_text("""
indicators:
  - {id: share, name: Share, numerator: "#{ANC1}", denominator: "#{ANC1} + #{MMS_CLIENTS}"}
  - {id: both, name: Both, numerator: "#{ANC1} + #{MMS_STOCK_ON_HAND}", denominator: "1"}
""")
    m = compute_indicators(store, ["share", "both"], level=3, period_type="monthly",
                           definitions=p)
    assert np.isnan(_val(m, "share", "F1", "202401"))
    assert _val(m, "both", "F1", "202406") == 60  # ANC1 60 + the missing stock as 0


def test_financial_year_roll_up(store: Store, defs: Path) -> None:
    fy = compute_indicators(store, ["anc1_total"], level=2, period_type="financial_april",
                            definitions=defs)
    assert _val(fy, "anc1_total", "D1", "2023April") == 66  # Jan-Mar 2024
    assert _val(fy, "anc1_total", "D1", "2024April") == 165  # Apr-Jun 2024


def test_stock_on_hand_takes_the_last_value(store: Store, defs: Path) -> None:
    q = compute_indicators(store, ["soh"], level=2, period_type="quarterly", definitions=defs)
    assert _val(q, "soh", "D1", "2024Q1") == 80 + 3  # March values, not the quarter's sum
    # F1 did not report June: its latest value in the quarter (May, 60) counts; F2 has 0
    assert _val(q, "soh", "D1", "2024Q2") == 60 + 0


def test_constants_and_operands(store: Store, defs: Path) -> None:
    q = compute_indicators(store, ["scaled"], level=3, period_type="quarterly",
                           definitions=defs)
    assert _val(q, "scaled", "F1", "2024Q1") == pytest.approx(200.0)


def test_coverage_uses_expected_pregnancies_and_annualizes(store: Store) -> None:
    q = compute_indicators(store, ["anc1_coverage"], level=2, period_type="quarterly")
    row = q[(q.org_unit == "D1") & (q.period == "2024Q1")].iloc[0]
    assert row["numerator"] == 66
    assert row["denominator"] == pytest.approx(3000 * 0.04 * 1.1)
    # DHIS2's annualization factor is 365 / days in the period: 2024Q1 has 91 days
    assert row["value"] == pytest.approx(66 / 132 * 100 * 365 / 91, rel=1e-12)


def test_year_to_date(store: Store, defs: Path) -> None:
    m = compute_indicators(store, ["anc1_total"], level=2, period_type="monthly",
                           definitions=defs, ytd=True)
    assert _val(m, "anc1_total", "D1", "202402") == 10 + 20 + 1 + 2
    q = compute_indicators(store, ["anc1_coverage"], level=2, period_type="quarterly", ytd=True)
    # Jan-Jun cumulative over the 182 days of 1 Jan - 30 Jun 2024 (365 / days, as DHIS2)
    assert _val(q, "anc1_coverage", "D1", "2024Q2") == pytest.approx(
        231 / 132 * 100 * 365 / 182, rel=1e-12)


def test_stockout_rate_counts_facility_months_with_zero_stock(store: Store) -> None:
    q = compute_indicators(store, ["stockout_rate"], level=2, period_type="quarterly")
    row = q[(q.period == "2024Q2")].iloc[0]
    # reporting facility-months in Q2: F1 Apr, May; F2 Apr, May, Jun; zero stock: F2 June
    assert (row["numerator"], row["denominator"]) == (1, 5)
    assert row["value"] == pytest.approx(20.0)


def test_expression_language() -> None:
    e = Expression("if(#{A} > 2 && !isNull(#{B}), #{A} ^ 2, -1) + C{k} % 2")
    env = {"_d_A": np.array([1.0, 3.0, 3.0]), "_d_B": np.array([1.0, 1.0, np.nan]),
           "_c_k": 3.0}
    np.testing.assert_allclose(e.evaluate(env), [0.0, 10.0, 0.0])
    with pytest.raises(InputError):
        Expression("__import__('os')")
    with pytest.raises(InputError):
        Expression("#{A} +")


@pytest.mark.parametrize(("text", "expected"), [
    # DHIS2's grammar: '!' binds like unary minus, tighter than '+' and comparisons
    ("!#{A} + 1", [1.0, 1.0, 2.0, np.nan]),
    ("!#{A} == 0", [1.0, 1.0, 0.0, np.nan]),
    # no chained comparisons: relational before equality, left to right
    ("#{A} < #{B} == 1", [1.0, 1.0, 0.0, np.nan]),
    ("#{A} > 0 != #{B} > 2", [1.0, 1.0, 0.0, np.nan]),
    # '%' is Java's remainder (sign of the dividend); '^' is right-associative above unary '-'
    ("#{A} % 3", [1.0, -1.0, 0.0, np.nan]),
    ("-2 ^ 2 + 2 ^ 3 ^ 2 + 0 * #{A}", [508.0, 508.0, 508.0, np.nan]),
])
def test_expression_precedence_follows_dhis2(text: str, expected: list[float]) -> None:
    """Values worked by hand with DHIS2's operator precedence (expression grammar)."""
    env = {"_d_A": np.array([1.0, -7.0, 0.0, np.nan]), "_d_B": np.array([2.0, 3.0, 0.0, 4.0])}
    np.testing.assert_allclose(Expression(text).evaluate(env), expected)


def test_shipped_definitions_load_with_framework_ids() -> None:
    ids = {i.id for i in load_definitions().indicators}
    assert {"anc1_coverage", "anc4_coverage", "mms_share_of_anc1", "mms_tablets_per_client",
            "pregnancies_reaching_180", "ifa_to_mms_transition_share", "months_of_stock",
            "stockout_rate", "stock_between_min_max", "reporting_completeness",
            "reporting_timeliness"} <= ids


def test_unknown_indicator_and_level(store: Store) -> None:
    with pytest.raises(InputError, match="unknown indicator"):
        compute_indicators(store, ["nope"])
    with pytest.raises(InputError, match="level"):
        compute_indicators(store, ["anc1_coverage"], level=9)


def test_empty_store_is_a_clear_error() -> None:
    from mmsis.measure.routine import quality_review

    with Store(":memory:") as st:
        with pytest.raises(InputError, match="store is empty"):
            compute_indicators(st)
        with pytest.raises(InputError, match="store is empty"):
            quality_review(st)


def test_population_falls_back_to_the_sum_of_leaf_populations() -> None:
    """Units without a population use the sum of the leaves below them (not their own)."""
    st = Store(":memory:")
    ous = pd.DataFrame({"id": ["R", "D1", "D2", "F1", "F2", "F3"],
                        "level": [1, 2, 2, 3, 3, 3],
                        "parent_id": [None, "R", "R", "D1", "D1", "D2"],
                        "path": ["/R", "/R/D1", "/R/D2", "/R/D1/F1", "/R/D1/F2", "/R/D2/F3"],
                        "population": [None, None, 500, 1000, 2000, 4000]})
    des = pd.DataFrame({"id": ["ANC1"], "aggregation_type": ["SUM"]})
    assert st.import_metadata({"org_units": ous, "data_elements": des}).ok
    rows = [("ANC1", "2024", f, 10) for f in ("F1", "F2", "F3")]
    assert st.import_data_values(pd.DataFrame(rows, columns=["dataElement", "period",
                                                             "orgUnit", "value"])).ok
    st.set_constants({"crude_birth_rate": 0.1, "pregnancy_loss_adjustment": 1.0})
    for level, expect in ((1, {"R": 30 / 700}), (2, {"D1": 20 / 300, "D2": 10 / 50})):
        df = compute_indicators(st, ["anc1_coverage"], level=level, period_type="yearly")
        got = dict(zip(df.org_unit, df.value, strict=True))
        # 2024 is a leap year: DHIS2's annualization factor 365 / 366 applies
        assert got == pytest.approx({k: 100 * v * 365 / 366 for k, v in expect.items()})


def test_yearly_populations_replace_the_single_figure_for_their_years(
        store: Store, tmp_path: Path) -> None:
    """A growing population: 2024 uses its own figure; other years keep the org unit's one."""
    csv = tmp_path / "populations.csv"
    csv.write_text("orgUnit,year,population\nF1,2024,1250\nF2,2024,2750\nD1,2023,2000\n")
    rep = store.import_file(csv)
    assert rep.ok and rep.kind == "populations" and rep.imported == 3
    res = compute_indicators(store, ["anc1_coverage"], level=2, period_type="yearly")
    # D1 has no 2024 figure of its own: its facilities' 2024 figures are summed (4000)
    expected = 4000 * 0.04 * 1.1
    assert _val(res, "anc1_coverage", "D1", "2024") == pytest.approx(
        100 * (sum(ANC1["F1"]) + sum(ANC1["F2"])) / expected * 365 / 366)  # leap year
    fac = compute_indicators(store, ["anc1_coverage"], level=3, period_type="quarterly")
    assert _val(fac, "anc1_coverage", "F1", "2024Q1") == pytest.approx(
        100 * 60 * 365 / 91 / (1250 * 0.04 * 1.1))  # annualized: 365 / 91 days
    # re-importing updates instead of duplicating
    csv.write_text("orgUnit,year,population\nF1,2024,1500\n")
    again = store.import_file(csv)
    assert again.ok and again.updated == 1 and again.imported == 0
    fac = compute_indicators(store, ["anc1_coverage"], level=3, period_type="quarterly")
    assert _val(fac, "anc1_coverage", "F1", "2024Q1") == pytest.approx(
        100 * 60 * 365 / 91 / (1500 * 0.04 * 1.1))


def test_bad_population_file_is_refused_whole_with_rows_and_columns(
        store: Store, tmp_path: Path) -> None:
    csv = tmp_path / "populations.csv"
    csv.write_text("orgUnit,year,population\nF1,2024,1250\nNOPE,2024,10\nF2,24,10\n"
                   "F2,2024,-5\nF1,2024,1300\n")
    rep = store.import_file(csv)
    assert not rep.ok
    assert [(r.row, r.column) for r in rep.refusals] == [
        (2, "orgUnit"), (3, "year"), (4, "population"), (5, "key")]
    assert store.query("SELECT count(*) AS n FROM populations")["n"].iloc[0] == 0


def test_reporting_rate_items_and_days() -> None:
    """R{ds.REPORTING_RATE[_ON_TIME]} = 100 x received (on time) / expected after aggregation,
    and [days] = the days in the period, as DHIS2; counted by hand below."""
    st = Store(":memory:")
    ous = pd.DataFrame({"id": ["R", "F1", "F2"], "level": [1, 2, 2],
                        "parent_id": [None, "R", "R"], "path": ["/R", "/R/F1", "/R/F2"]})
    assert st.import_metadata({"org_units": ous, "data_elements": pd.DataFrame(
        {"id": ["A"], "aggregation_type": ["SUM"]})}).ok
    # F1 reports every month; F2 misses March, June, ...; on time in even months only
    rep = pd.DataFrame([("DS", f"2024{m:02d}", f, 1, int(m % 3 != 0 or f == "F1"),
                         int(m % 2 == 0)) for m in range(1, 13) for f in ("F1", "F2")],
                       columns=["dataSet", "period", "orgUnit", "expected", "received",
                                "on_time"])
    assert st.import_reports(rep).ok
    defs = Definitions(file="t", indicators=[
        RoutineIndicator(id="rr", name="rr", numerator="R{DS.REPORTING_RATE}"),
        RoutineIndicator(id="rrt", name="rrt", numerator="R{DS.REPORTING_RATE_ON_TIME}"),
        RoutineIndicator(id="days", name="days", numerator="[days]")])
    res = compute_indicators(st, level=1, period_type="quarterly", definitions=defs)
    assert _val(res, "rr", "R", "2024Q1") == pytest.approx(100 * 5 / 6)
    assert _val(res, "rrt", "R", "2024Q1") == pytest.approx(100 * 2 / 6)
    assert _val(res, "rrt", "R", "2024Q2") == pytest.approx(100 * 4 / 6)
    assert [_val(res, "days", "R", f"2024Q{q}") for q in (1, 2, 3, 4)] == [91, 91, 92, 92]
    with pytest.raises(InputError, match="REPORTING_RATE"):
        Expression("R{DS.RATE}")
