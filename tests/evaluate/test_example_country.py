"""Recover the example country's true ANC1 rate ratio after MMS introduction (ITS and DiD)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmsis.evaluate.did import fit_did
from mmsis.evaluate.its import ITSResult, fit_its
from mmsis.evaluate.panels import aggregate_districts, country_panel


@pytest.fixture(scope="module")
def panel(example_country) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return country_panel(example_country)


def _anc1_its(series: pd.DataFrame) -> ITSResult:
    """ANC1 ITS: quasi-Poisson on expected pregnancies, completeness in the offset."""
    return fit_its(
        series,
        "value",
        "period",
        "mms",
        offset="expected_pregnancies",
        family="quasipoisson",
        harmonics=1,
        completeness="population_completeness",
        missing="offset",
    )


def test_panel_sums_facilities_and_measures_completeness(example_country, panel) -> None:  # type: ignore[no-untyped-def]
    c = example_country
    assert len(panel) == 24 * 48
    one = panel.iloc[100]
    fac = c.org_units[c.org_units["parent_id"] == one["district_id"]]["id"]
    dv = c.data_values
    sel = (
        (dv["dataElement"] == "ANC1")
        & (dv["period"] == str(one["period"]))
        & dv["orgUnit"].isin(fac)
    )
    assert one["value"] == pd.to_numeric(dv.loc[sel, "value"]).sum()
    rep = c.reports[(c.reports["period"] == str(one["period"])) & c.reports["orgUnit"].isin(fac)]
    assert one["completeness"] == pytest.approx(rep["received"].sum() / rep["expected"].sum())
    start = c.rollout.set_index("district_id").loc[one["district_id"], "mms_start"]
    assert one["mms"] == int(one["period"] >= int(start))


def test_its_per_pilot_district_recovers_true_rr(example_country, panel) -> None:  # type: ignore[no-untyped-def]
    true_rr = example_country.truth["anc1_rr_mms"]
    pilots = example_country.rollout.loc[example_country.rollout["pilot"], "district_id"]
    rrs = []
    for d in pilots:
        r = _anc1_its(panel[panel["district_id"] == d])
        lc = r.level_change
        assert lc["ci_low"] < true_rr < lc["ci_high"], (d, lc)
        rrs.append(lc["rr"])
    assert np.exp(np.mean(np.log(rrs))) == pytest.approx(true_rr, abs=0.04)
    pooled = _anc1_its(aggregate_districts(panel, list(pilots)))
    assert pooled.level_change["ci_low"] < true_rr < pooled.level_change["ci_high"]


def test_did_over_districts_recovers_true_rr(example_country, panel) -> None:  # type: ignore[no-untyped-def]
    true_rr = example_country.truth["anc1_rr_mms"]
    rate = panel.assign(
        rate=panel["value"] / (panel["expected_pregnancies"] * panel["population_completeness"])
    )
    r = fit_did(rate, "rate", "district_id", "period", "mms_start", log_outcome=True)
    for eff in (r.robust, r.twfe):
        assert eff["rr_ci_low"] < true_rr < eff["rr_ci_high"]
    assert r.robust["rr"] == pytest.approx(true_rr, abs=0.02)
    assert r.n_units == 24
    pre = r.event_study[(r.event_study["estimator"] == "did2s") & (r.event_study["rel_time"] < -1)]
    assert (pre["estimate"].abs() < 0.05).all()  # no pre-trends in the generator


def test_run_demo_writes_plots_and_recovers(example_country, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mmsis.demos.steps.evaluate import run_demo

    out = run_demo(tmp_path, example_country)
    assert out["recovered"] is True
    assert out["true_anc1_rr"] == example_country.truth["anc1_rr_mms"]
    low, high = out["cits_ci"]  # the pilot against the last wave's districts as control
    assert low < out["true_anc1_rr"] < high
    for name in ("evaluate/its_anc1_pilot.png", "evaluate/event_study_anc1.png",
                 "evaluate/cits_anc1_pilot.png"):
        assert (tmp_path / name).stat().st_size > 1000
