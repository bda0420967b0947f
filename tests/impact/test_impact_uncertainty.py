"""Monte Carlo: log-normal effect sizes from CIs, user-marked inputs, tornado, reproducibility."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from mmsis.errors import InputError
from mmsis.forecast.evidence import evidence
from mmsis.forecast.scenario import scenario_from_dict
from mmsis.impact.engine import run_impact
from mmsis.impact.params import Z975, ParamSpec, draw_params


def test_lognormal_draws_reproduce_the_ci() -> None:
    e = evidence().effect("lbw")
    spec = ParamSpec("rr.lbw", e.rr, e.ci_low, e.ci_high, "lognormal_ci")
    x = draw_params([spec], 200_000, np.random.default_rng(0))["rr.lbw"][:, 0]
    lo, hi = np.quantile(x, [0.025, 0.975])
    se = (math.log(e.ci_high) - math.log(e.ci_low)) / (2 * Z975)
    assert np.log(x).std() == pytest.approx(se, rel=0.01)
    assert lo == pytest.approx(e.rr * math.exp(-Z975 * se), rel=0.005)
    assert hi == pytest.approx(e.rr * math.exp(Z975 * se), rel=0.005)


def test_ui_brackets_central_and_is_seeded(scen: dict[str, Any]) -> None:
    sc = scenario_from_dict(scen)
    a = run_impact(sc, draws=4000, seed=7)
    b = run_impact(sc, draws=4000, seed=7)
    c = run_impact(sc, draws=4000, seed=8)
    m = a.measure("lbw_averted")
    assert m["ui_low"] < m["central"] < m["ui_high"]
    assert m["mean"] == pytest.approx(m["central"], rel=0.02)
    assert a.measure("dalys_averted") == b.measure("dalys_averted")
    assert a.measure("dalys_averted") != c.measure("dalys_averted")


def test_lbw_ui_matches_analytic_interval(scen: dict[str, Any]) -> None:
    # LBW averted = B x rate x (1 - RR): its 95% UI is B x rate x (1 - RR quantiles).
    r = run_impact(scenario_from_dict(scen), draws=100_000, seed=3)
    e = evidence().effect("lbw")
    se = (math.log(e.ci_high) - math.log(e.ci_low)) / (2 * Z975)
    m = r.measure("lbw_averted")
    assert m["ui_low"] == pytest.approx(180 * (1 - e.rr * math.exp(Z975 * se)), rel=0.01)
    assert m["ui_high"] == pytest.approx(180 * (1 - e.rr * math.exp(-Z975 * se)), rel=0.01)


def test_user_marked_price_uncertainty_widens_cost(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["uncertain"] = {"mms.price_per_tablet": {"low": 0.01, "high": 0.03}}
    r = run_impact(scenario_from_dict(s), draws=20_000, seed=1)
    c = r.measure("incremental_cost")
    assert c["ui_low"] == pytest.approx(1200 * 180 * (0.0105 - 0.005) * 1.2, rel=0.02)
    assert c["ui_high"] == pytest.approx(1200 * 180 * (0.0295 - 0.005) * 1.2, rel=0.02)
    t = r.tornado.set_index("parameter")
    assert "mms.price_per_tablet" in t.index
    assert t.loc["mms.price_per_tablet", "output_low"] < t.loc["mms.price_per_tablet",
                                                               "output_high"]
    # with cost fixed, no cost uncertainty at all
    r0 = run_impact(scenario_from_dict(scen), draws=1000, seed=1)
    c0 = r0.measure("incremental_cost")
    assert c0["ui_low"] == pytest.approx(c0["ui_high"])


def test_tornado_orders_by_swing(scen: dict[str, Any]) -> None:
    t = run_impact(scenario_from_dict(scen), draws=500, seed=1).tornado
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    # tornado rows evaluate the model at each bound: preterm RR at its CI limits
    pt = t.set_index("parameter").loc["rr.preterm"]
    assert pt["low"] == evidence().effect("preterm").ci_low
    assert pt["output_low"] < pt["central"] < pt["output_high"]


def test_contract_fields(scen: dict[str, Any]) -> None:
    d = run_impact(scenario_from_dict(scen), draws=300, seed=1).to_dict()
    for k in ("lbw_averted", "preterm_averted", "sga_averted", "stillbirths_averted",
              "neonatal_deaths_averted", "dalys_averted", "incremental_cost", "cost_per_daly"):
        assert set(d[k]) == {"central", "mean", "ui_low", "ui_high"}


def test_adherence_dose_response_uncertainty(scen: dict[str, Any]) -> None:
    # at adherence 0.3 the effect share is 0.5 x md_low / md_high with md ~ normal from the
    # Smith 2025 CIs: compare with an independent simulation of that ratio
    s = copy.deepcopy(scen)
    s["regimen"]["adherence"] = 0.3
    r = run_impact(scenario_from_dict(s), draws=40_000, seed=5)
    g = r.draws["adherence_effect_share"]
    rng = np.random.default_rng(123)
    hi = rng.normal(56, (67 - 45) / (2 * Z975), 400_000)
    lo = rng.normal(9, (35 + 17) / (2 * Z975), 400_000)
    ref = 0.5 * lo / hi
    for q in (0.025, 0.5, 0.975):
        assert np.quantile(g, q) == pytest.approx(np.quantile(ref, q), abs=0.004)
    assert r.measure("adherence_effect_share")["central"] == pytest.approx(0.5 * 9 / 56)
    tor = r.tornado.set_index("parameter")
    assert tor.loc["dr.md_low", "low"] == -17 and tor.loc["dr.md_low", "high"] == 35
    # the lower end of the < 60% effect (harm) leaves no DALYs: cost per DALY infinite
    assert tor.loc["dr.md_low", "output_low"] == math.inf
    # at full adherence the dose-response does not vary
    full = run_impact(scenario_from_dict(scen), draws=500, seed=5)
    assert "dr.md_low" not in set(full.tornado["parameter"])
    assert np.all(full.draws["adherence_effect_share"] == 1.0)


def test_subgroup_shares_can_be_uncertain(scen: dict[str, Any]) -> None:
    s = copy.deepcopy(scen)
    s["impact"]["subgroups"] = {"anaemic_share": 0.4}
    s["uncertain"] = {"impact.subgroups.anaemic_share": {"low": 0.3, "high": 0.5}}
    r = run_impact(scenario_from_dict(s), draws=500, seed=1)
    row = r.tornado.set_index("parameter").loc["impact.subgroups.anaemic_share"]
    # more anaemic women, more SGA averted (Smith 2017), more deaths: cheaper DALYs
    assert row["output_high"] < row["central"] < row["output_low"]
    bad = copy.deepcopy(scen)
    bad["uncertain"] = {"impact.subgroups.female_share": {"low": 0.4, "high": 0.5}}
    with pytest.raises(InputError, match="subgroup is not used"):
        scenario_from_dict(bad)
