"""Worked example on the example country: power of the stepped-wedge MMS roll-out by district."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmsis.demos.steps import fixed
from mmsis.design.plots import power_curve
from mmsis.design.simulate import simulate_power
from mmsis.design.stepped_wedge import hooper_design_effect, stepped_wedge_power, sw_matrix
from mmsis.design.survey import survey_sample_size
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry

#: Planning assumptions of the worked example (not data): the effect MMS should have on the share
#: of women taking >= 180 tablets, and women interviewed per district per period.
TARGET_INCREASE = 0.03
WOMEN_PER_DISTRICT_PERIOD = 30


def baseline_adherence(survey: pd.DataFrame) -> tuple[float, float, int]:
    """Weighted share taking >= 180 tablets among women not on MMS, and the between-district SD.

    The SD is a method-of-moments estimate on the probability scale (tau in swCRTdesign terms):
    variance of district shares minus their mean binomial sampling variance, floored at 0.
    """
    known = survey[(survey["m45"] != 8) & (survey["s_tabs_consumed"].fillna(0) != 998)]
    base = known[known["s_supp_type"] != 2].copy()
    base["adherent"] = (base["s_tabs_consumed"].fillna(0) >= 180).astype(float)
    w = base["v005"] / 1e6
    p0 = float(np.sum(w * base["adherent"]) / np.sum(w))
    by = base.groupby("district_id")["adherent"].agg(["mean", "size"])
    sampling = float(np.mean(by["mean"] * (1 - by["mean"]) / by["size"]))
    tau = math.sqrt(max(0.0, float(by["mean"].var(ddof=1)) - sampling))
    return p0, tau, int(len(base))


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Plan the stepped-wedge evaluation of the country's district roll-out; write its outputs."""
    from rich.console import Console

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rollout = country.rollout.sort_values(["mms_start", "district_id"]).reset_index(drop=True)
    starts = sorted(rollout["mms_start"].unique())
    sequences = [int((rollout["mms_start"] == s).sum()) for s in starts]
    layout = rollout.assign(sequence=rollout["mms_start"].map({s: i + 1 for i, s in
                                                               enumerate(starts)}))
    layout["first_treated_period"] = layout["sequence"] + 1
    layout.to_csv(out_dir / "design_layout.csv", index=False)

    p0, tau, n_women = baseline_adherence(country.survey)
    p1 = min(p0 + TARGET_INCREASE, 0.99)
    n = WOMEN_PER_DISTRICT_PERIOD
    sw = stepped_wedge_power(sequences=sequences, n=n, p0=p0, p1=p1, tau=tau)
    pbar = (p0 + p1) / 2
    icc = tau**2 / (tau**2 + pbar * (1 - pbar))
    hooper = hooper_design_effect(sequences=sequences, m=n, icc=icc, cac=0.8)
    sim = simulate_power(sequences=sequences, n=n, p0=p0, p1=p1, tau=tau, n_reps=1000,
                         seed=2024, test="t")
    xs = list(range(5, 101, 5))
    ys = [stepped_wedge_power(sequences=sequences, n=k, p0=p0, p1=p1, tau=tau).power for k in xs]
    needed = next((k for k in range(2, 1001)
                   if stepped_wedge_power(sequences=sequences, n=k, p0=p0, p1=p1,
                                          tau=tau).power >= 0.8), None)
    plot = power_curve(out_dir / "design_power_curve.png", xs, ys,
                       xlabel=_("women interviewed per district per period"),
                       title=_("Stepped-wedge MMS roll-out: %(districts)s districts, "
                               "%(sequences)s sequences") % {
                           "districts": sum(sequences), "sequences": len(sequences)}, mark=n)
    mms_share = float((country.survey["s_supp_type"] == 2).mean())
    survey = survey_sample_size(max(min(mms_share, 0.95), 0.05), 0.05, icc=0.05, take=20,
                                nonresponse=0.1)
    summary = {
        "districts": int(sum(sequences)), "sequences": sequences,
        "periods": int(sw_matrix(sequences).shape[1]), "women_per_district_period": n,
        "p0_adherence_180": p0, "p1_target": p1, "tau_between_district": tau,
        "women_in_baseline_estimate": n_women, "icc": icc, "power_closed_form": sw.power,
        "women_per_district_period_for_80pct": needed,
        "var_theta": sw.var_theta, "power_simulated": sim.estimate, "power_simulated_mcse": sim.se,
        "hooper_design_effect_cac_0.8": hooper.design_effect,
        "coverage_survey_n": survey.n_total, "coverage_survey_clusters": survey.clusters,
        "power_curve": str(plot),
    }
    (out_dir / "design_summary.json").write_text(json.dumps(summary, indent=2))
    console = Console()
    console.print(_("[bold]Design[/bold]: stepped-wedge roll-out of MMS over %(districts)s "
                    "districts in %(sequences)s sequences (%(periods)s periods)") % {
        "districts": sum(sequences), "sequences": len(sequences),
        "periods": summary["periods"]})
    console.print("  " + _("adherence (>=180 tablets) %(p0)s -> target %(p1)s; between-district "
                           "SD %(tau)s; %(n)s women per district-period") % {
        "p0": fmt.percent(p0, 1), "p1": fmt.percent(p1, 1), "tau": fixed(tau, 3), "n": n},
        highlight=False)
    console.print("  " + _("power %(power)s (Hussey & Hughes); simulated %(simulated)s +/- "
                           "%(mcse)s (LMM, t test); Hooper DE (CAC 0.8) %(de)s") % {
        "power": fixed(sw.power, 3), "simulated": fixed(sim.estimate, 3),
        "mcse": fixed(sim.se, 3), "de": fixed(hooper.design_effect, 2)}, highlight=False)
    console.print("  " + _("80%% power needs %(n)s women per district-period") % {"n": needed},
                  highlight=False)
    console.print("  " + _("coverage survey for MMS coverage +/-5 points: %(n)s women in "
                           "%(clusters)s clusters of 20") % {
        "n": fmt.count(survey.n_total), "clusters": survey.clusters}, highlight=False)
    return {k: summary[k] for k in ("districts", "sequences", "p0_adherence_180", "p1_target",
                                    "power_closed_form", "power_simulated",
                                    "women_per_district_period_for_80pct", "coverage_survey_n")}
