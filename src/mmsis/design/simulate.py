"""Simulation-based power of a stepped-wedge (or any cluster x period) design, binary outcome.

Data follow swCRTdesign's swSim on the probability scale: p_ij = p0 + beta_j + theta X_ij + a_i
+ s_ij (clipped to [0, 1]), a_i ~ N(0, tau^2), s_ij ~ N(0, gamma^2), y_ij ~ Binomial(n_ij, p_ij).
All replicates are drawn up front from one seeded generator, so every analysis method sees the
same data and results do not depend on the number of worker processes.

Analyses: ``lmm-fast`` (default) fits the linear mixed model to cluster-period proportions for all
replicates at once (Henderson III variance components, then GLS), ``mixedlm`` fits the same model
with statsmodels MixedLM (REML) one replicate at a time, ``gee`` fits a logistic GEE to the
cluster-period proportions (weights n, exchangeable over periods, robust SEs; statsmodels cannot
combine weights with bias-reduced SEs, so use ``test="t"`` with few clusters), ``gee-individual``
fits it to the individual records with Mancl-DeRouen bias-reduced SEs (about 5 s a replicate).
Loops run in parallel processes.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from mmsis.design import _checks
from mmsis.design.results import SimulationPower
from mmsis.design.stepped_wedge import _n_matrix, resolve_design, stepped_wedge_power
from mmsis.errors import InputError

Method = Literal["lmm-fast", "mixedlm", "gee", "gee-individual"]
Test = Literal["z", "t"]


@dataclass(frozen=True)
class _Cells:
    """The observed cluster-period cells of a design, in long form."""

    cluster: NDArray[np.int64]
    period: NDArray[np.int64]
    treat: NDArray[np.float64]
    n: NDArray[np.int64]
    n_clusters: int
    n_periods: int

    def fixed(self) -> NDArray[np.float64]:
        """Period dummies (observed periods) and the treatment column."""
        periods = np.unique(self.period)
        f = (self.period[:, None] == periods[None, :]).astype(float)
        return np.column_stack([f, self.treat])


def _cells(x: NDArray[np.float64], n_mat: NDArray[np.float64]) -> _Cells:
    obs = ~np.isnan(x) & (n_mat > 0)
    ci, pj = np.nonzero(obs)
    if np.any(n_mat[obs] != np.round(n_mat[obs])):
        raise InputError("simulation needs whole numbers of individuals per cell", field="n")
    return _Cells(cluster=ci, period=pj, treat=x[obs], n=n_mat[obs].astype(np.int64),
                  n_clusters=x.shape[0], n_periods=x.shape[1])


def simulate_counts(
    cells: _Cells, *, p0: float, theta: float, tau: float, gamma: float,
    period_effects: NDArray[np.float64], n_reps: int, rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Replicates x cells array of event counts under the swSim model."""
    a = rng.normal(0.0, tau, size=(n_reps, cells.n_clusters))
    s = rng.normal(0.0, gamma, size=(n_reps, cells.cluster.size)) if gamma > 0 else 0.0
    p = p0 + period_effects[cells.period] + theta * cells.treat + a[:, cells.cluster] + s
    return rng.binomial(cells.n[None, :], np.clip(p, 0.0, 1.0)).astype(np.int64)


def _residual_maker(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], int]:
    q, r = np.linalg.qr(a)
    rank = int(np.sum(np.abs(np.diag(r)) > 1e-10 * max(1.0, float(np.abs(r).max()))))
    u, sv, _ = np.linalg.svd(a, full_matrices=False)
    basis = u[:, sv > 1e-10 * sv.max()]
    del q
    return np.eye(a.shape[0]) - basis @ basis.T, rank


def lmm_fast(
    cells: _Cells, props: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Theta estimates and SEs for every replicate (rows of props) at once.

    Variance components by Henderson's method III on cluster-period means (s^2 from the model with
    cluster fixed effects; tau^2 from the reduction due to clusters), then GLS with those values.
    """
    f = cells.fixed()
    z = (cells.cluster[:, None] == np.arange(cells.n_clusters)[None, :]).astype(float)
    m_full, rank_full = _residual_maker(np.column_stack([f, z]))
    m_f, rank_f = _residual_maker(f)
    df_full = f.shape[0] - rank_full
    if df_full < 1:
        raise InputError("the design leaves no residual degrees of freedom", field="design")
    rss_full = np.einsum("ri,ij,rj->r", props, m_full, props)
    rss_f = np.einsum("ri,ij,rj->r", props, m_f, props)
    s2 = rss_full / df_full
    trace = float(np.trace(z.T @ m_f @ z))
    tau2 = np.maximum(0.0, (rss_f - rss_full - s2 * (rank_full - rank_f)) / trace)
    j_i = z.sum(axis=0)
    lam = tau2[:, None] / (s2[:, None] + j_i[None, :] * tau2[:, None])  # (R, I)
    h = z.T @ f  # (I, p): F_i' 1
    g = np.einsum("ip,iq->ipq", h, h)
    info = (f.T @ f)[None, :, :] - np.einsum("ri,ipq->rpq", lam, g)
    ysum = props @ z  # (R, I)
    score = props @ f - np.einsum("ri,ip,ri->rp", lam, h, ysum)
    sol = np.linalg.solve(info, score[:, :, None])[:, :, 0]
    unit = np.zeros((f.shape[1], 1))
    unit[-1, 0] = 1.0
    inv_tt = np.linalg.solve(info, np.broadcast_to(unit, (props.shape[0],) + unit.shape))[:, -1, 0]
    return sol[:, -1], np.sqrt(s2 * inv_tt)


def _fit_mixedlm(cells: _Cells, props: NDArray[np.float64]) -> tuple[float, float]:
    """REML fit with statsmodels MixedLM; SE from (F'V^-1 F)^-1 at the REML variances, as lme4.

    statsmodels' own ``bse_fe`` comes from the joint Hessian and runs up to a few % larger.
    """
    import statsmodels.api as sm

    f = cells.fixed()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.MixedLM(props, f, groups=cells.cluster).fit(reml=True)
    s2, t2 = float(res.scale), float(np.asarray(res.cov_re)[0, 0])
    z = (cells.cluster[:, None] == np.arange(cells.n_clusters)[None, :]).astype(float)
    v = s2 * np.eye(props.size) + t2 * z @ z.T
    cov = np.linalg.inv(f.T @ np.linalg.solve(v, f))
    return float(res.fe_params[-1]), float(np.sqrt(cov[-1, -1]))


def _fit_gee(cells: _Cells, counts: NDArray[np.int64]) -> tuple[float, float]:
    """Cluster-period logistic GEE: proportions weighted by n, exchangeable over periods."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GEE(counts / cells.n, cells.fixed(), groups=cells.cluster,
                       family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable(),
                       weights=cells.n.astype(float))
        res = model.fit(maxiter=60)
    k = cells.fixed().shape[1] - 1
    return float(res.params[k]), float(res.bse[k])


def _fit_gee_individual(cells: _Cells, counts: NDArray[np.int64]) -> tuple[float, float]:
    """Individual-level logistic GEE, exchangeable, Mancl-DeRouen bias-reduced SEs (slow)."""
    import statsmodels.api as sm

    reps = np.repeat(np.arange(cells.cluster.size), cells.n)
    y = np.zeros(reps.size)
    starts = np.concatenate([[0], np.cumsum(cells.n)[:-1]])
    for start, c in zip(starts, counts, strict=True):
        y[start : start + c] = 1.0
    exog = cells.fixed()[reps]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GEE(y, exog, groups=cells.cluster[reps], family=sm.families.Binomial(),
                       cov_struct=sm.cov_struct.Exchangeable())
        res = model.fit(cov_type="bias_reduced", maxiter=60)
    k = exog.shape[1] - 1
    return float(res.params[k]), float(res.bse[k])


def _run_chunk(
    method: str, cells: _Cells, counts: NDArray[np.int64]
) -> list[tuple[float, float]]:
    out = []
    for row in counts:
        try:
            if method == "mixedlm":
                out.append(_fit_mixedlm(cells, row / cells.n))
            elif method == "gee":
                out.append(_fit_gee(cells, row))
            else:
                out.append(_fit_gee_individual(cells, row))
        except Exception:  # a failed fit counts as a failed replicate, reported in n_failed
            out.append((float("nan"), float("nan")))
    return out


def analyse_loop(
    method: Method, cells: _Cells, counts: NDArray[np.int64], n_jobs: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fit each replicate with statsmodels, spread over worker processes in fixed chunks."""
    jobs = n_jobs or os.cpu_count() or 1
    chunks = np.array_split(np.arange(counts.shape[0]), max(1, min(jobs * 4, counts.shape[0])))
    if jobs == 1:
        results = [_run_chunk(method, cells, counts[idx]) for idx in chunks]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_run_chunk, [method] * len(chunks), [cells] * len(chunks),
                                    [counts[idx] for idx in chunks]))
    flat = [r for chunk in results for r in chunk]
    return np.array([r[0] for r in flat]), np.array([r[1] for r in flat])


def simulate_power(
    design: ArrayLike | None = None,
    *,
    sequences: Sequence[int] | None = None,
    extra_treated_periods: int = 0,
    n: float | ArrayLike,
    p0: float,
    p1: float,
    tau: float,
    gamma: float = 0.0,
    period_effects: Sequence[float] | None = None,
    n_reps: int = 1000,
    alpha: float = 0.05,
    method: Method = "lmm-fast",
    test: Test = "z",
    seed: int = 2024,
    n_jobs: int | None = None,
) -> SimulationPower:
    """Power by simulation: the share of replicates whose Wald test rejects theta = 0.

    ``test="t"`` refers the Wald statistic to t with (clusters - 2) df, a small-sample guard.
    With p1 == p0 the result is the type I error rate of the analysis.
    The Monte Carlo SE is sqrt(power (1 - power) / replicates); the CI is Wilson's.
    """
    x = resolve_design(design, sequences, extra_treated_periods)
    p0 = _checks.probability(p0, "p0")
    p1 = _checks.probability(p1, "p1")
    tau = _checks.nonnegative(tau, "tau")
    gamma = _checks.nonnegative(gamma, "gamma")
    alpha = _checks.probability(alpha, "alpha")
    if int(n_reps) != n_reps or n_reps < 10:
        raise InputError(f"needs at least 10 replicates, got {n_reps!r}", field="n_reps")
    if method not in ("lmm-fast", "mixedlm", "gee", "gee-individual"):
        raise InputError(f"unknown method {method!r}", field="method")
    cells = _cells(x, _n_matrix(n, x.shape))
    beta = np.zeros(x.shape[1]) if period_effects is None else np.asarray(period_effects, float)
    if beta.shape != (x.shape[1],):
        raise InputError(f"needs one value per period ({x.shape[1]})", field="period_effects")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    counts = simulate_counts(cells, p0=p0, theta=p1 - p0, tau=tau, gamma=gamma,
                             period_effects=beta, n_reps=int(n_reps), rng=rng)
    if method == "lmm-fast":
        est, se = lmm_fast(cells, counts / cells.n[None, :])
    else:
        est, se = analyse_loop(method, cells, counts, n_jobs)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    if not ok.any():
        raise InputError("every replicate failed to fit", field="method")
    if test == "t":
        crit = float(stats.t.ppf(1 - alpha / 2, max(1, x.shape[0] - 2)))
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
    reject = np.abs(est[ok] / se[ok]) > crit
    r = int(ok.sum())
    pw = float(reject.mean())
    zq = float(stats.norm.ppf(0.975))
    centre = (pw + zq**2 / (2 * r)) / (1 + zq**2 / r)
    half = zq * math.sqrt(pw * (1 - pw) / r + zq**2 / (4 * r**2)) / (1 + zq**2 / r)
    n_arr = np.asarray(n, dtype=float)
    analytic = alpha if p0 == p1 else stepped_wedge_power(
        x, n=n_arr if n_arr.ndim else float(n_arr), p0=p0, p1=p1, tau=tau, gamma=gamma,
        alpha=alpha).power
    return SimulationPower(
        estimate=pw, se=math.sqrt(pw * (1 - pw) / r), ci_low=centre - half, ci_high=centre + half,
        n=r, n_failed=int(n_reps) - r, mean_theta_hat=float(np.mean(est[ok])),
        analytic_power=analytic, seed=seed, seconds=time.perf_counter() - start,
        method=f"simulation ({method}, Wald {test} test)",
    )
