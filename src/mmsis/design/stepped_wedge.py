"""Stepped-wedge designs: layouts, Hussey & Hughes closed form, general GLS variance, power.

The model is swCRTdesign's (Hughes; Hussey & Hughes 2007): Y_ijk = mu + beta_j + X_ij theta + a_i +
X_ij r_i + s_ij + e_ijk with cluster intercept a_i (SD tau), random treatment effect r_i (SD eta,
correlation rho with a_i), cluster-period effect s_ij (SD gamma) and residual variance sigma^2.
Cells that are not observed are NaN in the design matrix (or 0 in the n matrix) and are dropped.
Power is the two-sided normal power of swPwr.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from mmsis.design import _checks
from mmsis.design.results import HooperResult, SteppedWedgePower, SwLayout, WoertmanResult
from mmsis.errors import InputError

FloatArray = NDArray[np.float64]


def sw_matrix(clusters_per_sequence: Sequence[int], extra_treated_periods: int = 0) -> FloatArray:
    """The 0/1 design matrix of swCRTdesign's swDsn: S sequences, S + 1 + extra periods."""
    seq = [int(c) for c in clusters_per_sequence]
    if len(seq) < 1 or any(c < 0 for c in seq) or sum(seq) < 1:
        raise InputError("needs non-negative cluster counts with at least one cluster",
                         field="sequences")
    if extra_treated_periods < 0 or int(extra_treated_periods) != extra_treated_periods:
        raise InputError("must be a whole number >= 0", field="extra_treated_periods")
    n_periods = len(seq) + 1 + int(extra_treated_periods)
    rows = []
    for s, count in enumerate(seq):
        row = np.zeros(n_periods)
        row[s + 1 :] = 1.0
        rows.extend([row] * count)
    return np.array(rows, dtype=float)


def _split(n: int, parts: int) -> list[int]:
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def sw_layout(
    districts: int | Sequence[str],
    sequences: int,
    *,
    extra_treated_periods: int = 0,
    seed: int | None = None,
) -> SwLayout:
    """Lay out a roll-out: districts split evenly over sequences (randomly if seeded)."""
    names = [f"cluster {i + 1}" for i in range(districts)] if isinstance(districts, int) else [
        str(d) for d in districts
    ]
    if int(sequences) != sequences or sequences < 1:
        raise InputError(f"must be a whole number >= 1, got {sequences!r}", field="sequences")
    if len(names) < sequences:
        raise InputError(f"{len(names)} districts cannot fill {sequences} sequences",
                         field="districts")
    counts = _split(len(names), int(sequences))
    order = list(range(len(names)))
    if seed is not None:
        order = [int(i) for i in np.random.default_rng(seed).permutation(len(names))]
    matrix = sw_matrix(counts, extra_treated_periods)
    assignment: list[dict[str, str | int]] = []
    pos = 0
    for s, count in enumerate(counts):
        for _ in range(count):
            assignment.append({"district": names[order[pos]], "sequence": s + 1,
                               "first_treated_period": s + 2})
            pos += 1
    return SwLayout(
        clusters_per_sequence=counts, n_periods=matrix.shape[1],
        extra_treated_periods=int(extra_treated_periods), matrix=matrix.tolist(),
        assignment=assignment,
        method="swDsn layout: period 1 all control, one sequence crosses over per period"
        + ("; random allocation of districts to sequences" if seed is not None else ""),
    )


def design_sums(design: ArrayLike) -> tuple[int, int, float, float, float]:
    """I, J and Hussey & Hughes' U (total treated), W (sum of column sums^2), V (row sums^2)."""
    x = np.asarray(design, dtype=float)
    return (x.shape[0], x.shape[1], float(x.sum()), float((x.sum(axis=0) ** 2).sum()),
            float((x.sum(axis=1) ** 2).sum()))


def hh_variance(
    n_clusters: ArrayLike, n_periods: ArrayLike, u: ArrayLike, w: ArrayLike, v: ArrayLike,
    sigma2: ArrayLike, tau2: ArrayLike,
) -> FloatArray:
    """Hussey & Hughes (2007) Var(theta), vectorised; sigma2 = variance of a cluster-period mean."""
    i, j, uu, ww, vv = (np.asarray(a, dtype=float) for a in (n_clusters, n_periods, u, w, v))
    s2, t2 = np.asarray(sigma2, dtype=float), np.asarray(tau2, dtype=float)
    num = i * s2 * (s2 + j * t2)
    den = (i * uu - ww) * s2 + (uu**2 + i * j * uu - j * ww - i * vv) * t2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(num / den, dtype=float)


def standard_design_sums(
    clusters_per_sequence: ArrayLike, sequences: ArrayLike, extra_treated_periods: ArrayLike = 0
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """I, J, U, W, V of standard designs (c clusters in each of S sequences), vectorised."""
    c = np.asarray(clusters_per_sequence, dtype=float)
    s = np.asarray(sequences, dtype=float)
    e = np.asarray(extra_treated_periods, dtype=float)
    j = s + 1 + e
    # row of sequence q (1..S) is treated J - q periods; column p (1..J) has min(p - 1, S) rows
    u = c * (s * j - s * (s + 1) / 2)
    v = c * (s * j**2 - j * s * (s + 1) + s * (s + 1) * (2 * s + 1) / 6)
    w = c**2 * ((s - 1) * s * (2 * s - 1) / 6 + s**2 * (e + 1))
    return c * s, j, u, w, v


def normal_power(theta: ArrayLike, var_theta: ArrayLike, alpha: float = 0.05) -> FloatArray:
    """Two-sided power of a Wald z test, counting both tails as swPwr does."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    d = np.abs(np.asarray(theta, dtype=float)) / np.sqrt(np.asarray(var_theta, dtype=float))
    return np.asarray(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z), dtype=float)


def _n_matrix(n: float | ArrayLike, shape: tuple[int, int]) -> FloatArray:
    arr = np.asarray(n, dtype=float)
    if arr.ndim == 0:
        out = np.full(shape, float(arr))
    elif arr.ndim == 1 and arr.size == shape[0]:
        out = np.repeat(arr[:, None], shape[1], axis=1)
    elif arr.shape == shape:
        out = arr.copy()
    else:
        raise InputError(f"n must be a number, one per cluster or a {shape[0]}x{shape[1]} matrix",
                         field="n")
    if np.any(~np.isfinite(out)) or np.any(out < 0):
        raise InputError("sample sizes must be numbers >= 0", field="n")
    return out


def _check_design(design: ArrayLike) -> FloatArray:
    x = np.asarray(design, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise InputError("the design must be a matrix of clusters x periods (>= 2 clusters)",
                         field="design")
    obs = x[~np.isnan(x)]
    if obs.size == 0 or np.any((obs < 0) | (obs > 1)):
        raise InputError("design entries must be 0/1 (fractions allowed) or NaN", field="design")
    return x


def resolve_design(
    design: ArrayLike | None, sequences: Sequence[int] | None, extra_treated_periods: int = 0
) -> FloatArray:
    """The design matrix from either a matrix or clusters per sequence (exactly one given)."""
    if design is None and sequences is not None:
        return sw_matrix(sequences, extra_treated_periods)
    if design is not None and sequences is None:
        return _check_design(design)
    raise InputError("give either a design matrix or the clusters per sequence",
                     field="sequences")


def gls_variance(
    design: ArrayLike,
    n: float | ArrayLike,
    sigma2: float,
    tau: float,
    eta: float = 0.0,
    rho: float = 0.0,
    gamma: float = 0.0,
) -> float:
    """Var(theta) from GLS with the swCRTdesign covariance; NaN cells or n = 0 are not observed.

    tau, eta and gamma are standard deviations (swPwr's convention); sigma2 the individual variance.
    """
    x = _check_design(design)
    n_mat = _n_matrix(n, x.shape)
    observed = ~np.isnan(x) & (n_mat > 0)
    n_periods = x.shape[1]
    keep_periods = observed.any(axis=0)
    p = int(keep_periods.sum()) + 1
    info = np.zeros((p, p))
    period_index = np.cumsum(keep_periods) - 1
    cache: dict[bytes, FloatArray] = {}
    for i in range(x.shape[0]):
        obs = observed[i]
        if not obs.any():
            continue
        xi = np.where(obs, x[i], 0.0)
        key = np.concatenate([xi, np.where(obs, n_mat[i], 0.0)]).tobytes()
        if key not in cache:
            cols = np.flatnonzero(obs)
            xo = xi[cols]
            treated = (xo > 0).astype(float)
            cov = (
                tau**2
                + np.diag(sigma2 / n_mat[i, cols] + gamma**2)
                + eta**2 * np.outer(treated, treated)
                + rho * eta * tau * (treated[:, None] + treated[None, :])
            )
            zmat = np.zeros((cols.size, p))
            zmat[np.arange(cols.size), period_index[cols]] = 1.0
            zmat[:, -1] = xo
            try:
                cache[key] = zmat.T @ np.linalg.solve(cov, zmat)
            except np.linalg.LinAlgError as exc:
                raise InputError("the covariance matrix is singular; check the variance "
                                 "components", field="tau") from exc
        info += cache[key]
    del n_periods
    # Schur complement of theta: its information after profiling out the period effects
    a, b, c = info[:-1, :-1], info[:-1, -1], info[-1, -1]
    try:
        schur = c - b @ np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        schur = 0.0
    if not schur > 1e-12 * max(c, 1e-300):
        raise InputError("the design matrix has no contrast: treatment cannot be separated from "
                         "the period effects", field="design")
    return float(1.0 / schur)


def icc_to_components(sigma2: float, icc: float, cac: float = 1.0) -> tuple[float, float]:
    """swPwr's translation of (icc, cac) into (tau, gamma) standard deviations."""
    icc = _checks.icc(icc)
    cac = _checks.unit(cac, "cac")
    if cac == 1.0:
        return math.sqrt(sigma2 * icc / (1 - icc)), 0.0
    gamma = math.sqrt(icc * sigma2 * (1 - cac) / (1 - icc))
    return math.sqrt(gamma**2 * cac / (1 - cac)), gamma


def stepped_wedge_power(
    design: ArrayLike | None = None,
    *,
    sequences: Sequence[int] | None = None,
    extra_treated_periods: int = 0,
    n: float | ArrayLike,
    p0: float | None = None,
    p1: float | None = None,
    mu0: float | None = None,
    mu1: float | None = None,
    sigma: float | None = None,
    tau: float | None = None,
    icc: float | None = None,
    cac: float | None = None,
    eta: float = 0.0,
    rho: float = 0.0,
    gamma: float = 0.0,
    alpha: float = 0.05,
) -> SteppedWedgePower:
    """Power of a stepped-wedge trial (swCRTdesign swPwr, cross-sectional).

    Binary outcomes (p0, p1) use sigma^2 = pbar(1 - pbar), pbar = (p0 + p1)/2, as swPwr does.
    The Hussey & Hughes closed form is used when eta = gamma = 0, n is one number and every cell
    is observed and 0/1; otherwise (fractional effects too) the GLS variance.
    """
    x = resolve_design(design, sequences, extra_treated_periods)
    alpha = _checks.probability(alpha, "alpha")
    binary = p0 is not None or p1 is not None
    if binary:
        if p0 is None or p1 is None or mu0 is not None or mu1 is not None:
            raise InputError("a binary outcome needs --p0 and --p1 (and no --mu0/--mu1)",
                             field="p0" if p0 is None else "p1")
        p0 = _checks.probability(p0, "p0")
        p1 = _checks.probability(p1, "p1")
        _checks.different(p0, p1, "p1")
        pbar = (p0 + p1) / 2
        sigma2 = pbar * (1 - pbar)
        theta = p1 - p0
    else:
        if mu0 is None or mu1 is None:
            raise InputError("give --p0/--p1 (binary) or --mu0/--mu1 with --sigma",
                             field="mu0" if mu0 is None else "mu1")
        if sigma is None:
            raise InputError("a continuous outcome needs sigma", field="sigma")
        sigma2 = _checks.positive(sigma, "sigma") ** 2
        _checks.different(mu0, mu1, "mu1")
        theta = mu1 - mu0
    if tau is not None and (icc is not None or cac is not None):
        raise InputError("give either tau (random effects) or icc/cac, not both", field="tau")
    if tau is None:
        if icc is None:
            raise InputError("give the between-cluster SD tau or the ICC", field="tau")
        if eta or rho:
            raise InputError("the icc/cac parameterisation assumes eta = rho = 0", field="eta")
        if gamma:
            raise InputError("with icc/cac, gamma comes from cac; do not give it", field="gamma")
        tau, gamma = icc_to_components(sigma2, icc, 1.0 if cac is None else cac)
    tau = _checks.nonnegative(tau, "tau")
    eta = _checks.nonnegative(eta, "eta")
    gamma = _checks.nonnegative(gamma, "gamma")
    if not -1.0 <= rho <= 1.0:
        raise InputError(f"must be in [-1, 1], got {rho}", field="rho")
    if rho != 0 and (tau == 0 or eta == 0):
        raise InputError("rho must be 0 when tau or eta is 0", field="rho")
    if binary and tau**2 + eta**2 + gamma**2 > sigma2:  # swPwr stops only above muBar(1-muBar)
        raise InputError("tau^2 + eta^2 + gamma^2 must not exceed pbar(1 - pbar) for a binary "
                         "outcome", field="tau")
    n_arr = np.asarray(n, dtype=float)
    if n_arr.ndim == 0 and not (n_arr > 0):
        raise InputError(f"must be > 0, got {n!r}", field="n")
    # H&H's U, W, V assume X_ij^2 = X_ij: fractional effects (swDsn tx.effect) need the GLS
    closed = (eta == 0 and gamma == 0 and n_arr.ndim == 0 and not np.isnan(x).any()
              and bool(np.all((x == 0) | (x == 1))))
    if closed:
        i, j, u, w, v = design_sums(x)
        var = float(hh_variance(i, j, u, w, v, sigma2 / float(n_arr), tau**2))
        if not (np.isfinite(var) and var > 0):
            raise InputError("the design matrix has no contrast: treatment cannot be separated "
                             "from the period effects", field="design")
        method = "Hussey & Hughes 2007 closed form"
    else:
        var = gls_variance(x, n_arr, sigma2, tau, eta, rho, gamma)
        method = "GLS variance (swCRTdesign swPwr model)"
    power = float(normal_power(theta, var, alpha))
    return SteppedWedgePower(
        power=power, var_theta=var, se=math.sqrt(var), theta=theta, alpha=alpha,
        n_clusters=x.shape[0], n_periods=x.shape[1], tau=tau, eta=eta, rho=rho, gamma=gamma,
        sigma2=sigma2, closed_form=closed,
        method=method + ("; binary: sigma^2 = pbar(1-pbar)" if binary else ""),
    )


def woertman(
    n: int, k: int, t: int, b: int, rho: float, *, n_individual: float | None = None
) -> WoertmanResult:
    """Woertman et al. (2013) correction factor, corrected with -1 in the denominator (Baio 2015).

    CF = [1 + rho(ktn + bn - 1)] / [1 + rho(ktn/2 + bn - 1)] x 3(1 - rho) / [2t(k - 1/k)];
    the design effect (b + kt) CF multiplies the individually randomised total sample size.
    """
    for name, val, low in (("n", n, 1), ("k", k, 2), ("t", t, 1), ("b", b, 0)):
        if int(val) != val or val < low:
            raise InputError(f"must be a whole number >= {low}, got {val!r}", field=name)
    rho = _checks.icc(rho, "rho")
    cf = ((1 + rho * (k * t * n + b * n - 1)) / (1 + rho * (k * t * n / 2 + b * n - 1))
          * 3 * (1 - rho) / (2 * t * (k - 1 / k)))
    de = (b + k * t) * cf
    total = clusters = None
    if n_individual is not None:
        n_individual = _checks.positive(n_individual, "n_individual")
        total = n_individual * de
        clusters = total / (n * (b + k * t))
    return WoertmanResult(
        cf=cf, design_effect=de, n=int(n), k=int(k), t=int(t), b=int(b), rho=rho,
        n_individual=n_individual, n_total=total, clusters=clusters,
        method="Woertman et al. 2013 with the -1 correction (Baio et al. 2015)",
    )


def hooper_design_effect(
    design: ArrayLike | None = None,
    *,
    sequences: Sequence[int] | None = None,
    extra_treated_periods: int = 0,
    m: int,
    icc: float,
    cac: float = 1.0,
) -> HooperResult:
    """Hooper et al. (2016) design effect with cluster autocorrelation (cross-sectional).

    Total variance 1: tau^2 = icc cac, gamma^2 = icc (1 - cac), sigma^2 = 1 - icc. The design
    effect is N_total Var(theta) / 4: total observations over all periods = DE x the total of an
    individually randomised trial (Woertman's (b + kt) CF). ``design_effect_per_period`` divides
    by the number of periods (per measurement occasion, e.g. (1 + (m-1) ICC)(1 - r^2) for a
    cluster trial with a baseline period).
    """
    x = resolve_design(design, sequences, extra_treated_periods)
    icc = _checks.icc(icc)
    cac = _checks.unit(cac, "cac")
    if int(m) != m or m < 1:
        raise InputError(f"must be a whole number >= 1, got {m!r}", field="m")
    tau2, gamma2, sigma2 = icc * cac, icc * (1 - cac), 1 - icc
    var = gls_variance(x, m, sigma2, math.sqrt(tau2), gamma=math.sqrt(gamma2))
    n_total = int(np.sum(~np.isnan(x)) * m)
    return HooperResult(
        design_effect=n_total * var / 4, design_effect_per_period=n_total * var / 4 / x.shape[1],
        var_theta=var, icc=icc, cac=cac, m=float(m),
        n_total=n_total, method="Hooper et al. 2016: N Var(theta)/4 with ICC and CAC",
    )
