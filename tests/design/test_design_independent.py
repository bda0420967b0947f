"""Independent re-computations of swPwr's GLS and CRTSize's t step on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mmsis.design import crt_clusters, crt_power, stepped_wedge_power, sw_matrix
from mmsis.errors import InputError


def _swpwr_variance(x, n, sigma2, tau=0.0, eta=0.0, rho=0.0, gamma=0.0) -> float:
    """swPwr 4.0 written out: intercept + J-1 period dummies + X, one dense block-diagonal W."""
    n_clusters, n_periods = x.shape
    n_mat = np.broadcast_to(np.asarray(n, dtype=float), x.shape).astype(float)
    rows, w = [], np.zeros((x.size, x.size))
    for i in range(n_clusters):
        for j in range(n_periods):
            row = np.zeros(n_periods + 1)
            row[0] = 1.0
            if j < n_periods - 1:
                row[1 + j] = 1.0
            row[-1] = x[i, j]
            rows.append(row)
        tr = (x[i] > 0).astype(float)
        with np.errstate(divide="ignore"):
            block = (tau**2 + np.diag(sigma2 / n_mat[i] + gamma**2) + eta**2 * np.outer(tr, tr)
                     + rho * eta * tau * np.add.outer(tr, tr))
        w[i * n_periods:(i + 1) * n_periods, i * n_periods:(i + 1) * n_periods] = block
    xmat = np.array(rows)
    keep = ~(np.isnan(x).ravel() | (n_mat.ravel() == 0))
    w, xmat = w[np.ix_(keep, keep)], xmat[keep]
    return float(np.linalg.inv(xmat.T @ np.linalg.solve(w, xmat))[-1, -1])


def _random_design(rng: np.random.Generator) -> np.ndarray:
    x = sw_matrix([int(c) for c in rng.integers(1, 4, size=int(rng.integers(2, 5)))],
                  int(rng.integers(0, 3)))
    return x


def test_fractional_effects_use_the_gls_not_the_hussey_hughes_closed_form() -> None:
    """swDsn's tx.effect < 1 in the first treated period: H&H's U, W, V assume X^2 = X.

    Before the fix mmsis used the closed form here: Var 0.010861 instead of 0.031180.
    """
    x = sw_matrix([2, 2, 2])
    for row in x:
        row[np.flatnonzero(row > 0)[0]] = 0.5
    res = stepped_wedge_power(x, n=40, mu0=0, mu1=0.3, sigma=1.0, tau=0.2)
    assert not res.closed_form
    assert res.var_theta == pytest.approx(_swpwr_variance(x, 40, 1.0, tau=0.2), rel=1e-9)
    z = stats.norm.ppf(0.975)
    d = 0.3 / math.sqrt(res.var_theta)
    assert res.power == pytest.approx(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z), rel=1e-12)


def test_random_designs_match_swpwr_written_out() -> None:
    """Uneven sequences, extra periods, missing and fractional cells, n scalar/vector/matrix,
    tau/eta/rho/gamma, icc/cac and binary outcomes against the dense swPwr computation."""
    rng = np.random.default_rng(20261130)
    for k in range(36):
        x = _random_design(rng)
        if k % 3 == 1:
            x[rng.integers(0, x.shape[0]), rng.integers(1, x.shape[1])] = np.nan
        if k % 3 == 2:
            for row in x:
                row[np.flatnonzero(row > 0)[0]] = float(rng.uniform(0.2, 0.8))
        n: float | np.ndarray = float(rng.integers(5, 100))
        if k % 4 == 1:
            n = rng.integers(5, 100, size=x.shape[0]).astype(float)[:, None] * np.ones(x.shape)
        elif k % 4 == 2:
            n = rng.integers(5, 100, size=x.shape).astype(float)
        binary = k % 2 == 0
        if binary:
            p0 = float(rng.uniform(0.1, 0.5))
            p1 = p0 + float(rng.uniform(0.05, 0.15))
            outcome = {"p0": p0, "p1": p1}
            sigma2, theta, scale = ((p0 + p1) / 2) * (1 - (p0 + p1) / 2), p1 - p0, 0.05
        else:
            outcome = {"mu0": 0.0, "mu1": 0.4, "sigma": 1.3}
            sigma2, theta, scale = 1.69, 0.4, 0.3
        if k % 5 < 3:
            comp = {"tau": float(rng.uniform(0.01, scale)), "eta": float(rng.uniform(0, scale)),
                    "rho": float(rng.uniform(-0.9, 0.9)), "gamma": float(rng.uniform(0, scale))}
            ref = _swpwr_variance(x, n, sigma2, **comp)
            res = stepped_wedge_power(x, n=n, **outcome, **comp)
        else:  # swPwr's icc/cac translation, written out here
            icc, cac = float(rng.uniform(0.01, 0.2)), float(rng.choice([1.0, 0.6]))
            gamma = math.sqrt(icc * sigma2 * (1 - cac) / (1 - icc))
            tau = (math.sqrt(sigma2 * icc / (1 - icc)) if cac == 1
                   else math.sqrt(gamma**2 * cac / (1 - cac)))
            ref = _swpwr_variance(x, n, sigma2, tau=tau, gamma=gamma)
            res = stepped_wedge_power(x, n=n, **outcome, icc=icc, cac=cac)
        assert res.var_theta == pytest.approx(ref, rel=1e-8), k
        z, d = stats.norm.ppf(0.975), abs(theta) / math.sqrt(ref)
        assert res.power == pytest.approx(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z),
                                          rel=1e-8), k


def test_binary_variance_bound_is_swpwr_strict() -> None:
    """swPwr stops only when tau^2 + eta^2 + gamma^2 > muBar(1 - muBar); equality is allowed."""
    kw = {"sequences": [2, 2], "n": 30, "p0": 0.25, "p1": 0.75}
    res = stepped_wedge_power(**kw, tau=0.5)  # tau^2 = 0.25 = 0.5 x 0.5 exactly
    assert res.var_theta > 0
    with pytest.raises(InputError) as err:
        stepped_wedge_power(**kw, tau=0.5, gamma=0.01)
    assert err.value.field == "tau"


def _t_step(prev: float, v: float, alpha: float, power: float) -> float:
    df = 2 * (prev - 1)
    return (stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) ** 2 * v


def test_large_effects_take_the_t_fixed_point_instead_of_failing() -> None:
    """CRTSize's t step oscillates when the normal answer is 1-3 clusters (it never stops);
    mmsis raised 'the t iteration did not converge'. Now: the fixed point n = t_step(n)."""
    pe, pc, m, icc, power = 0.35, 0.82, 35, 0.12, 0.72
    v = (pe * (1 - pe) + pc * (1 - pc)) * (1 + (m - 1) * icc) / (m * (pe - pc) ** 2)
    res = crt_clusters("proportion", pe=pe, pc=pc, m=m, icc=icc, power=power)
    c = res.clusters_per_arm_raw
    assert c == pytest.approx(_t_step(c, v, 0.05, power), rel=1e-9)
    # independently: the t step around c moves n across c (no other fixed point above 1)
    assert _t_step(c - 0.01, v, 0.05, power) > c - 0.01
    assert _t_step(c + 0.01, v, 0.05, power) < c + 0.01
    assert res.clusters_per_arm == math.ceil(c)
    # rates and means with big effects too
    assert crt_clusters("rate", rate1=0.02, rate0=0.2, person_time=400, k=0.1).clusters_per_arm >= 2
    big = crt_clusters("mean", difference=3, total_variance=2, m=20, icc=0.05)
    assert big.clusters_per_arm == 2
    assert crt_power("mean", 2, difference=3, total_variance=2, m=20, icc=0.05).power > 0.8


def _crtsize_loop(v: float, alpha: float, power: float) -> float | None:
    """CRTSize 1.2's n4props/n4means/n4incidence: normal n, then `while (abs(n - nTemp) > 1)`."""
    n = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) ** 2 * v
    if n < 30:
        previous, steps = 0.0, 0
        while abs(n - previous) > 1:
            steps += 1
            if steps > 200:
                return None  # CRTSize would not stop: covered by the fixed-point test
            previous = n
            n = _t_step(previous, v, alpha, power)
    return float(n)


def test_crt_clusters_follow_crtsize_loop_on_random_inputs() -> None:
    rng = np.random.default_rng(99)
    checked = 0
    for _ in range(60):
        alpha, power = float(rng.choice([0.01, 0.05, 0.1])), float(rng.uniform(0.7, 0.95))
        m, icc = int(rng.integers(2, 80)), float(rng.uniform(0.005, 0.3))
        pe, pc = sorted(float(p) for p in rng.uniform(0.05, 0.6, 2))
        de = 1 + (m - 1) * icc
        cases = {
            "proportion": ({"pe": pe, "pc": pc, "m": m, "icc": icc},
                           (pe * (1 - pe) + pc * (1 - pc)) * de / (m * (pe - pc) ** 2)),
            "mean": ({"difference": 0.4, "total_variance": 1.5, "m": m, "icc": icc},
                     2 * 1.5 * (1 + (m - 1) * icc) / (m * 0.16)),
            "rate": ({"rate1": 0.01, "rate0": 0.01 + pe / 20, "person_time": 50.0 * m, "k": icc},
                     (1 + icc**2 * (0.01**2 + (0.01 + pe / 20) ** 2) * 50 * m / (0.02 + pe / 20))
                     * (0.02 + pe / 20) / (50 * m * (pe / 20) ** 2)),
        }
        for outcome, (kw, v) in cases.items():
            ref = _crtsize_loop(v, alpha, power)
            if ref is None:
                continue
            res = crt_clusters(outcome, alpha=alpha, power=power, **kw)  # type: ignore[arg-type]
            assert res.clusters_per_arm_raw == pytest.approx(ref, rel=1e-9), (outcome, kw)
            checked += 1
    assert checked > 150


def test_vector_of_sizes_is_the_exact_gls_variance() -> None:
    """clusterPower's cpa.normal example (sizes 100, 50, 25, 100, 100; d 0.2; ICC 0.1; var 1).

    Arm means weighted by 1 / Var(cluster mean) give Var(diff) = 2 / sum(1 / Var(cluster mean)).
    clusterPower's default method="taylor" prints 0.13315 because it multiplies DEFF by van
    Breukelen's RE (<= 1) instead of dividing: more power than equal clusters, which cannot be.
    """
    sizes = np.array([100, 50, 25, 100, 100.0])
    icc, var, d = 0.1, 1.0, 0.2
    weights = sizes / ((1 - icc) * var + sizes * icc * var)  # 1 / Var(cluster mean)
    ncp = d / math.sqrt(2 / weights.sum())
    df = 2 * (sizes.size - 1)
    expected = float(stats.nct.sf(stats.t.isf(0.025, df), df, ncp))
    res = crt_power("mean", 5, sizes=list(sizes), difference=d, total_variance=var, icc=icc)
    assert res.power == pytest.approx(expected, rel=1e-9)
    assert res.power == pytest.approx(0.1279632, abs=1e-7)
    equal = crt_power("mean", 5, m=sizes.mean(), difference=d, total_variance=var, icc=icc)
    assert res.power < equal.power
