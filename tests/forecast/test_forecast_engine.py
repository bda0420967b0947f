"""End-to-end forecast: orders, IFA phase-down, expiry risk, budget arithmetic."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.forecast.consumption import read_history
from mmsis.forecast.engine import run_forecast
from mmsis.forecast.scenario import scenario_from_dict


def test_budget_is_orders_times_landed_price_plus_programme(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["inventory"]["opening_stock"] = {"mms": 18000 * 6}
    sc["programme_costs"] = [
        {"phase": "pilot", "category": "training", "year": 2025, "amount": 1000},
        {"phase": "scale", "category": "sbc", "start": "2025-07", "end": "2026-06",
         "amount": 1200}]
    sc["horizon_months"] = 24
    r = run_forecast(scenario_from_dict(sc))
    b = r.budget.set_index("year")
    mms_orders = r.orders[r.orders["product"] == "mms"]
    y25 = mms_orders[mms_orders["order_month"].str.startswith("2025")]["tablets"].sum()
    assert b.loc[2025, "mms_product"] == pytest.approx(y25 * 0.02)
    assert b.loc[2025, "mms_total"] == pytest.approx(y25 * 0.02 * 1.15)
    assert b.loc[2025, "programme_training"] == 1000
    assert b.loc[2025, "programme_sbc"] == pytest.approx(600)
    assert b.loc[2026, "programme_sbc"] == pytest.approx(600)
    assert b["total"].sum() == pytest.approx(r.orders["cost"].sum() + 2200)
    prog = r.programme
    assert prog is not None
    assert prog.set_index(["year", "phase"])["amount"].to_dict() == pytest.approx(
        {(2025, "pilot"): 1000, (2025, "scale"): 600, (2026, "scale"): 600})
    # steady demand 18,000 a month with 6 months opening: stock stays within min and max.
    m = r.months
    assert (m["mms_shortage_tablets"] == 0).all()
    assert m["mms_months_of_stock"].min() >= 3 - 1e-9
    assert m["mms_months_of_stock"].max() <= 6 + 1e-9


def test_ifa_not_reordered_after_switch_and_expiry_flagged(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["rollout"] = {"start": "2025-07", "ramp_months": 1, "uptake": 1.0}
    sc["inventory"]["opening_stock"] = {"mms": 18000 * 6,
                                        "ifa": [{"tablets": 200000, "expires": "2026-06"}]}
    r = run_forecast(scenario_from_dict(sc))
    ifa_orders = r.orders[r.orders["product"] == "ifa"]
    assert ifa_orders.empty  # opening IFA covers the phase-down; nothing re-ordered
    # IFA need: 6 months x 18,000 + tail 15+12+9+6+3 thousand = 153,000 used of 200,000.
    e = r.expiry[r.expiry["product"] == "ifa"].iloc[0]
    assert e["consumed"] == pytest.approx(153000)
    assert e["expired_after_horizon"] == pytest.approx(47000)
    assert r.months["ifa_shortage_tablets"].sum() == pytest.approx(0)


def test_district_inventory_has_district_rows(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["geography"] = {"level": "district", "districts": [
        {"id": "A", "pregnancies": 1200, "opening_mms": 108000},
        {"id": "B", "pregnancies": 600, "opening_mms": 54000}]}
    sc["rollout"] = {"ramp_months": 1, "districts": [{"district": "A", "start": "2025-01"},
                                   {"district": "B", "start": "2025-01"}]}
    sc["inventory"]["level"] = "district"
    r = run_forecast(scenario_from_dict(sc))
    assert set(r.months["district"]) == {"A", "B"}
    b = r.months[r.months["district"] == "B"]
    assert b["mms_tablets_needed"].tolist() == [9000.0] * 12
    assert (r.months["mms_shortage_tablets"] == 0).all()
    d = r.to_dict()
    assert {"months", "orders", "budget"} <= set(d)
    assert isinstance(d["months"], pd.DataFrame)


def test_consumption_method_compared(base: dict[str, Any]) -> None:
    hist = pd.DataFrame({"period": [f"2024{m:02d}" for m in range(7, 13)],
                         "mms_tablets_dispensed": [12000.0] * 6,
                         "mms_days_stocked_out": [0, 0, 0, 0, 0, 10],
                         "mms_stock_on_hand": [30000.0] * 6})
    r = run_forecast(scenario_from_dict(base), history=hist)
    c = r.consumption
    assert c is not None
    row = c[c["product"] == "mms"].iloc[0]
    assert row["consumption_monthly"] == pytest.approx((12000 * 5 + 12000 * 30 / 20) / 6)
    assert row["demographic_monthly"] == pytest.approx(18000)
    assert row["months_of_stock"] == pytest.approx(30000 / row["consumption_monthly"])


def test_consumption_is_scaled_up_for_facilities_that_did_not_report(
        base: dict[str, Any]) -> None:
    from mmsis.forecast.consumption import history_from_data_values

    ous = pd.DataFrame({"id": ["N", "F1", "F2", "F3", "F4"], "parent_id": [None, "N"] + ["N"] * 3,
                        "opening_date": [None, "2020-01-01", "2020-01-01", "2020-01-01",
                                         "2024-12-01"]})
    rows = []
    for m in range(7, 13):
        reporters = ["F1"] if m == 12 else ["F1", "F2"]  # December: 1 of 4 open facilities
        rows += [{"dataElement": "MMS_TABLETS_DISPENSED", "period": f"2024{m:02d}",
                  "orgUnit": f, "value": "6000"} for f in reporters]
    hist = history_from_data_values(pd.DataFrame(rows), ous)
    assert hist["facilities_reporting"].tolist() == [2] * 5 + [1]
    assert hist["facilities_expected"].tolist() == [3] * 5 + [4]  # F4 opens in December
    hist = hist.assign(district=None).drop(columns=["district"])
    r = run_forecast(scenario_from_dict(base), history=hist)
    assert r.consumption is not None
    row = r.consumption[r.consumption["product"] == "mms"].iloc[0]
    # July-November: 12,000 reported by 2 of 3 facilities -> 18,000; December (1 of 4) left out
    assert row["consumption_monthly"] == pytest.approx(18000)
    assert row["reporting_rate"] == pytest.approx(11 / 19)


def test_district_opening_stock_is_summed_at_national_level(base: dict[str, Any]) -> None:
    # 1,800 pregnancies a year -> 27,000 MMS tablets a month; district columns give the stock
    sc = copy.deepcopy(base)
    sc["geography"] = {"level": "district", "districts": [
        {"id": "A", "pregnancies": 1200, "opening_mms": 108000},
        {"id": "B", "pregnancies": 600, "opening_mms": 54000}]}
    sc["rollout"] = {"ramp_months": 1, "districts": [{"district": "A", "start": "2025-01"},
                                   {"district": "B", "start": "2025-01"}]}
    r = run_forecast(scenario_from_dict(sc))
    assert r.months["mms_order_packs"].iloc[0] == 0  # six months in hand: no first order
    assert r.months["mms_stock_end_tablets"].iloc[0] == pytest.approx(162000 - 27000)
    opening = r.expiry[(r.expiry["product"] == "mms") & (r.expiry["received"] == "opening")]
    assert opening["tablets"].tolist() == [162000.0]
    assert opening["expires"].tolist() == ["2027-07"]  # start + 30 months shelf life


def test_negative_consumption_counts_are_refused(tmp_path: Path, base: dict[str, Any]) -> None:
    (tmp_path / "h.csv").write_text("period,mms_tablets_dispensed,mms_days_stocked_out\n"
                                    "202411,12000,0\n202412,12000,-3\n")
    with pytest.raises(InputError) as exc:
        read_history(tmp_path / "h.csv")
    assert (exc.value.file, exc.value.row, exc.value.column) == (
        str(tmp_path / "h.csv"), 2, "mms_days_stocked_out")
    hist = pd.DataFrame({"period": ["202411", "202412"], "mms_tablets_dispensed": [-5.0, 1.0]})
    with pytest.raises(InputError, match="count >= 0") as exc:
        run_forecast(scenario_from_dict(base), history=hist)
    assert (exc.value.row, exc.value.column) == (1, "mms_tablets_dispensed")
