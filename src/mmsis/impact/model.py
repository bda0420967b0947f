"""The health-impact and cost model, vectorised over Monte Carlo draws and districts.

Every parameter is an array of shape (draws, 1) (or a scalar); district inputs are arrays of
shape (districts,). For each outcome k, events averted in district d are
``births_d x baseline_k,d x (1 - RR_k)`` (LiST's logic: covered births x baseline risk x
relative reduction), summed over districts. Neonatal deaths follow either the direct RR or the
birth-outcome pathway (Katz 2013 multipliers). DALYs are discounted YLL of neonatal deaths
(plus optional stillbirths and YLD per LBW birth averted); costs are the incremental product
cost of MMS over IFA for the covered pregnancies plus programme costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTCOMES = ("lbw", "preterm", "sga", "stillbirth", "neonatal_mortality")


@dataclass(frozen=True)
class Units:
    """District-level inputs that do not vary across draws (central values)."""

    ids: list[str]
    births: np.ndarray  # births covered by MMS over the horizon
    births_disc: np.ndarray  # the same, discounted to the start by programme year
    pregnancies: np.ndarray  # pregnancies covered by MMS (drives product cost)
    pregnancies_disc: np.ndarray
    baseline: dict[str, np.ndarray]  # outcome -> (districts,) baseline rate
    baseline_central: dict[str, float]  # the scenario's national rates (uncertainty scales)
    programme_cost: float
    programme_cost_disc: float
    tablets_per_pregnancy: float
    anc1_central: float
    pathway: str
    anaemic_share: float | None
    female_share: float | None
    include_stillbirths: bool
    value_per_daly: float | None
    yld_per_lbw_birth: float


def discounted_life_years(life_expectancy: np.ndarray | float, rate: np.ndarray | float
                          ) -> np.ndarray:
    """Continuously discounted years of life lost: (1 - exp(-r L)) / r, and L when r = 0."""
    L = np.asarray(life_expectancy, float)
    r = np.asarray(rate, float)
    safe = np.where(r > 0, r, 1.0)
    return np.where(r > 0, (1 - np.exp(-safe * L)) / safe, L)


def _counts(u: Units, p: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], ...]:
    """Events averted by outcome, summed over districts, for the births and the discounted
    births: two dicts of arrays of shape (draws,).

    Outcomes linear in the baseline rate reduce to a dot product over districts; the
    birth-outcome pathway of neonatal deaths is non-linear and runs on (draws, districts).
    """
    scale = p["anc1_coverage"] / u.anc1_central if u.anc1_central > 0 else 1.0
    births = np.stack([u.births, u.births_disc], axis=1)  # (districts, 2)

    def rel(k: str) -> np.ndarray:
        central = u.baseline_central[k]
        return p[f"impact.baseline.{k}"] / central if central > 0 else np.ones((1, 1))

    red = {k: 1 - p[f"rr.{k}"] for k in OUTCOMES}
    if u.anaemic_share is not None:
        a = u.anaemic_share
        red["lbw"] = a * (1 - p["rr.lbw_anaemic"]) + (1 - a) * red["lbw"]
    out = {k: scale * rel(k) * red[k] * (u.baseline[k] @ births)[None, :]
           for k in ("lbw", "preterm", "sga", "stillbirth")}
    if u.pathway == "direct":
        r = red["neonatal_mortality"]
        if u.female_share is not None:
            f = u.female_share
            r = f * (1 - p["rr.neonatal_mortality_female"]) + (1 - f) * r
        s_n = (u.baseline["neonatal_mortality"] @ births)[None, :]
        out["neonatal_deaths"] = scale * rel("neonatal_mortality") * r * s_n
    else:
        mp, ms = p["mult.preterm"] - 1, p["mult.sga"] - 1
        pt = u.baseline["preterm"][None, :] * rel("preterm")
        sg = u.baseline["sga"][None, :] * rel("sga")
        num = (mp * red["preterm"]) * pt + (ms * red["sga"]) * sg
        num /= 1 + mp * pt + ms * sg
        w = births * u.baseline["neonatal_mortality"][:, None]
        out["neonatal_deaths"] = scale * rel("neonatal_mortality") * (num @ w)
    n = max(v.shape[0] for v in out.values())
    full = {k: np.broadcast_to(v, (n, 2)) for k, v in out.items()}
    return ({k: v[:, 0] for k, v in full.items()}, {k: v[:, 1] for k, v in full.items()})


def compute(u: Units, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All outputs for each draw (arrays of shape (draws,))."""
    c, cd = _counts(u, p)
    yll = discounted_life_years(p["impact.daly.life_expectancy_at_birth"],
                                p["impact.daly.discount_rate"])[:, 0]
    deaths_d = cd["neonatal_deaths"] + (cd["stillbirth"] if u.include_stillbirths else 0.0)
    dalys = deaths_d * yll + cd["lbw"] * u.yld_per_lbw_birth
    landed = 1 + p["freight_pct"] + p["distribution_pct"]
    per_tab = (p["mms.price_per_tablet"] - p["ifa.price_per_tablet"]) * landed
    tabs = u.tablets_per_pregnancy * p["regimen.adherence"] * (1 + p["regimen.wastage"])
    scale = p["anc1_coverage"] / u.anc1_central if u.anc1_central > 0 else 1.0
    cost = ((u.pregnancies_disc.sum() * scale * tabs * per_tab)[:, 0]
            + u.programme_cost_disc * p["programme_costs"][:, 0])
    cost_undisc = ((u.pregnancies.sum() * scale * tabs * per_tab)[:, 0]
                   + u.programme_cost * p["programme_costs"][:, 0])
    deaths = c["neonatal_deaths"] + (c["stillbirth"] if u.include_stillbirths else 0.0)
    dalys_cohort = deaths * yll + c["lbw"] * u.yld_per_lbw_birth
    preg = (u.pregnancies[None, :] * scale).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cpd = np.where(dalys > 0, cost / np.where(dalys > 0, dalys, 1.0), np.inf)
        cpdeath = np.where(deaths_d > 0, cost / np.where(deaths_d > 0, deaths_d, 1.0), np.inf)
    out = {
        "births_covered": (u.births[None, :] * scale).sum(axis=1),
        "lbw_averted": c["lbw"],
        "preterm_averted": c["preterm"],
        "sga_averted": c["sga"],
        "stillbirths_averted": c["stillbirth"],
        "neonatal_deaths_averted": c["neonatal_deaths"],
        "deaths_averted": deaths,
        "deaths_averted_discounted": deaths_d,
        "dalys_averted": dalys,
        "dalys_averted_per_100k_pregnancies": np.where(preg > 0, dalys_cohort / np.where(
            preg > 0, preg, 1.0) * 1e5, np.nan),
        "incremental_cost": cost,
        "incremental_cost_undiscounted": cost_undisc,
        "cost_per_daly": cpd,
        "cost_per_death_averted": cpdeath,
    }
    if u.value_per_daly is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["benefit_cost_ratio"] = dalys * u.value_per_daly / cost
    return out
