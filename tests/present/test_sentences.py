"""What each result means, in words generated from the result (with its caveats)."""

from __future__ import annotations

import re
from types import SimpleNamespace as NS

import pandas as pd

from mmsis.design.crt import crt_clusters
from mmsis.design.survey import survey_sample_size
from mmsis.present import sentences


def test_survey_sample_size_sentence_from_the_result() -> None:
    res = survey_sample_size(0.5, 0.05, icc=0.05, take=20)
    s = sentences.survey_sample_size(res)
    assert s.startswith("Interview 38 clusters of 20 women (760 in all)")
    assert "50% within +/-5 percentage points with 95% confidence" in s
    assert "design effect 1.95" in s
    plain = sentences.survey_sample_size(survey_sample_size(0.5, 0.05))
    assert plain.startswith("Interview 385 women") and "design effect" not in plain


def test_crt_sentence_and_low_power_warning() -> None:
    res = crt_clusters("proportion", pe=0.15, pc=0.20, m=50, icc=0.02, power=0.8)
    assert "36 clusters per arm (72 in all)" in sentences.crt(res)
    low = NS(outcome="proportion", clusters_per_arm=None, power=0.55, alpha=0.05, effect=-0.05,
             design_effect=2.0, m=50)
    assert "below the usual 80%" in sentences.crt(low)


def _its(**kw: object) -> NS:
    base = dict(level_change={"estimate": 0.104, "rr": 1.109, "ci_low": 1.09, "ci_high": 1.129,
                              "p": 1e-11},
                log_link=True, slope_change=None, n_pre=24, n_post=24, se_type="model-based",
                autocorrelation={"breusch_godfrey": {"p": 0.4}},
                data_quality={"n_missing": 0, "n_low_completeness": 0})
    base.update(kw)
    return NS(**base)


def test_its_sentence_says_what_changed() -> None:
    s = sentences.its(_its(), outcome="ANC1 visits", start="202301")
    assert s.startswith("ANC1 visits rose by 10.9% (95% CI 9.0% to 12.9%, p < 0.001) when MMS "
                        "started (Jan 2023), beyond the trend before.")
    assert "Caution" not in s


def test_its_caveats_few_points_autocorrelation_data_quality() -> None:
    s = sentences.its(_its(n_pre=5, n_post=4, autocorrelation={"breusch_godfrey": {"p": 0.01}},
                           data_quality={"n_missing": 2, "n_low_completeness": 1,
                                         "handling": "drop"}))
    assert "only 5 points before and 4 after" in s
    assert "autocorrelated" in s and "--newey-west" in s
    assert "2 missing and 1 low-completeness months" in s


def test_its_interval_with_no_change_is_called_chance() -> None:
    s = sentences.its(_its(level_change={"rr": 0.97, "ci_low": 0.9, "ci_high": 1.05, "p": 0.4}))
    assert "fell by 3.0%" in s and "cannot rule out chance" in s


def test_did_sentence_and_pre_trend_caveat() -> None:
    r = NS(robust={"estimate": 0.0987, "rr": 1.104, "rr_ci_low": 1.081, "rr_ci_high": 1.127,
                   "p": 0.0, "ci_low": 0.078, "ci_high": 0.12},
           log_outcome=True, cohorts={"24270": 4, "24276": 4, "never": 0},
           event_study=pd.DataFrame({"rel_time": [-3.0, -2.0, 0.0], "p": [0.01, 0.5, 0.0]}))
    s = sentences.did(r, outcome="ANC1 per person")
    assert "ANC1 per person rose by 10.4% (95% CI 8.1% to 12.7%, p < 0.001)" in s
    assert "8 districts started MMS in 2 roll-out waves" in s
    assert "parallel-trends" in s


def test_readiness_names_labels_not_ids() -> None:
    verdict = NS(pillar="demand", phase="scale_up", next_phase="sustain", share_met=0.1429,
                 ready=False)
    item = NS(key_result="scale_up_demand_consumption", title="Women consume a full course",
              phase="scale_up", pillar="demand", required=True, status="not_met",
              basis="measured", indicator="mms_consumed_180", value=0.0309,
              value_date="2024-12", threshold=">= 0.48")
    s = sentences.readiness(verdict, [item])
    assert s.startswith("Demand and adherence stays in Scale up: 14% of its key results are met.")
    assert ("Required and still open: Women consume a full course (3.1% (Dec 2024; target at "
            "least 48%))") in s
    assert "scale_up" not in s and "demand_consumption" not in s


def test_forecast_sentence() -> None:
    summary = {"pregnancies covered by MMS": 472100.0, "MMS tablets needed": 8.923e7,
               "MMS packs ordered": 634000.0, "MMS tablets short": 0.0,
               "IFA tablets short": 0.0, "IFA tablets expired in horizon": 0.0,
               "IFA tablets at risk of expiry after horizon": 0.0,
               "total budget (USD)": 2.834e6}
    s = sentences.forecast(summary, "USD", 48)
    assert "472,100 pregnancies" in s and "89,230,000 MMS tablets" in s
    assert "USD\u00a02,834,000" in s and "No stock-outs" in s


def test_quality_sentence() -> None:
    summary = pd.DataFrame({"dimension": ["completeness", "internal_consistency"],
                            "metric": ["% of expected reports", "% consistent"],
                            "value": [92.0, 71.5]})
    s = sentences.quality(85.0, summary, 12)
    assert s.startswith("Data quality is acceptable: 85 out of 100.")
    assert "internal consistency" in s and "12 values or units are flagged" in s


def test_evaluate_cli_prints_labels_and_a_sentence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`mmsis evaluate its` for people: term labels, CI and p formatted, what changed in words."""
    import numpy as np
    from typer.testing import CliRunner

    from mmsis.cli import app

    rng = np.random.default_rng(3)
    t = np.arange(48)
    d = (t >= 24).astype(int)
    y = rng.poisson(np.exp(5 + 0.002 * t + 0.2 * d))
    f = tmp_path / "s.csv"
    pd.DataFrame({"t": t, "y": y, "d": d}).to_csv(f, index=False)
    res = CliRunner().invoke(app, ["evaluate", "its", str(f), "--outcome", "y", "--time", "t",
                                   "--intervention", "d"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.stdout.split())
    assert "Level change at the start" in out and "level_change" not in out  # no id typed back
    assert re.search(r"level change: RR \d\.\d+ \(\d\.\d+-\d\.\d+\) \(95% CI\)", out), out
    assert "The outcome rose by" in out and "at the interruption, beyond the trend before" in out
    assert "e-0" not in out and "e+0" not in out
