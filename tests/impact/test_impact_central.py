"""The central estimate equals the closed-form formulas exactly (rel 1e-9)."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from mmsis.errors import InputError
from mmsis.forecast.evidence import evidence
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


def _mix(p: float, s: float) -> float:
    """Katz 2013 categories, preterm and SGA independent: mean RR vs term-AGA."""
    m = {k: evidence().multiplier(k).rr for k in ("preterm", "sga", "preterm_sga")}
    return ((1 - p) * (1 - s) + m["preterm"] * p * (1 - s) + m["sga"] * (1 - p) * s
            + m["preterm_sga"] * p * s)


def test_neonatal_deaths_birth_outcome_pathway(scen: dict[str, Any]) -> None:
    r = run_impact(scenario_from_dict(scen), draws=200, seed=1)
    p1 = 0.12 * _rr("preterm")
    s1 = 0.25 * _rr("sga")
    deaths = 1200 * 0.025 * (1 - _mix(p1, s1) / _mix(0.12, 0.25))
    assert r.measure("neonatal_deaths_averted")["central"] == pytest.approx(deaths, rel=REL)
    # the preterm and SGA pathways split the deaths (Shapley: mean of both orders)
    d_pt = 0.5 * ((_mix(0.12, 0.25) - _mix(p1, 0.25)) + (_mix(0.12, s1) - _mix(p1, s1)))
    assert r.measure("neonatal_deaths_preterm")["central"] == pytest.approx(
        1200 * 0.025 * d_pt / _mix(0.12, 0.25), rel=REL)
    assert (r.measure("neonatal_deaths_preterm")["central"]
            + r.measure("neonatal_deaths_sga")["central"]) == pytest.approx(deaths, rel=REL)
    # DALYs: deaths x continuously discounted life expectancy (one programme year: no
    # between-year discount), 88.87 years at 3%.
    yll = (1 - math.exp(-0.03 * 88.87)) / 0.03
    assert r.measure("dalys_averted")["central"] == pytest.approx(deaths * yll, rel=REL)
    # incremental cost: 1,200 x 180 x (0.02 - 0.005) x 1.2 with no programme costs
    cost = 1200 * 180 * 0.015 * 1.2
    assert r.measure("incremental_cost")["central"] == pytest.approx(cost, rel=REL)
    assert r.measure("cost_per_daly")["central"] == pytest.approx(cost / (deaths * yll),
                                                                  rel=REL)


def test_direct_pathway_with_both_sexes(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["impact"].update(neonatal_pathway="direct", subgroups={"female_share": 0.488})
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    # girls 0.85, boys 1.06 (Smith 2017): boys' deaths rise, not held at the pooled 1.00
    assert _rr("neonatal_mortality_male") == 1.06
    red = 0.488 * (1 - _rr("neonatal_mortality_female")) + 0.512 * (
        1 - _rr("neonatal_mortality_male"))
    assert r.measure("neonatal_deaths_averted")["central"] == pytest.approx(
        1200 * 0.025 * red, rel=REL)
    assert r.measure("neonatal_deaths_direct")["central"] == pytest.approx(
        1200 * 0.025 * red, rel=REL)
    tor = r.tornado.set_index("parameter")
    assert {"rr.neonatal_mortality_female", "rr.neonatal_mortality_male"} <= set(tor.index)
    assert "rr.neonatal_mortality" not in tor.index


def test_anaemic_subgroup_lbw_and_sga(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["impact"]["subgroups"] = {"anaemic_share": 0.4}
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    red = 0.4 * (1 - _rr("lbw_anaemic")) + 0.6 * (1 - _rr("lbw"))
    assert r.measure("lbw_averted")["central"] == pytest.approx(1200 * 0.15 * red, rel=REL)
    red_s = 0.4 * (1 - _rr("sga_anaemic")) + 0.6 * (1 - _rr("sga"))
    assert r.measure("sga_averted")["central"] == pytest.approx(1200 * 0.25 * red_s, rel=REL)


def _g(a: float) -> float:
    """Smith 2025 dose-response written out: (0,0)-(0.6, 9/56)-(0.9, 1), 1 above."""
    rho = 9 / 56
    if a >= 0.9:
        return 1.0
    if a >= 0.6:
        return rho + (1 - rho) * (a - 0.6) / 0.3
    return rho * a / 0.6


@pytest.mark.parametrize("adherence", [1.0, 0.95, 0.75, 0.6, 0.3])
def test_adherence_scales_every_effect_not_the_cost(scen: dict[str, Any],
                                                    adherence: float) -> None:
    s = copy.deepcopy(scen)
    s["regimen"]["adherence"] = adherence
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    g = _g(adherence)
    for measure, rate, eid in [("lbw_averted", 0.15, "lbw"), ("preterm_averted", 0.12,
                                                               "preterm"),
                               ("sga_averted", 0.25, "sga"),
                               ("stillbirths_averted", 0.02, "stillbirth")]:
        assert r.measure(measure)["central"] == pytest.approx(
            1200 * rate * g * (1 - _rr(eid)), rel=REL), measure
    # cost follows the tablets dispensed (the full regimen by default), not those taken
    assert r.measure("incremental_cost")["central"] == pytest.approx(
        1200 * 180 * 0.015 * 1.2, rel=REL)
    assert r.measure("adherence_effect_share")["central"] == pytest.approx(g, rel=REL)


def test_cost_per_daly_rises_as_adherence_falls(scen: dict[str, Any]) -> None:
    out = []
    for a in (1.0, 0.6, 0.3):
        s = copy.deepcopy(scen)
        s["regimen"]["adherence"] = a
        out.append(run_impact(scenario_from_dict(s), draws=200, seed=1).measure(
            "cost_per_daly")["central"])
    assert out[0] < out[1] < out[2]


def test_adherence_survey_distribution(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["regimen"]["adherence_shares"] = {"ge_90": 0.5, "from_60_to_90": 0.3, "below_60": 0.2}
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    rho = 9 / 56
    g = 0.5 + 0.3 * (1 + rho) / 2 + 0.2 * rho
    assert r.measure("lbw_averted")["central"] == pytest.approx(
        1200 * 0.15 * g * (1 - _rr("lbw")), rel=REL)
    assert "dr.md_low" in set(r.tornado["parameter"])
    s["regimen"]["adherence_shares"] = {"ge_90": 0.5, "from_60_to_90": 0.3, "below_60": 0.3}
    with pytest.raises(InputError, match="add up to 1"):
        scenario_from_dict(s)


def test_dispensed_share_drives_cost(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["regimen"].update(adherence=0.5, dispensed_share=0.5)
    r = run_impact(scenario_from_dict(s), draws=200, seed=1)
    assert r.measure("incremental_cost")["central"] == pytest.approx(
        1200 * 90 * 0.015 * 1.2, rel=REL)
    s["regimen"].update(adherence=0.8, dispensed_share=0.5)
    with pytest.raises(InputError, match="exceeds dispensed_share"):
        scenario_from_dict(s)


def test_pathways_move_dalys_when_on(scen: dict[str, Any]) -> None:
    base = run_impact(scenario_from_dict(scen), draws=200, seed=1)
    yll = (1 - math.exp(-0.03 * 88.87)) / 0.03
    s = copy.deepcopy(scen)
    s["impact"]["daly"] = {"include_stillbirths": True}
    sb = run_impact(scenario_from_dict(s), draws=200, seed=1)
    assert sb.measure("dalys_averted")["central"] == pytest.approx(
        base.measure("dalys_averted")["central"]
        + sb.measure("stillbirths_averted")["central"] * yll, rel=REL)
    s = copy.deepcopy(scen)
    s["impact"]["daly"] = {"yld_per_lbw_birth": 0.5}
    lbw = run_impact(scenario_from_dict(s), draws=200, seed=1)
    assert lbw.measure("dalys_lbw")["central"] == pytest.approx(
        0.5 * lbw.measure("lbw_averted")["central"], rel=REL)
    assert lbw.measure("dalys_averted")["central"] > base.measure("dalys_averted")["central"]
    paths = lbw.pathways.set_index("pathway")
    assert paths.loc["lbw", "on"] and not paths.loc["stillbirth", "on"]
    assert paths["dalys_central"].sum() == pytest.approx(
        lbw.measure("dalys_averted")["central"], rel=REL)
    tor = lbw.tornado.set_index("parameter")
    assert tor.loc["pathway:lbw", "output_low"] > tor.loc["pathway:lbw", "output_high"]


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
    assert "J Nutr 149(7):1222-1229" in kashi["study"]
    assert kashi["cost_per_daly"] == 41.54 and kashi["dalys_averted_per_100k_pregnancies"] == 4391
