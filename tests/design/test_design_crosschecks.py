"""Independent derivations that the design formulas must agree with, beyond the reference cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmsis.design import (
    crt_clusters,
    crt_power,
    gls_variance,
    hooper_design_effect,
    individual_means,
    individual_proportions,
    stepped_wedge_power,
    survey_sample_size,
    sw_layout,
    sw_matrix,
    woertman,
)
from mmsis.design.crt import design_effect_cv, design_effect_sizes
from mmsis.design.stepped_wedge import design_sums, hh_variance, standard_design_sums


def _brute_force_variance(x, n, sigma2, tau, eta=0.0, rho=0.0, gamma=0.0) -> float:
    """Dense individual-level GLS: one row per person, the full covariance written out."""
    rows, cols = np.nonzero(~np.isnan(x))
    cl, per, trt = [], [], []
    for i, j in zip(rows, cols, strict=True):
        cl += [i] * n
        per += [j] * n
        trt += [x[i, j]] * n
    cl, per, trt = np.array(cl), np.array(per), np.array(trt)
    cell = cl * 1000 + per
    same_cl = cl[:, None] == cl[None, :]
    tr = (trt > 0).astype(float)
    cov = same_cl * (tau**2 + eta**2 * np.outer(tr, tr) + rho * eta * tau * (tr[:, None] + tr))
    cov = cov + (cell[:, None] == cell[None, :]) * gamma**2 + np.eye(cl.size) * sigma2
    periods = np.unique(per)
    design = np.column_stack([(per[:, None] == periods).astype(float), trt])
    info = design.T @ np.linalg.solve(cov, design)
    return float(np.linalg.inv(info)[-1, -1])


def test_gls_equals_dense_individual_gls_with_all_random_effects() -> None:
    x = sw_matrix([1, 2, 1], extra_treated_periods=1)
    x[0, 4] = np.nan  # an incomplete design: one cell not observed
    for kw in ({"tau": 0.5}, {"tau": 0.4, "eta": 0.3, "rho": 0.4}, {"tau": 0.3, "gamma": 0.2},
               {"tau": 0.4, "eta": 0.2, "rho": -0.5, "gamma": 0.3}):
        got = gls_variance(x, 3, 1.3, **kw)
        assert got == pytest.approx(_brute_force_variance(x, 3, 1.3, **kw), rel=1e-9)


def test_gls_equals_hussey_hughes_when_no_eta_or_gamma() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n_seq = int(rng.integers(2, 6))
        seqs = [int(c) for c in rng.integers(1, 5, size=n_seq)]
        x = sw_matrix(seqs, int(rng.integers(0, 3)))
        n, s2, tau = int(rng.integers(5, 200)), float(rng.uniform(0.1, 2)), rng.uniform(0, 0.5)
        closed = hh_variance(*design_sums(x), s2 / n, tau**2)
        assert gls_variance(x, n, s2, float(tau)) == pytest.approx(float(closed), rel=1e-9)


def test_standard_design_sums_match_matrix_sums() -> None:
    for c in (1, 3, 6):
        for s in (2, 4, 7):
            for e in (0, 2):
                expected = design_sums(sw_matrix([c] * s, e))
                assert np.allclose(standard_design_sums(c, s, e), expected)


def test_nan_cells_equal_zero_n_cells_and_lose_information() -> None:
    x = sw_matrix([2, 2, 2])
    complete = gls_variance(x, 20, 1.0, 0.3)
    xn = x.copy()
    xn[0, 3] = np.nan
    n = np.full(x.shape, 20.0)
    n[0, 3] = 0
    assert gls_variance(xn, 20, 1.0, 0.3) == pytest.approx(gls_variance(x, n, 1.0, 0.3), rel=1e-12)
    assert gls_variance(xn, 20, 1.0, 0.3) > complete


def _woertman_matrix(k: int, t: int, b: int) -> np.ndarray:
    x = np.zeros((k, b + k * t))
    for i in range(k):
        x[i, b + i * t :] = 1.0
    return x


@pytest.mark.parametrize(("n", "k", "t", "b", "rho"),
                         [(10, 4, 1, 1, 0.05), (15, 5, 2, 2, 0.1), (30, 3, 3, 1, 0.01)])
def test_woertman_equals_hooper_and_hussey_hughes(n, k, t, b, rho) -> None:
    """Woertman's (b + kt) CF is the Hooper design effect at CAC = 1 for the same layout."""
    wo = woertman(n, k, t, b, rho)
    ho = hooper_design_effect(_woertman_matrix(k, t, b), m=n, icc=rho, cac=1.0)
    assert wo.design_effect == pytest.approx(ho.design_effect, rel=1e-9)


def test_hooper_equals_hussey_hughes_on_cluster_period_means() -> None:
    """With CAC < 1 the cluster-period means follow H&H with s^2 = gamma^2 + sigma^2/m."""
    x = sw_matrix([3, 3, 3, 3])
    m, icc, cac = 25, 0.05, 0.6
    ho = hooper_design_effect(sequences=[3, 3, 3, 3], m=m, icc=icc, cac=cac)
    s2 = icc * (1 - cac) + (1 - icc) / m
    var = float(hh_variance(*design_sums(x), s2, icc * cac))
    assert ho.var_theta == pytest.approx(var, rel=1e-9)
    assert ho.design_effect == pytest.approx(x.size * m * var / 4, rel=1e-12)
    # a lower autocorrelation costs power in a stepped wedge
    assert ho.design_effect > hooper_design_effect(sequences=[3] * 4, m=m, icc=icc).design_effect


def test_hooper_parallel_designs_match_textbook_design_effects() -> None:
    m, icc = 20, 0.05
    parallel = np.array([[0.0], [0.0], [1.0], [1.0]])
    assert hooper_design_effect(parallel, m=m, icc=icc).design_effect == pytest.approx(
        1 + (m - 1) * icc, rel=1e-12)
    baseline = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    for cac in (1.0, 0.5):
        r = m * icc * cac / (1 + (m - 1) * icc)  # cluster-mean autocorrelation
        got = hooper_design_effect(baseline, m=m, icc=icc, cac=cac).design_effect_per_period
        assert got == pytest.approx((1 + (m - 1) * icc) * (1 - r**2), rel=1e-12)


def test_icc_parameterisation_matches_random_effects() -> None:
    a = stepped_wedge_power(sequences=[2, 2, 2], n=30, mu0=0, mu1=0.4, sigma=1.5, icc=0.1,
                            cac=0.5)
    sigma2 = 2.25
    gamma = math.sqrt(0.1 * sigma2 * 0.5 / 0.9)
    b = stepped_wedge_power(sequences=[2, 2, 2], n=30, mu0=0, mu1=0.4, sigma=1.5, tau=gamma,
                            gamma=gamma)
    assert a.var_theta == pytest.approx(b.var_theta, rel=1e-12)
    # implied ICC and CAC
    assert (a.tau**2 + a.gamma**2) / (a.tau**2 + a.gamma**2 + sigma2) == pytest.approx(0.1)
    assert a.tau**2 / (a.tau**2 + a.gamma**2) == pytest.approx(0.5)


def test_extra_periods_and_more_clusters_raise_power() -> None:
    base = stepped_wedge_power(sequences=[3] * 4, n=50, p0=0.4, p1=0.5, tau=0.05)
    assert stepped_wedge_power(sequences=[3] * 4, n=50, p0=0.4, p1=0.5, tau=0.05,
                               extra_treated_periods=2).power > base.power
    assert stepped_wedge_power(sequences=[4] * 4, n=50, p0=0.4, p1=0.5, tau=0.05).power > base.power


def test_crt_design_effects() -> None:
    assert design_effect_sizes([20] * 7, 0.05) == pytest.approx(1 + 19 * 0.05)
    sizes = np.array([10, 40, 25, 80, 5, 60.0])
    cv = sizes.std() / sizes.mean()  # population CV
    assert design_effect_sizes(sizes, 0.03, "size") == pytest.approx(
        design_effect_cv(sizes.mean(), cv, 0.03))
    # GLS weights are never worse than size weights
    assert design_effect_sizes(sizes, 0.03) <= design_effect_sizes(sizes, 0.03, "size")
    res = crt_clusters("proportion", pe=0.3, pc=0.4, sizes=list(sizes), icc=0.03)
    assert res.m == pytest.approx(sizes.mean())


def test_crt_t_iteration_and_power_roundtrip() -> None:
    z = crt_clusters("mean", difference=0.5, total_variance=1, m=20, icc=0.05,
                     small_sample="none")
    t = crt_clusters("mean", difference=0.5, total_variance=1, m=20, icc=0.05)
    fixed = crt_clusters("mean", difference=0.5, total_variance=1, m=20, icc=0.05,
                         t_tolerance=1e-12)
    assert z.clusters_per_arm_raw < 30
    assert t.clusters_per_arm_raw > z.clusters_per_arm_raw
    from scipy import stats

    c = fixed.clusters_per_arm_raw
    df = 2 * (c - 1)
    v = 2 * 1 * (1 + 19 * 0.05) / 20
    assert c == pytest.approx(
        (stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) ** 2 * v / 0.25, rel=1e-9)
    hb = crt_clusters("mean", difference=0.5, total_variance=1, m=20, icc=0.05,
                      small_sample="hayes-bennett")
    assert hb.clusters_per_arm_raw == pytest.approx(z.clusters_per_arm_raw + 1)
    # power at the rounded-up answer reaches the target (noncentral t, 2(c-1) df)
    pw = crt_power("mean", t.clusters_per_arm, difference=0.5, total_variance=1, m=20, icc=0.05)
    assert pw.power >= 0.8


def test_crt_rates_match_hayes_bennett_and_crtsize_n4incidence() -> None:
    r1, r0, y, k = 0.01, 0.02, 1000.0, 0.25
    res = crt_clusters("rate", rate1=r1, rate0=r0, person_time=y, k=k, small_sample="none")
    # CRTSize n4incidence: IF = 1 + CV^2 (le^2 + lc^2) T / (le + lc)
    inflation = 1 + k**2 * (r1**2 + r0**2) * y / (r1 + r0)
    crtsize = inflation * (1.959963984540054 + 0.8416212335729143) ** 2 * (r1 + r0) / (
        y * (r1 - r0) ** 2)
    assert res.clusters_per_arm_raw == pytest.approx(crtsize, rel=1e-9)


def test_individual_textbook_values() -> None:
    # Fleiss: 0.6 vs 0.4, alpha 0.05, power 0.8 -> 97 per group (no continuity correction)
    assert individual_proportions(0.6, 0.4).n_per_arm == 97
    # t test: d = 0.5 -> 64 per group (Cohen)
    assert individual_means(0.5, 1.0).n_per_arm == 64
    assert individual_means(0.5, 1.0, n_per_arm=64).power == pytest.approx(0.8, abs=0.01)


def test_survey_textbook_values() -> None:
    assert survey_sample_size(0.5, 0.05).n_total == 385  # 384.1 rounded up
    assert survey_sample_size(0.5, 0.05, population=1000).n_total == 278
    r = survey_sample_size(0.4, 0.1, relative=True, icc=0.05, take=20, nonresponse=0.1)
    n0 = 1.959963984540054**2 * 0.4 * 0.6 / 0.04**2
    assert r.n_total == math.ceil(n0 * 1.95 / 0.9)
    assert r.clusters == math.ceil(r.n_total / 20)


def test_layout_splits_evenly_and_randomises_reproducibly() -> None:
    lay = sw_layout(26, 4, extra_treated_periods=2, seed=3)
    assert lay.clusters_per_sequence == [7, 7, 6, 6]
    assert lay.n_periods == 7
    assert np.array(lay.matrix).shape == (26, 7)
    assert lay.assignment == sw_layout(26, 4, extra_treated_periods=2, seed=3).assignment
    assert lay.assignment != sw_layout(26, 4, extra_treated_periods=2, seed=4).assignment
    assert sorted(a["district"] for a in lay.assignment) == sorted(
        f"cluster {i + 1}" for i in range(26))
