"""Parameters of the impact model: central values, Monte Carlo draws and tornado ranges.

Effect sizes and mortality multipliers are log-normal from their 95% CI:
log SE = (log hi - log lo) / (2 x 1.959964), drawn independently. User-marked uncertain inputs
(``uncertain:`` in the scenario) are uniform or triangular on [low, high] (mode = the scenario
value), or normal / log-normal with [low, high] as their 95% interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mmsis.forecast.evidence import evidence
from mmsis.forecast.scenario import SHARE_KEYS, UNCERTAIN_KEYS, Scenario

Z975 = 1.959964
DEFAULT_EFFECTS = {
    "lbw": "lbw",
    "preterm": "preterm",
    "sga": "sga",
    "stillbirth": "stillbirth",
    "neonatal_mortality": "neonatal_mortality",
    "lbw_anaemic": "lbw_anaemic",
    "sga_anaemic": "sga_anaemic",
    "neonatal_mortality_female": "neonatal_mortality_female",
    "neonatal_mortality_male": "neonatal_mortality_male",
}
MULTIPLIERS = ("preterm", "sga", "preterm_sga")  # Katz 2013: preterm-AGA, term-SGA, both
SHARES = SHARE_KEYS  # drawn values are clipped to [0, 1]


@dataclass(frozen=True)
class ParamSpec:
    """One model parameter: its central value and, when uncertain, its distribution."""

    name: str
    central: float
    low: float | None = None
    high: float | None = None
    dist: str = "fixed"  # fixed | lognormal_ci | uniform | triangular | normal | lognormal
    source: str = ""


def _get(sc: Scenario, dotted: str) -> float:
    if dotted == "programme_costs":
        return 1.0
    obj: Any = sc
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return float("nan") if obj is None else float(obj)  # an unused subgroup share


def param_specs(sc: Scenario) -> list[ParamSpec]:
    """Every parameter the impact model reads, with its uncertainty where there is one."""
    ev = evidence()
    ids = {**DEFAULT_EFFECTS, **sc.impact.effects}
    direct = sc.impact.neonatal_pathway == "direct"
    used = {"lbw", "preterm", "sga", "stillbirth"}
    if direct:
        if sc.impact.subgroups.female_share is not None:  # both sexes' RRs, not the pooled
            used |= {"neonatal_mortality_female", "neonatal_mortality_male"}
        else:
            used.add("neonatal_mortality")
    if sc.impact.subgroups.anaemic_share is not None:
        used |= {"lbw_anaemic", "sga_anaemic"}
    specs = []
    for outcome, eid in ids.items():
        if outcome not in used:
            specs.append(ParamSpec(f"rr.{outcome}", 1.0, source="not used by this scenario"))
            continue
        e = ev.effect(eid)
        specs.append(ParamSpec(f"rr.{outcome}", e.rr, e.ci_low, e.ci_high, "lognormal_ci",
                               e.source))
    for mid in MULTIPLIERS:
        m = ev.multiplier(mid)
        specs.append(ParamSpec(f"mult.{mid}", m.rr, m.ci_low, m.ci_high,
                               "lognormal_ci" if m.ci_low and not direct else "fixed",
                               m.source))
    u_adh = sc.uncertain.get("regimen.adherence")
    shares = sc.regimen.adherence_shares
    lowest = (min(sc.regimen.adherence, u_adh.low if u_adh else 1.0) if shares is None
              else (1.0 if shares.ge_90 >= 1 else 0.0))
    specs += adherence_specs(lowest)
    for key in UNCERTAIN_KEYS:
        u = sc.uncertain.get(key)
        central = _get(sc, key)
        if u is None:
            specs.append(ParamSpec(key, central))
        else:
            specs.append(ParamSpec(key, central, u.low, u.high, u.dist, "scenario: uncertain"))
    return specs


def adherence_specs(adherence: float) -> list[ParamSpec]:
    """The dose-response's two birthweight effects (Smith 2025), normal from their 95% CIs;
    varied only when the programme's adherence (its lowest plausible value) is below the
    >= 90% category, where they change nothing."""
    dr = evidence().model["adherence_response"]
    out = []
    for name in ("high", "low"):
        e = dr[name]
        dist = "normal" if adherence < float(dr["high"]["adherence_from"]) else "fixed"
        out.append(ParamSpec(f"dr.md_{name}", float(e["md"]), float(e["ci_low"]),
                             float(e["ci_high"]), dist, str(dr["source"])))
    return out


def central_params(specs: list[ParamSpec]) -> dict[str, np.ndarray]:
    """Point values as (1, 1) arrays."""
    return {s.name: np.full((1, 1), s.central) for s in specs}


def draw_params(specs: list[ParamSpec], n: int, rng: np.random.Generator
                ) -> dict[str, np.ndarray]:
    """Monte Carlo draws as (n, 1) arrays (fixed parameters stay (1, 1))."""
    out: dict[str, np.ndarray] = {}
    for s in specs:
        if s.dist == "fixed" or s.low is None or s.high is None:
            out[s.name] = np.full((1, 1), s.central)
            continue
        lo, hi = s.low, s.high
        if s.dist == "lognormal_ci":
            se = (np.log(hi) - np.log(lo)) / (2 * Z975)
            x = np.exp(np.log(s.central) + se * rng.standard_normal(n))
        elif s.dist == "uniform":
            x = rng.uniform(lo, hi, n)
        elif s.dist == "triangular":
            mode = min(max(s.central, lo), hi)
            x = rng.triangular(lo, mode, hi, n) if hi > lo else np.full(n, lo)
        elif s.dist == "normal":
            x = rng.normal((lo + hi) / 2, (hi - lo) / (2 * Z975), n)
        else:  # lognormal with [low, high] as 95% interval
            mu, sd = (np.log(lo) + np.log(hi)) / 2, (np.log(hi) - np.log(lo)) / (2 * Z975)
            x = np.exp(rng.normal(mu, sd, n))
        if s.name in SHARES:
            x = np.clip(x, 0.0, 1.0)
        elif not s.name.startswith(("rr.", "mult.", "dr.")):
            x = np.maximum(x, 0.0)
        out[s.name] = x[:, None]
    return out


def tornado_params(specs: list[ParamSpec]) -> tuple[list[ParamSpec], dict[str, np.ndarray]]:
    """Rows 2k and 2k+1 set parameter k to its low and high value, all others central."""
    ranged = [s for s in specs if s.low is not None and s.high is not None
              and s.dist != "fixed"]
    n = 2 * len(ranged)
    out = {s.name: np.full((max(n, 1), 1), s.central) for s in specs}
    for k, s in enumerate(ranged):
        out[s.name][2 * k, 0] = s.low
        out[s.name][2 * k + 1, 0] = s.high
    return ranged, out
