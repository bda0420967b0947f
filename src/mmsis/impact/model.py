"""The health-impact and cost model, vectorised over Monte Carlo draws and districts.

Every parameter is an array of shape (draws, 1) (or a scalar); district inputs are arrays of
shape (districts,). Each outcome's relative reduction (1 - RR) is scaled by the adherence
dose-response g(a) (Smith 2025). Events averted in district d are
``births_d x baseline_k,d x g(a) (1 - RR_k)``. Neonatal deaths follow either Katz 2013's
overlapping preterm/SGA categories (LiST's logic) or the direct RR (with both sexes' RRs when
the sex subgroup is used). DALYs are discounted YLL of neonatal deaths, of stillbirths when
the stillbirth pathway is on, and YLD per LBW birth averted; each pathway's DALYs are kept apart.
Costs follow the tablets dispensed, not the tablets taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTCOMES = ("lbw", "preterm", "sga", "stillbirth", "neonatal_mortality")
PATHWAYS = ("neonatal_preterm", "neonatal_sga", "neonatal_direct", "stillbirth", "lbw")
ADHERENCE_LOW, ADHERENCE_HIGH = 0.6, 0.9  # Smith 2025's category bounds (<60%, >=90%)


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
    adherence_shares: tuple[float, float, float] | None = None


def discounted_life_years(life_expectancy: np.ndarray | float, rate: np.ndarray | float
                          ) -> np.ndarray:
    """Continuously discounted years of life lost: (1 - exp(-r L)) / r, and L when r = 0."""
    L = np.asarray(life_expectancy, float)
    r = np.asarray(rate, float)
    safe = np.where(r > 0, r, 1.0)
    return np.where(r > 0, (1 - np.exp(-safe * L)) / safe, L)


def adherence_scale(adherence: np.ndarray | float, rho: np.ndarray | float) -> np.ndarray:
    """Share g(a) of the trials' effect at adherence a (Smith 2025 dose-response).

    Piecewise linear through (0, 0), (0.6, rho) and (0.9, 1), flat at 1 from 0.9, where rho
    is the ratio of the birthweight effect below 60% adherence to that at >= 90%.
    """
    a = np.asarray(adherence, float)
    r = np.asarray(rho, float)
    mid = r + (1 - r) * (a - ADHERENCE_LOW) / (ADHERENCE_HIGH - ADHERENCE_LOW)
    return np.where(a >= ADHERENCE_HIGH, 1.0, np.where(a >= ADHERENCE_LOW, mid,
                                                       r * a / ADHERENCE_LOW))


def adherence_scale_shares(shares: tuple[float, float, float], rho: np.ndarray | float
                           ) -> np.ndarray:
    """Share of the trials' effect for a survey distribution of adherence: women taking >= 90%
    get 1, those below 60% rho (Smith 2025's category estimates), those at 60-89% the
    dose-response at the category's midpoint 0.75, (1 + rho) / 2 (an assumption)."""
    ge_90, mid, below = shares
    r = np.asarray(rho, float)
    return ge_90 + mid * (1 + r) / 2 + below * r


def katz_mix(p: np.ndarray, s: np.ndarray, m_pa: np.ndarray, m_ts: np.ndarray,
             m_ps: np.ndarray) -> np.ndarray:
    """Mean neonatal mortality relative to term-AGA births for preterm share p and SGA share s
    (independent): 1 + (M_pAGA - 1) p(1-s) + (M_tSGA - 1)(1-p)s + (M_pSGA - 1) p s."""
    return 1 + (m_pa - 1) * p * (1 - s) + (m_ts - 1) * (1 - p) * s + (m_ps - 1) * p * s


def effect_share(u: Units, p: dict[str, np.ndarray]) -> np.ndarray:
    """g: the share of the trials' effects at the programme's adherence (its survey
    distribution when given, else the scenario's adherence)."""
    rho = p["dr.md_low"] / p["dr.md_high"]
    if u.adherence_shares is not None:
        return adherence_scale_shares(u.adherence_shares, rho)
    return adherence_scale(p["regimen.adherence"], rho)


def _reductions(u: Units, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Relative risk reductions at the programme's adherence, by outcome."""
    g = effect_share(u, p)
    red = {k: 1 - p[f"rr.{k}"] for k in OUTCOMES}
    if u.anaemic_share is not None:
        a = p["impact.subgroups.anaemic_share"]
        red["lbw"] = a * (1 - p["rr.lbw_anaemic"]) + (1 - a) * red["lbw"]
        red["sga"] = a * (1 - p["rr.sga_anaemic"]) + (1 - a) * red["sga"]
    if u.female_share is not None:
        f = p["impact.subgroups.female_share"]
        red["neonatal_mortality"] = (f * (1 - p["rr.neonatal_mortality_female"])
                                     + (1 - f) * (1 - p["rr.neonatal_mortality_male"]))
    return {k: g * v for k, v in red.items()}


def _counts(u: Units, p: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], ...]:
    """Events averted by outcome and neonatal deaths by pathway, summed over districts, for
    the births and the discounted births: two dicts of arrays of shape (draws,).

    Outcomes linear in the baseline rate reduce to a dot product over districts; Katz's
    categories are non-linear and run on (draws, districts).
    """
    scale = p["anc1_coverage"] / u.anc1_central if u.anc1_central > 0 else 1.0
    births = np.stack([u.births, u.births_disc], axis=1)  # (districts, 2)

    def rel(k: str) -> np.ndarray:
        central = u.baseline_central[k]
        return p[f"impact.baseline.{k}"] / central if central > 0 else np.ones((1, 1))

    red = _reductions(u, p)
    out = {k: scale * rel(k) * red[k] * (u.baseline[k] @ births)[None, :]
           for k in ("lbw", "preterm", "sga", "stillbirth")}
    zero = np.zeros((1, 2))
    if u.pathway == "direct":
        s_n = (u.baseline["neonatal_mortality"] @ births)[None, :]
        out["neonatal_direct"] = scale * rel("neonatal_mortality") * red[
            "neonatal_mortality"] * s_n
        out["neonatal_preterm"] = out["neonatal_sga"] = zero
    else:
        m = (p["mult.preterm"], p["mult.sga"], p["mult.preterm_sga"])
        pt = u.baseline["preterm"][None, :] * rel("preterm")
        sg = u.baseline["sga"][None, :] * rel("sga")
        pt1 = pt * (1 - red["preterm"])
        sg1 = sg * (1 - red["sga"])
        base = katz_mix(pt, sg, *m)
        # Shapley split of the drop in mean relative mortality between the two changes
        d_pt = 0.5 * ((base - katz_mix(pt1, sg, *m)) + (katz_mix(pt, sg1, *m)
                                                         - katz_mix(pt1, sg1, *m)))
        d_all = base - katz_mix(pt1, sg1, *m)
        w = births * u.baseline["neonatal_mortality"][:, None]
        k = scale * rel("neonatal_mortality")
        out["neonatal_preterm"] = k * ((d_pt / base) @ w)
        out["neonatal_sga"] = k * (((d_all - d_pt) / base) @ w)
        out["neonatal_direct"] = zero
    out["neonatal_deaths"] = out["neonatal_preterm"] + out["neonatal_sga"] + out[
        "neonatal_direct"]
    n = max(v.shape[0] for v in out.values())
    full = {k: np.broadcast_to(v, (n, 2)) for k, v in out.items()}
    return ({k: v[:, 0] for k, v in full.items()}, {k: v[:, 1] for k, v in full.items()})


def pathway_dalys(c: dict[str, np.ndarray], u: Units, yll: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """DALYs averted by pathway from events averted (discounted or not) and YLL per death."""
    return {
        "neonatal_preterm": c["neonatal_preterm"] * yll,
        "neonatal_sga": c["neonatal_sga"] * yll,
        "neonatal_direct": c["neonatal_direct"] * yll,
        "stillbirth": c["stillbirth"] * yll if u.include_stillbirths
        else np.zeros_like(c["stillbirth"]),
        "lbw": c["lbw"] * u.yld_per_lbw_birth,
    }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)


def compute(u: Units, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All outputs for each draw (arrays of shape (draws,))."""
    c, cd = _counts(u, p)
    yll = discounted_life_years(p["impact.daly.life_expectancy_at_birth"],
                                p["impact.daly.discount_rate"])[:, 0]
    by_path = pathway_dalys(cd, u, yll)
    dalys = sum(by_path.values(), np.zeros(1))
    deaths_d = cd["neonatal_deaths"] + (cd["stillbirth"] if u.include_stillbirths else 0.0)
    landed = 1 + p["freight_pct"] + p["distribution_pct"]
    per_tab = (p["mms.price_per_tablet"] - p["ifa.price_per_tablet"]) * landed
    tabs = (u.tablets_per_pregnancy * p["regimen.dispensed_share"]
            * (1 + p["regimen.wastage"]))
    scale = p["anc1_coverage"] / u.anc1_central if u.anc1_central > 0 else 1.0
    cost = ((u.pregnancies_disc.sum() * scale * tabs * per_tab)[:, 0]
            + u.programme_cost_disc * p["programme_costs"][:, 0])
    cost_undisc = ((u.pregnancies.sum() * scale * tabs * per_tab)[:, 0]
                   + u.programme_cost * p["programme_costs"][:, 0])
    deaths = c["neonatal_deaths"] + (c["stillbirth"] if u.include_stillbirths else 0.0)
    dalys_cohort = sum(pathway_dalys(c, u, yll).values(), np.zeros(1))
    preg = (u.pregnancies[None, :] * scale).sum(axis=1)
    out = {
        "births_covered": (u.births[None, :] * scale).sum(axis=1),
        "lbw_averted": c["lbw"],
        "preterm_averted": c["preterm"],
        "sga_averted": c["sga"],
        "stillbirths_averted": c["stillbirth"],
        "neonatal_deaths_averted": c["neonatal_deaths"],
        "neonatal_deaths_preterm": c["neonatal_preterm"],
        "neonatal_deaths_sga": c["neonatal_sga"],
        "neonatal_deaths_direct": c["neonatal_direct"],
        "deaths_averted": deaths,
        "deaths_averted_discounted": deaths_d,
        "dalys_averted": dalys,
        "dalys_averted_per_100k_pregnancies": np.where(preg > 0, dalys_cohort / np.where(
            preg > 0, preg, 1.0) * 1e5, np.nan),
        "incremental_cost": cost,
        "incremental_cost_undiscounted": cost_undisc,
        "cost_per_daly": _ratio(cost, dalys),
        "cost_per_death_averted": _ratio(cost, deaths_d),
        "adherence_effect_share": np.broadcast_to(effect_share(u, p)[:, 0], dalys.shape),
    }
    for k, v in by_path.items():
        out[f"dalys_{k}"] = v
    if u.value_per_daly is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["benefit_cost_ratio"] = dalys * u.value_per_daly / cost
    return out
