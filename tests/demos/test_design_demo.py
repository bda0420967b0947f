"""The worked stepped-wedge example on the example country, and its baseline estimate."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from mmsis.demos.steps.design import baseline_adherence, run_demo
from mmsis.design import stepped_wedge_power


def test_baseline_adherence_on_a_small_survey() -> None:
    rows = []
    # district A: 2 of 4 adherent; district B: 1 of 4; an MMS user and a don't-know are excluded
    for d, consumed in (("A", [200, 180, 10, 0]), ("B", [190, 5, 0, 100])):
        for c in consumed:
            rows.append({"district_id": d, "m45": 1, "s_supp_type": 1, "s_tabs_consumed": c,
                         "v005": 1_000_000})
    rows.append({"district_id": "A", "m45": 1, "s_supp_type": 2, "s_tabs_consumed": 200,
                 "v005": 1_000_000})
    rows.append({"district_id": "B", "m45": 1, "s_supp_type": 1, "s_tabs_consumed": 998,
                 "v005": 1_000_000})
    p0, tau, n = baseline_adherence(pd.DataFrame(rows))
    assert p0 == pytest.approx(3 / 8)
    assert n == 8
    between = pd.Series([0.5, 0.25]).var(ddof=1) - (0.25 / 4 + 0.1875 / 4) / 2
    assert tau == pytest.approx(math.sqrt(max(0.0, between)))


def test_run_demo_on_example_country(tmp_path, example_country) -> None:
    out = run_demo(tmp_path, example_country)
    assert out["districts"] == len(example_country.rollout)
    summary = json.loads((tmp_path / "design_summary.json").read_text())
    again = stepped_wedge_power(sequences=summary["sequences"],
                                n=summary["women_per_district_period"],
                                p0=summary["p0_adherence_180"],
                                p1=summary["p1_target"], tau=summary["tau_between_district"])
    assert out["power_closed_form"] == pytest.approx(again.power, rel=1e-12)
    assert abs(out["power_simulated"] - again.power) < 0.1
    layout = pd.read_csv(tmp_path / "design_layout.csv")
    assert layout.groupby("sequence").size().tolist() == summary["sequences"]
    assert (tmp_path / "design_power_curve.png").stat().st_size > 1000
