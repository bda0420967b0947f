"""The central estimate equals the closed-form formulas exactly (rel 1e-9)."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from mmsis.forecast._evidence import evidence
from mmsis.forecast.scenario import scenario_from_dict
from mmsis.impact.engine import run_impact

REL = 1e-9


def _rr(i: str) -> float:
    return evidence().effect(i).rr


def test_central_counts_match_formula(scen: dict[str, Any]) -> None:
    r = run_impact(scenario_from_dict(scen), draws=200, seed=1)
    births = 1200.0
    assert r.measure("births_covered")["central"] == pytest.approx(births, rel=REL)
    for measure, rate, eid in [("lbw_averted", 0.15, "lbw"), ("preterm_averted", 0.12, "preterm"),
                               ("sga_averted", 0.25, "sga"),
                               ("stillbirths_averted", 0.02, "stillbirth")]:
        want = births * rate * (1 - _rr(eid))
        assert r.measure(measure)["central"] == pytest.approx(want, rel=REL), measure


def test_neonatal_deaths_birth_outcome_pathway(scen: dict[str, Any]) -> None:
    r = run_impact(scenario_from_dict(scen), draws=200, seed=1)
    mp = evidence().multiplier("preterm").rr - 1
    ms = evidence().multiplier("sga").rr - 1
    r0 = 0.025 / (1 + 0.12 * mp + 0.25 * ms)
    pt = 1200 * 0.12 * (1 - _rr("preterm"))
    sg = 1200 * 0.25 * (1 - _rr("sga"))
    deaths = r0 * (mp * pt + ms * sg)
    assert r.measure("neonatal_deaths_averted")["central"] == pytest.approx(deaths, rel=REL)
    # DALYs: deaths x continuously discounted life expectancy (one programme year: no
    # between-year discount), 88.87 years at 3%.
    yll = (1 - math.exp(-0.03 * 88.87)) / 0.03
    assert r.measure("dalys_averted")["central"] == pytest.approx(deaths * yll, rel=REL)
    # incremental cost: 1,200 x 180 x (0.02 - 0.005) x 1.2 with no programme costs
    cost = 1200 * 180 * 0.015 * 1.2
    assert r.measure("incremental_cost")["central"] == pytest.approx(cost, rel=REL)
    assert r.measure("cost_per_daly")["central"] == pytest.approx(cost / (deaths * yll),
                                                                  rel=REL)


def test_direct_pathway_with_female_subgroup(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["impact"].update(neonatal_pathway="direct", subgroups={"female_share": 0.488})
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    red = 0.488 * (1 - _rr("neonatal_mortality_female")) + 0.512 * (
        1 - _rr("neonatal_mortality"))
    assert r.measure("neonatal_deaths_averted")["central"] == pytest.approx(
        1200 * 0.025 * red, rel=REL)


def test_anaemic_subgroup_lbw(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["impact"]["subgroups"] = {"anaemic_share": 0.4}
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    red = 0.4 * (1 - _rr("lbw_anaemic")) + 0.6 * (1 - _rr("lbw"))
    assert r.measure("lbw_averted")["central"] == pytest.approx(1200 * 0.15 * red, rel=REL)


def test_programme_costs_and_discounting_by_year(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["horizon_months"] = 24
    s["programme_costs"] = [{"category": "training", "year": 2026, "amount": 10000}]
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    product_y1 = 1200 * 180 * 0.015 * 1.2
    cost = product_y1 + (product_y1 + 10000) / 1.03
    assert r.measure("incremental_cost")["central"] == pytest.approx(cost, rel=REL)
    assert r.measure("lbw_averted")["central"] == pytest.approx(
        2400 * 0.15 * (1 - _rr("lbw")), rel=REL)


def test_district_baselines_override(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["geography"] = {"level": "district", "districts": [
        {"id": "A", "pregnancies": 1200, "baseline_lbw": 0.30},
        {"id": "B", "pregnancies": 1200}]}
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    want = 1200 * (0.30 + 0.15) * (1 - _rr("lbw"))
    assert r.measure("lbw_averted")["central"] == pytest.approx(want, rel=REL)
    bd = r.by_district.set_index("district")
    assert bd.loc["A", "lbw_averted"] == pytest.approx(2 * bd.loc["B", "lbw_averted"], rel=REL)


def test_benefit_cost_ratio_and_anchors(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["impact"]["value_per_daly"] = 1000.0
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    dalys = r.measure("dalys_averted")["central"]
    cost = r.measure("incremental_cost")["central"]
    assert r.measure("benefit_cost_ratio")["central"] == pytest.approx(dalys * 1000 / cost,
                                                                       rel=REL)
    a = r.anchors.set_index("source")
    assert a.loc["mmsis", "cost_per_daly"] == pytest.approx(cost / dalys, rel=REL)
    kashi = r.anchors[r.anchors["study"].str.contains("Pakistan")].iloc[0]
    assert kashi["cost_per_daly"] == 41.54 and kashi["dalys_averted_per_100k_pregnancies"] == 4391
