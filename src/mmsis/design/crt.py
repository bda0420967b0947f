"""Parallel two-arm cluster randomised trials: clusters per arm and power.

Means and proportions with an ICC follow CRTSize (n4means/n4props: normal formula, then the
t iteration with df = 2(n-1) when the answer is below 30); proportions and rates with the
between-cluster coefficient of variation k follow Hayes & Bennett (1999); unequal cluster sizes use
van Breukelen et al.'s (2007) Taylor approximation (clusterPower's default) or Eldridge et al.
(2006) for a CV of sizes, or the exact vector-of-sizes design effect; power uses the noncentral t
with 2(c-1) degrees of freedom as clusterPower does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import optimize, stats

from mmsis.design import _checks
from mmsis.design.results import CrtResult
from mmsis.errors import InputError

Outcome = Literal["proportion", "mean", "rate"]
SmallSample = Literal["t", "hayes-bennett", "none"]
SizeWeighting = Literal["minimum-variance", "size"]
CvMethod = Literal["taylor", "eldridge"]
CV_METHODS: tuple[str, ...] = ("taylor", "eldridge")


def design_effect_equal(m: float, icc: float) -> float:
    """Design effect of equal clusters of size m: 1 + (m - 1) ICC."""
    return 1.0 + (m - 1.0) * icc


def design_effect_cv(m: float, cv: float, icc: float) -> float:
    """Eldridge et al. 2006 design effect for unequal sizes: 1 + ((cv^2 + 1) m - 1) ICC."""
    return 1.0 + ((cv**2 + 1.0) * m - 1.0) * icc


def design_effect_cv_taylor(m: float, cv: float, icc: float) -> float:
    """van Breukelen et al. 2007's Taylor approximation for unequal sizes (mixed-model analysis):
    DEFF / (1 - cv^2 L (1 - L)), DEFF = 1 + (m - 1) ICC, L = m ICC / DEFF, as clusterPower's
    ``cpa.normal(method = "taylor")``."""
    deff = design_effect_equal(m, icc)
    lam = m * icc / deff
    return deff / (1.0 - cv**2 * lam * (1.0 - lam))


def design_effect_sizes(
    sizes: Sequence[float], icc: float, weighting: SizeWeighting = "minimum-variance"
) -> float:
    """Exact design effect for a vector of cluster sizes (relative to the same total, unclustered).

    ``minimum-variance``: sum(m_i) / sum(m_i / (1 + (m_i - 1) ICC)), the GLS (mixed model) weights.
    ``size``: 1 + ICC (sum m_i^2 / sum m_i - 1), cluster summaries weighted by size, which is the
    Eldridge CV formula with the population CV of the sizes.
    """
    m = np.asarray(sizes, dtype=float)
    if m.size < 1 or np.any(~np.isfinite(m)) or np.any(m < 1):
        raise InputError("cluster sizes must be numbers >= 1", field="sizes")
    if weighting == "size":
        return float(1.0 + icc * (np.sum(m**2) / np.sum(m) - 1.0))
    return float(np.sum(m) / np.sum(m / (1.0 + (m - 1.0) * icc)))


def _cluster_design_effect(
    m: float | None, sizes: Sequence[float] | None, cv: float | None, icc: float,
    weighting: SizeWeighting, cv_method: CvMethod = "taylor",
) -> tuple[float, float]:
    if sizes is not None:
        if m is not None or cv is not None:
            raise InputError("give cluster sizes either as m (with cv) or as sizes", field="sizes")
        mean_m = float(np.mean(np.asarray(sizes, dtype=float)))
        return mean_m, design_effect_sizes(sizes, icc, weighting)
    if m is None:
        raise InputError("the cluster size m (or sizes) is required", field="m")
    m = _checks.positive(m, "m")
    if m < 1:
        raise InputError(f"must be >= 1, got {m}", field="m")
    if cv is not None:
        cv = _checks.nonnegative(cv, "cv")
        if cv_method == "taylor":
            return m, design_effect_cv_taylor(m, cv, icc)
        return m, design_effect_cv(m, cv, icc)
    return m, design_effect_equal(m, icc)


def check_cv_method(cv_method: str) -> None:
    """Refuse an unknown method for the cluster-size CV."""
    if cv_method not in CV_METHODS:
        raise InputError(f"must be one of {', '.join(CV_METHODS)} (got {cv_method!r})",
                         field="cv_method")


def _cv_label(cv: float | None, cv_method: CvMethod) -> str:
    if cv is None:
        return ""
    if cv_method == "taylor":
        return "; unequal sizes: van Breukelen 2007 Taylor approximation (clusterPower taylor)"
    return "; unequal sizes: Eldridge 2006, 1 + ((cv^2 + 1) m - 1) ICC"


def _unit_variance(
    outcome: Outcome, *, pe: float | None, pc: float | None, difference: float | None,
    total_variance: float | None, sigma: float | None, rate1: float | None,
    rate0: float | None, person_time: float | None, k: float | None, m: float | None,
    sizes: Sequence[float] | None, cv: float | None, icc: float | None,
    weighting: SizeWeighting, cv_method: CvMethod = "taylor",
) -> tuple[float, float, float, float, str]:
    """(effect, V, mean cluster size, design effect, label) with Var(effect estimate) = V / c."""
    if outcome == "proportion":
        if pe is None or pc is None:
            raise InputError("proportions need both --pe and --pc",
                             field="pe" if pe is None else "pc")
        pe = _checks.probability(pe, "pe")
        pc = _checks.probability(pc, "pc")
        _checks.different(pe, pc, "pe")
        pq = pe * (1 - pe) + pc * (1 - pc)
        if k is not None:
            if icc is not None:
                raise InputError("give either an ICC or a coefficient of variation k", field="k")
            if m is None:
                raise InputError("the cluster size m is required", field="m")
            m = _checks.positive(m, "m")
            k = _checks.nonnegative(k, "k")
            v = pq / m + k**2 * (pe**2 + pc**2)
            return pe - pc, v, m, float("nan"), "Hayes & Bennett 1999, proportions with k"
        if icc is None:
            raise InputError("an ICC (or k) is required", field="icc")
        icc = _checks.icc(icc)
        mm, de = _cluster_design_effect(m, sizes, cv, icc, weighting, cv_method)
        return (pe - pc, pq * de / mm, mm, de,
                "CRTSize n4props: DE = 1 + (m-1) ICC" + _cv_label(cv, cv_method))
    if outcome == "mean":
        if difference is None:
            raise InputError("means need --difference (or --delta)", field="difference")
        if total_variance is not None and sigma is not None:
            raise InputError("give either the total variance or sigma", field="sigma")
        if total_variance is None:
            if sigma is None:
                raise InputError("means need --total-variance (or --sigma)", field="total_variance")
            total_variance = _checks.positive(sigma, "sigma") ** 2
        var = _checks.positive(total_variance, "total_variance")
        if difference == 0:
            raise InputError("the difference is zero: the arms are equal", field="difference")
        if icc is None:
            raise InputError("an ICC is required for means", field="icc")
        icc = _checks.icc(icc)
        mm, de = _cluster_design_effect(m, sizes, cv, icc, weighting, cv_method)
        return (difference, 2 * var * de / mm, mm, de,
                "CRTSize n4means / clusterPower cpa.normal" + _cv_label(cv, cv_method))
    if outcome == "rate":
        if rate1 is None or rate0 is None:
            raise InputError("rates need --rate1 and --rate0",
                             field="rate1" if rate1 is None else "rate0")
        rate1 = _checks.positive(rate1, "rate1")
        rate0 = _checks.positive(rate0, "rate0")
        _checks.different(rate1, rate0, "rate1")
        if person_time is None:
            raise InputError("rates need the person-time per cluster", field="person_time")
        y = _checks.positive(person_time, "person_time")
        kk = _checks.nonnegative(k if k is not None else 0.0, "k")
        if icc is not None:
            raise InputError("rates use the coefficient of variation k, not an ICC", field="icc")
        v = (rate1 + rate0) / y + kk**2 * (rate1**2 + rate0**2)
        return rate1 - rate0, v, y, float("nan"), "Hayes & Bennett 1999, rates with k"
    raise InputError(f"unknown outcome {outcome!r}: use proportion, mean or rate", field="outcome")


def _solve_clusters(
    v: float, effect: float, alpha: float, power: float, small_sample: SmallSample,
    t_tolerance: float,
) -> float:
    za = float(stats.norm.ppf(1 - alpha / 2))
    zb = float(stats.norm.ppf(power))
    n = (za + zb) ** 2 * v / effect**2
    if small_sample == "hayes-bennett":
        return n + 1.0
    if small_sample == "t" and n < 30:

        def t_step(prev: float) -> float:
            df = 2.0 * (prev - 1.0)
            ta = float(stats.t.ppf(1 - alpha / 2, df))
            tb = float(stats.t.ppf(power, df))
            return (ta + tb) ** 2 * v / effect**2

        previous = 0.0
        for _ in range(1000):
            if abs(n - previous) <= t_tolerance:
                return n
            if n <= 1.025:  # 2(n - 1) df would be ~0: CRTSize itself stops with NaN here
                break
            previous = n
            n = t_step(previous)
        # Large effects (normal answer of 1-3 clusters): CRTSize's step oscillates between a few
        # and many clusters and never settles; take the fixed point n = t_step(n) instead.
        lo, hi = 1.025, 1e6
        if not (t_step(lo) > lo and t_step(hi) < hi):
            raise InputError("the t iteration did not converge", field="power")
        n = float(optimize.brentq(lambda x: t_step(x) - x, lo, hi, xtol=1e-12, rtol=1e-12))
    return n


def crt_clusters(
    outcome: Outcome,
    *,
    pe: float | None = None,
    pc: float | None = None,
    difference: float | None = None,
    total_variance: float | None = None,
    sigma: float | None = None,
    rate1: float | None = None,
    rate0: float | None = None,
    person_time: float | None = None,
    k: float | None = None,
    m: float | None = None,
    sizes: Sequence[float] | None = None,
    cv: float | None = None,
    icc: float | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    small_sample: SmallSample = "t",
    t_tolerance: float = 1.0,
    size_weighting: SizeWeighting = "minimum-variance",
    cv_method: CvMethod = "taylor",
) -> CrtResult:
    """Clusters per arm of a two-arm parallel cluster randomised trial for a target power.

    ``small_sample``: ``t`` iterates with t quantiles on 2(n-1) df when the normal answer is
    below 30 and stops when a step changes n by at most ``t_tolerance`` (1, as CRTSize; give a
    small value to iterate to the fixed point); ``hayes-bennett`` adds one cluster per arm.
    """
    alpha = _checks.probability(alpha, "alpha")
    power = _checks.probability(power, "power")
    check_cv_method(cv_method)
    if power <= alpha / 2:
        raise InputError("the target power must exceed alpha/2", field="power")
    effect, v, mm, de, label = _unit_variance(
        outcome, pe=pe, pc=pc, difference=difference, total_variance=total_variance,
        sigma=sigma, rate1=rate1, rate0=rate0, person_time=person_time, k=k, m=m, sizes=sizes,
        cv=cv, icc=icc, weighting=size_weighting, cv_method=cv_method,
    )
    raw = _solve_clusters(v, effect, alpha, power, small_sample, t_tolerance)
    return CrtResult(
        outcome=outcome, clusters_per_arm=max(2, math.ceil(raw - 1e-9)), clusters_per_arm_raw=raw,
        power=power, alpha=alpha, m=mm, design_effect=de, effect=effect, var_effect=None,
        small_sample=small_sample, method=label, cv_method=cv_method if cv is not None else None,
    )


def crt_power(
    outcome: Outcome,
    clusters: int,
    *,
    pe: float | None = None,
    pc: float | None = None,
    difference: float | None = None,
    total_variance: float | None = None,
    sigma: float | None = None,
    rate1: float | None = None,
    rate0: float | None = None,
    person_time: float | None = None,
    k: float | None = None,
    m: float | None = None,
    sizes: Sequence[float] | None = None,
    cv: float | None = None,
    icc: float | None = None,
    alpha: float = 0.05,
    size_weighting: SizeWeighting = "minimum-variance",
    cv_method: CvMethod = "taylor",
) -> CrtResult:
    """Power with c clusters per arm: noncentral t, df = 2(c - 1), upper tail (clusterPower)."""
    alpha = _checks.probability(alpha, "alpha")
    check_cv_method(cv_method)
    if int(clusters) != clusters or clusters < 2:
        raise InputError(f"needs a whole number of clusters per arm >= 2, got {clusters!r}",
                         field="clusters")
    effect, v, mm, de, label = _unit_variance(
        outcome, pe=pe, pc=pc, difference=difference, total_variance=total_variance,
        sigma=sigma, rate1=rate1, rate0=rate0, person_time=person_time, k=k, m=m, sizes=sizes,
        cv=cv, icc=icc, weighting=size_weighting, cv_method=cv_method,
    )
    var_effect = v / clusters
    df = 2 * (clusters - 1)
    ncp = abs(effect) / math.sqrt(var_effect)
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    pw = float(stats.nct.sf(crit, df, ncp))
    return CrtResult(
        outcome=outcome, clusters_per_arm=int(clusters), clusters_per_arm_raw=None, power=pw,
        alpha=alpha, m=mm, design_effect=de, effect=effect, var_effect=var_effect,
        small_sample="noncentral t, df = 2(c-1)", method=label + "; power as clusterPower",
        cv_method=cv_method if cv is not None else None,
    )
