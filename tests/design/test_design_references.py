"""Every design case in tests/data/cases.json (swCRTdesign, Woertman, CRTSize, clusterPower)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmsis.design import crt_clusters, crt_power, stepped_wedge_power, woertman

CASES = json.loads((Path(__file__).resolve().parents[1] / "data" / "cases.json").read_text())


@pytest.mark.parametrize("case", CASES["stepped_wedge"]["cases"], ids=lambda c: c["id"])
def test_stepped_wedge_matches_swcrtdesign(case: dict) -> None:
    kw = dict(sequences=case["clusters_per_sequence"], n=case["n"], alpha=case["alpha"],
              extra_treated_periods=case["extra_treated_periods"])
    if case["outcome"] == "binomial":
        kw.update(p0=case["p0"], p1=case["p1"])
    else:
        kw.update(mu0=case["mu0"], mu1=case["mu1"], sigma=case["sigma"])
    kw.update(tau=case["tau"]) if "tau" in case else kw.update(icc=case["icc"])
    res = stepped_wedge_power(**kw)
    # swPwr prints 10 significant digits
    assert res.power == pytest.approx(case["power"], rel=1e-9, abs=5e-11)
    if "var_theta" in case:
        assert res.var_theta == pytest.approx(case["var_theta"], rel=1e-8)
    # the general GLS path gives the same variance as the closed form
    kw.pop("icc", None)
    kw["tau"] = res.tau
    gls = stepped_wedge_power(**kw, gamma=1e-300)
    assert not gls.closed_form
    assert gls.var_theta == pytest.approx(res.var_theta, rel=1e-9)


@pytest.mark.parametrize("case", CASES["woertman_design_effect"]["cases"], ids=lambda c: c["id"])
def test_woertman_matches_published(case: dict) -> None:
    res = woertman(case["n"], case["k"], case["t"], case["b"], case["rho"])
    assert res.cf == pytest.approx(case["cf"], rel=1e-9)
    assert round(res.cf, 3) == case["printed"]
    assert res.design_effect == pytest.approx(res.cf * (case["b"] + case["k"] * case["t"]))


@pytest.mark.parametrize("case", CASES["cluster_rct"]["cases"], ids=lambda c: c["id"])
def test_cluster_rct_matches_crtsize_and_clusterpower(case: dict) -> None:
    if case["outcome"] == "proportion":
        res = crt_clusters("proportion", pe=case["pe"], pc=case["pc"], m=case["m"],
                           icc=case["icc"], alpha=case["alpha"], power=case["power"])
        assert res.clusters_per_arm_raw == pytest.approx(case["clusters_per_arm_raw"], abs=1e-4)
        assert res.clusters_per_arm == case["clusters_per_arm"]
    else:
        res = crt_power("mean", case["clusters_per_arm"], m=case["m"],
                        difference=case["difference"], total_variance=case["total_variance"],
                        icc=case["icc"], alpha=case["alpha"])
        assert res.power == pytest.approx(case["power"], abs=5e-7)  # printed to 6 decimals
