"""Demographic need on hand-checkable scenarios: steady state, a step in uptake, ramps."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from mmsis.forecast.engine import run_forecast
from mmsis.forecast.need import demographic_need
from mmsis.forecast.scenario import scenario_from_dict


def test_steady_state_need(base: dict[str, Any]) -> None:
    # 1,200 pregnancies/year = 100 a month, all on MMS from month 0, one bottle of 180 each.
    need = demographic_need(scenario_from_dict(base))
    assert np.allclose(need.mms_enrolled, 100.0)
    assert np.allclose(need.mms_tablets, 18000.0)
    # Women enrolled on IFA before the switch finish their 6-month course.
    assert np.allclose(need.ifa_tablets[0, :6], [15000, 12000, 9000, 6000, 3000, 0])
    months = run_forecast(scenario_from_dict(base)).months
    assert months["mms_packs_needed"].tolist() == [100.0] * 12


def test_ifa_steady_state_before_switch_counts_ongoing_courses(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["rollout"] = {"districts": []}
    need = demographic_need(scenario_from_dict(sc))
    # IFA dispensed 30 a month over 6 months to 6 overlapping cohorts of 100 women.
    assert np.allclose(need.ifa_tablets, 18000.0)
    assert np.allclose(need.mms_tablets, 0.0)


def test_step_in_uptake(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["rollout"] = {"start": "2025-04", "ramp_months": 1, "uptake": 1.0}
    need = demographic_need(scenario_from_dict(sc))
    assert need.mms_tablets[0].tolist() == [0.0] * 3 + [18000.0] * 9
    # IFA tails off over 6 months as cohorts enrolled before April finish their course.
    ifa = need.ifa_tablets[0]
    assert np.allclose(ifa[:3], 18000.0)
    assert np.allclose(ifa[3:9], [15000, 12000, 9000, 6000, 3000, 0])
    assert np.allclose(ifa[9:], 0.0)


def test_linear_ramp_and_dispensed_share_wastage(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["rollout"] = {"start": "2025-01", "ramp_months": 4, "uptake": 0.8}
    sc["regimen"].update(adherence=0.5, dispensed_share=0.6, wastage=0.1)
    need = demographic_need(scenario_from_dict(sc))
    share = need.mms_share[0, :6]
    assert np.allclose(share, [0.2, 0.4, 0.6, 0.8, 0.8, 0.8])
    # supply follows the tablets dispensed (60% of the regimen), whatever is then taken
    assert need.mms_tablets[0, 5] == pytest.approx(100 * 0.8 * 180 * 0.6 * 1.1)


def test_adherence_does_not_change_supply(base: dict[str, Any]) -> None:
    low = copy.deepcopy(base)
    low["regimen"].update(adherence=0.3)
    assert np.allclose(demographic_need(scenario_from_dict(low)).mms_tablets,
                       demographic_need(scenario_from_dict(base)).mms_tablets)


def test_population_method(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["geography"] = {"level": "district", "districts": [
        {"id": "A", "population": 10000}, {"id": "B", "population": 20000, "anc1_coverage": 0.5}]}
    sc["pregnancies"] = {"method": "population", "crude_birth_rate": 0.04,
                         "pregnancy_loss_adjustment": 1.1}
    need = demographic_need(scenario_from_dict(sc))
    assert need.pregnancies[:, 0] == pytest.approx([10000 * 0.04 * 1.1 / 12,
                                                    20000 * 0.04 * 1.1 / 12])
    assert need.enrolled[1, 0] == pytest.approx(20000 * 0.04 * 1.1 / 12 * 0.5)


def test_small_packs_spread_dispensing(base: dict[str, Any]) -> None:
    sc = copy.deepcopy(base)
    sc["mms"]["pack_size"] = 60
    sc["rollout"] = {"start": "2025-02", "ramp_months": 1, "uptake": 1.0}
    need = demographic_need(scenario_from_dict(sc))
    # Three bottles of 60, one a month: 6000, 12000, then 18000 a month.
    assert need.mms_tablets[0, :5].tolist() == [0.0, 6000.0, 12000.0, 18000.0, 18000.0]
