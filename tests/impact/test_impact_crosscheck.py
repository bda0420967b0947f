"""Independent cross-check of the impact model: a month-by-month loop written from
docs/forecast-impact.md (births covered x baseline x g(adherence) x (1 - RR), Katz 2013's
four categories, subgroups of both kinds, discounted YLL, cost of the tablets dispensed)
against run_impact's central values, and the Monte Carlo summary conventions (log-normal RRs
from CIs, ratio of means, per-draw percentiles)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from mmsis.forecast import scenario_from_dict
from mmsis.impact import run_impact

NAT = {"lbw": 0.15, "preterm": 0.12, "sga": 0.25, "stillbirth": 0.02, "neonatal_mortality": 0.025}
DISTRICTS = [
    {"id": "A", "population": 100_000, "baseline_lbw": 0.2, "baseline_neonatal_mortality": 0.03},
    {"id": "B", "population": 250_000, "anc1_coverage": 0.7, "baseline_preterm": 0.15},
]
ROLLOUT = [{"district": "A", "start": "2025-07"},
           {"district": "B", "start": "2026-03", "ramp_months": 2}]


def _cfg(pathway: str, anaemic: float | None, female: float | None,
         adherence: float = 0.8) -> dict[str, Any]:
    return {
        "start": "2025-07", "horizon_months": 30,
        "geography": {"level": "district", "districts": DISTRICTS},
        "pregnancies": {"method": "population", "crude_birth_rate": 0.03,
                        "pregnancy_loss_adjustment": 1.07},
        "anc1_coverage": 0.9,
        "rollout": {"ramp_months": 4, "uptake": 0.9, "districts": ROLLOUT},
        "regimen": {"tablets_per_pregnancy": 180, "adherence": adherence,
                    "dispensed_share": 0.9, "wastage": 0.05},
        "mms": {"pack_size": 60, "price_per_tablet": 0.02}, "ifa": {"price_per_tablet": 0.005},
        "freight_pct": 0.15, "distribution_pct": 0.10,
        "programme_costs": [
            {"phase": "initial", "category": "training", "year": 2026, "amount": 10_000},
            {"phase": "scale-up", "category": "sbc", "start": "2025-10", "end": "2027-03",
             "amount": 18_000}],
        "impact": {"baseline": NAT, "neonatal_pathway": pathway,
                   "subgroups": {"anaemic_share": anaemic, "female_share": female},
                   "daly": {"discount_rate": 0.05, "life_expectancy_at_birth": 70.0},
                   "value_per_daly": 500.0},
    }


def _by_hand(pathway: str, anaemic: float | None, female: float | None) -> dict[str, float]:
    """The documented formulas, one district-month at a time (RRs from evidence.yaml)."""
    rr = {"lbw": 0.88, "preterm": 0.95, "sga": 0.92, "stillbirth": 0.95, "nmr": 1.00,
          "lbw_anaemic": 0.81, "sga_anaemic": 0.91, "nmr_female": 0.85, "nmr_male": 1.06}
    m_pa, m_ts, m_ps, r, life = 6.82, 1.83, 15.42, 0.05, 70.0
    # adherence 0.8 lies between Smith 2025's anchors (0.6, 9/56) and (0.9, 1)
    g = 9 / 56 + (1 - 9 / 56) * (0.8 - 0.6) / 0.3

    def mix(p: float, s: float) -> float:
        return ((1 - p) * (1 - s) + m_pa * p * (1 - s) + m_ts * (1 - p) * s
                + m_ps * p * s)
    tot = dict.fromkeys(("lbw", "preterm", "sga", "sb", "nd", "nd_disc", "preg_disc"), 0.0)
    start = 2025 * 12 + 6
    for d in DISTRICTS:
        base = {k: float(d.get(f"baseline_{k}", v)) for k, v in NAT.items()}
        entry = next(e for e in ROLLOUT if e["district"] == d["id"])
        y, mo = str(entry["start"]).split("-")
        switch, ramp = int(y) * 12 + int(mo) - 1, int(entry.get("ramp_months", 4))
        for t in range(30):
            k = start + t - switch
            share = 0.0 if k < 0 else 0.9 * min(1.0, (k + 1) / ramp)
            preg = float(d["population"]) * 0.03 * 1.07 / 12 * float(
                d.get("anc1_coverage", 0.9)) * share
            births = preg / 1.07
            red_lbw = g * (1 - rr["lbw"] if anaemic is None else (
                anaemic * (1 - rr["lbw_anaemic"]) + (1 - anaemic) * (1 - rr["lbw"])))
            red_sga = g * (1 - rr["sga"] if anaemic is None else (
                anaemic * (1 - rr["sga_anaemic"]) + (1 - anaemic) * (1 - rr["sga"])))
            red_pt = g * (1 - rr["preterm"])
            pt = births * base["preterm"] * red_pt
            sg = births * base["sga"] * red_sga
            if pathway == "direct":
                red_n = g * (1 - rr["nmr"] if female is None else (
                    female * (1 - rr["nmr_female"]) + (1 - female) * (1 - rr["nmr_male"])))
                nd = births * base["neonatal_mortality"] * red_n
            else:
                p0, s0 = base["preterm"], base["sga"]
                r0 = base["neonatal_mortality"] / mix(p0, s0)  # term-AGA mortality
                nd = births * r0 * (mix(p0, s0) - mix(p0 * (1 - red_pt), s0 * (1 - red_sga)))
            disc = (1 + r) ** -(t // 12)
            tot["lbw"] += births * base["lbw"] * red_lbw
            tot["preterm"] += pt
            tot["sga"] += sg
            tot["sb"] += births * base["stillbirth"] * g * (1 - rr["stillbirth"])
            tot["nd"] += nd
            tot["nd_disc"] += nd * disc
            tot["preg_disc"] += preg * disc
    dalys = tot["nd_disc"] * (1 - math.exp(-r * life)) / r
    # training in Jan 2026 = programme year 0; SBC 1,000 a month: 9 months in year 0, 9 in 1
    programme = 10_000 + 9_000 + 9_000 / (1 + r)
    # cost follows the tablets dispensed (90% of the regimen), not adherence
    cost = tot["preg_disc"] * 180 * 0.9 * 1.05 * (0.02 - 0.005) * 1.25 + programme
    return {"lbw_averted": tot["lbw"], "preterm_averted": tot["preterm"],
            "sga_averted": tot["sga"], "stillbirths_averted": tot["sb"],
            "neonatal_deaths_averted": tot["nd"], "dalys_averted": dalys,
            "incremental_cost": cost, "cost_per_daly": cost / dalys,
            "cost_per_death_averted": cost / tot["nd_disc"],
            "benefit_cost_ratio": dalys * 500.0 / cost}


@pytest.mark.parametrize(("pathway", "anaemic", "female"),
                         [("birth_outcomes", None, None), ("birth_outcomes", 0.4, None),
                          ("direct", 0.3, 0.488)])
def test_central_matches_independent_loop(pathway: str, anaemic: float | None,
                                          female: float | None) -> None:
    im = run_impact(scenario_from_dict(_cfg(pathway, anaemic, female)), draws=200, seed=1)
    for measure, want in _by_hand(pathway, anaemic, female).items():
        assert im.measure(measure)["central"] == pytest.approx(want, rel=1e-9), measure


def test_monte_carlo_summary_conventions() -> None:
    im = run_impact(scenario_from_dict(_cfg("birth_outcomes", None, None, adherence=0.9)),
                    draws=20_000, seed=7)
    d = im.draws
    # LBW averted is linear in (1 - RR_lbw): recover the RR draws and check the log-normal
    # with sdlog = (ln 0.91 - ln 0.85) / (2 x 1.96) around ln 0.88
    rr = 1 - d["lbw_averted"] / (im.measure("lbw_averted")["central"] / (1 - 0.88))
    assert np.log(rr).mean() == pytest.approx(math.log(0.88), abs=5e-4)
    assert np.log(rr).std() == pytest.approx((math.log(0.91) - math.log(0.85)) / 3.92,
                                             rel=0.02)
    # means are draw means; 95% UI the 2.5/97.5 percentiles; cost per DALY = ratio of means
    lbw = im.measure("lbw_averted")
    assert lbw["mean"] == pytest.approx(d["lbw_averted"].mean(), rel=1e-12)
    assert lbw["ui_low"] == pytest.approx(np.percentile(d["lbw_averted"], 2.5), rel=1e-3)
    cpd = im.measure("cost_per_daly")
    assert cpd["mean"] == pytest.approx(d["incremental_cost"].mean()
                                        / d["dalys_averted"].mean(), rel=1e-12)
    ratio = np.where(d["dalys_averted"] > 0, d["incremental_cost"] / d["dalys_averted"], np.inf)
    assert cpd["ui_high"] == pytest.approx(np.percentile(ratio, 97.5), rel=1e-2)
    again = run_impact(scenario_from_dict(_cfg("birth_outcomes", None, None, adherence=0.9)),
                       draws=20_000, seed=7)
    assert again.measure("cost_per_daly") == cpd


def test_tornado_swing_is_not_nan_when_nothing_is_averted() -> None:
    # direct pathway at Keats' RR 1.00 and no subgroup: no deaths averted centrally, cost per
    # DALY infinite; parameters that leave it infinite swing 0, the NMR RR swings infinitely
    im = run_impact(scenario_from_dict(_cfg("direct", None, None)), draws=200, seed=1)
    tor = im.tornado.set_index("parameter")
    assert not tor["swing"].isna().any()
    assert tor.loc["rr.neonatal_mortality", "swing"] == math.inf
    assert tor.loc["rr.lbw", "swing"] == 0.0
    assert tor.index[0] == "rr.neonatal_mortality"
