"""Individually randomised two-arm comparisons of means or proportions: size or power."""

from __future__ import annotations

import math
from typing import Literal

from scipy import stats

from mmsis.design import _checks
from mmsis.design.results import IndividualResult
from mmsis.errors import InputError


def individual_means(
    difference: float,
    sigma: float,
    *,
    n_per_arm: int | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
) -> IndividualResult:
    """Per-arm n (or power for a given n) of a two-sample t test, via statsmodels TTestIndPower."""
    from statsmodels.stats.power import TTestIndPower

    sigma = _checks.positive(sigma, "sigma")
    alpha = _checks.probability(alpha, "alpha")
    if difference == 0:
        raise InputError("the difference is zero, so there is no effect to detect",
                         field="difference")
    es = abs(difference) / sigma
    solver = TTestIndPower()
    if n_per_arm is not None:
        if n_per_arm < 2:
            raise InputError("needs at least 2 per arm", field="n_per_arm")
        pw = float(solver.power(effect_size=es, nobs1=n_per_arm, alpha=alpha, ratio=1.0))
        return IndividualResult(outcome="mean", n_per_arm=int(n_per_arm), n_per_arm_raw=None,
                                power=pw, alpha=alpha, effect=difference,
                                method="two-sample t test (statsmodels TTestIndPower)")
    power = _checks.probability(power, "power")
    raw = float(solver.solve_power(effect_size=es, alpha=alpha, power=power, ratio=1.0))
    return IndividualResult(outcome="mean", n_per_arm=math.ceil(raw - 1e-9), n_per_arm_raw=raw,
                            power=power, alpha=alpha, effect=difference,
                            method="two-sample t test (statsmodels TTestIndPower)")


def individual_proportions(
    p1: float,
    p0: float,
    *,
    n_per_arm: int | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    variance: Literal["pooled", "unpooled"] = "pooled",
) -> IndividualResult:
    """Per-arm n (or power) to compare two proportions with the normal approximation (Fleiss)."""
    p1 = _checks.probability(p1, "p1")
    p0 = _checks.probability(p0, "p0")
    _checks.different(p1, p0, "p1")
    alpha = _checks.probability(alpha, "alpha")
    za = float(stats.norm.ppf(1 - alpha / 2))
    pbar = (p1 + p0) / 2
    s_null = math.sqrt(2 * pbar * (1 - pbar)) if variance == "pooled" else None
    s_alt = math.sqrt(p1 * (1 - p1) + p0 * (1 - p0))
    s0 = s_null if s_null is not None else s_alt
    d = abs(p1 - p0)
    method = f"normal approximation, {variance} variance under H0 (Fleiss)"
    if n_per_arm is not None:
        if n_per_arm < 1:
            raise InputError("needs at least 1 per arm", field="n_per_arm")
        pw = float(stats.norm.cdf((d * math.sqrt(n_per_arm) - za * s0) / s_alt))
        return IndividualResult(outcome="proportion", n_per_arm=int(n_per_arm), n_per_arm_raw=None,
                                power=pw, alpha=alpha, effect=p1 - p0, method=method)
    power = _checks.probability(power, "power")
    zb = float(stats.norm.ppf(power))
    raw = (za * s0 + zb * s_alt) ** 2 / d**2
    return IndividualResult(outcome="proportion", n_per_arm=math.ceil(raw - 1e-9),
                            n_per_arm_raw=raw, power=power, alpha=alpha, effect=p1 - p0,
                            method=method)
