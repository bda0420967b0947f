"""Stepped-wedge analysis against R: lme4::lmer (REML), lme4::glmer (nAGQ=25), geepack::geeglm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate.stepped_wedge import fit_stepped_wedge
from mmsis.results import save_plot


def stepped_wedge_data(
    binary: bool,
    seed: int = 1,
    clusters: int = 12,
    periods: int = 5,
    m: int = 20,
    effect: float = 0.5,
) -> pd.DataFrame:
    """Clusters cross over one sequence per period; random cluster intercepts; period trend."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(clusters):
        start = 1 + c % (periods - 1)
        u = rng.normal(0, 0.4 if binary else 0.5)
        for p in range(periods):
            trt = int(p >= start)
            eta = 0.2 * p + effect * trt + u
            ys = (
                rng.binomial(1, 1 / (1 + np.exp(-(eta - 1))), size=m)
                if binary
                else eta + rng.normal(size=m)
            )
            rows += [(f"c{c}", p, trt, y) for y in ys]
    return pd.DataFrame(rows, columns=["cluster", "period", "trt", "y"])


@pytest.fixture(scope="module")
def r_reference(tmp_path_factory: pytest.TempPathFactory, r_lme4: None) -> dict[str, float]:
    """lmer, glmer and geeglm on the generated trials, in one R session (R starts slowly)."""
    from conftest import run_r  # type: ignore[import-not-found]

    folder = tmp_path_factory.mktemp("sw")
    stepped_wedge_data(binary=False).to_csv(folder / "g.csv", index=False)
    stepped_wedge_data(binary=True).to_csv(folder / "b.csv", index=False)
    out = run_r(f"""
        suppressMessages({{library(lme4); library(geepack)}})
        d <- read.csv("{folder / "g.csv"}"); d$period <- factor(d$period)
        m <- lmer(y ~ trt + period + (1 | cluster), data = d, REML = TRUE)
        b <- read.csv("{folder / "b.csv"}"); b$period <- factor(b$period)
        g <- glmer(y ~ trt + period + (1 | cluster), data = b, family = binomial, nAGQ = 25)
        b$id <- as.integer(factor(b$cluster)); b <- b[order(b$id), ]
        e <- geeglm(y ~ trt + period, id = id, data = b, family = binomial,
                    corstr = "exchangeable")
        cat(sprintf("%.12g", c(fixef(m)["trt"], sqrt(vcov(m)["trt", "trt"]),
                               as.data.frame(VarCorr(m))$vcov,
                               fixef(g)["trt"], sqrt(vcov(g)["trt", "trt"]),
                               as.data.frame(VarCorr(g))$vcov,
                               coef(e)["trt"], summary(e)$coefficients["trt", "Std.err"],
                               e$geese$alpha)))
    """)
    names = [
        "lmm_b",
        "lmm_se",
        "lmm_tau2",
        "lmm_s2",
        "glmm_b",
        "glmm_se",
        "glmm_s2",
        "gee_b",
        "gee_se",
        "gee_alpha",
    ]
    return dict(zip(names, map(float, out.split()), strict=True))


@pytest.mark.peer
def test_lmm_matches_lmer_reml(r_reference: dict[str, float]) -> None:
    ref = r_reference
    r = fit_stepped_wedge(stepped_wedge_data(binary=False), "y", "cluster", "period", "trt")
    eff = r.treatment_effect
    assert eff["estimate"] == pytest.approx(ref["lmm_b"], rel=1e-4)
    assert eff["se"] == pytest.approx(ref["lmm_se"], rel=1e-4)
    assert r.variance["cluster_var"] == pytest.approx(ref["lmm_tau2"], rel=1e-3)
    assert r.variance["residual_var"] == pytest.approx(ref["lmm_s2"], rel=1e-4)


@pytest.mark.peer
def test_binary_gee_and_glmm_match_geepack_and_glmer(r_reference: dict[str, float]) -> None:
    ref = r_reference
    df = stepped_wedge_data(binary=True)
    r = fit_stepped_wedge(df, "y", "cluster", "period", "trt", family="binomial")
    glmm, gee = r.effect("treatment_glmm"), r.effect("treatment_gee")
    assert glmm["estimate"] == pytest.approx(ref["glmm_b"], rel=1e-3)
    assert glmm["se"] == pytest.approx(ref["glmm_se"], rel=1e-3)
    assert r.variance["cluster_var"] == pytest.approx(ref["glmm_s2"], rel=1e-3)
    assert gee["estimate"] == pytest.approx(ref["gee_b"], rel=1e-6)
    assert gee["se"] == pytest.approx(ref["gee_se"], rel=1e-6)
    assert r.variance["gee_exchangeable_corr"] == pytest.approx(ref["gee_alpha"], rel=1e-6)


def test_lmm_recovers_a_large_effect_and_plots(tmp_path: Path) -> None:
    df = stepped_wedge_data(binary=False, seed=5, clusters=16, effect=1.0)
    r = fit_stepped_wedge(df, "y", "cluster", "period", "trt")
    eff = r.treatment_effect
    assert eff["ci_low"] < 1.0 < eff["ci_high"]
    assert r.n_clusters == 16 and r.n_periods == 5 and r.n == len(df)
    assert save_plot(r, tmp_path / "sw.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(trt=1), "no variation"),
        (
            lambda d: d.assign(
                trt=np.where((d["cluster"] == "c1") & (d["period"] == 4), 0, d["trt"])
            ),
            "back to control",
        ),
        (lambda d: d.assign(trt=np.where(d.index == 0, 1, d["trt"])), "varies within cluster"),
        (lambda d: d[d["cluster"].isin(["c0", "c1"])], "at least 3 clusters"),
    ],
)
def test_bad_input(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        fit_stepped_wedge(change(stepped_wedge_data(False)), "y", "cluster", "period", "trt")


def test_binary_outcome_must_be_0_1() -> None:
    df = stepped_wedge_data(binary=False)
    with pytest.raises(InputError, match="0/1"):
        fit_stepped_wedge(df, "y", "cluster", "period", "trt", family="binomial")


def unbalanced_trial(binary: bool, seed: int = 102) -> pd.DataFrame:
    """A stepped wedge with 2-29 individuals per cluster-period, rows shuffled."""
    rng = np.random.default_rng(seed)
    clusters, periods = int(rng.integers(6, 14)), int(rng.integers(3, 7))
    rows = []
    for c in range(clusters):
        start, u = 1 + c % (periods - 1), rng.normal(0, 0.5)
        for p in range(periods):
            m, trt = int(rng.integers(2, 30)), int(p >= start)
            eta = 0.15 * p + 0.4 * trt + u
            ys = (
                rng.binomial(1, 1 / (1 + np.exp(-(eta - 0.5))), m)
                if binary
                else eta + rng.normal(0, 1, m)
            )
            rows += [(f"k{c}", p, trt, y) for y in ys]
    df = pd.DataFrame(rows, columns=["cluster", "period", "trt", "y"])
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.peer
def test_unbalanced_lmm_and_gee_match_r_tightly(tmp_path: Path, r_lme4: None) -> None:
    """Unequal cluster-period sizes, R converged tightly: lmer to 1e-6 (statsmodels' default
    stopping left the cluster variance 3e-4 away on this design), geeglm to 1e-6."""
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available("geepack"):
        peer_missing("R with 'geepack' is not installed")
    g, b = unbalanced_trial(False), unbalanced_trial(True)
    g.to_csv(tmp_path / "g.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    out = run_r(f"""
        suppressMessages({{library(lme4); library(geepack)}})
        d <- read.csv("{tmp_path / "g.csv"}"); d$period <- factor(d$period)
        m <- lmer(y ~ trt + period + (1 | cluster), data = d, REML = TRUE,
                  control = lmerControl(optimizer = "bobyqa",
                                        optCtrl = list(rhobeg = 0.2, rhoend = 1e-10)))
        b <- read.csv("{tmp_path / "b.csv"}"); b$period <- factor(b$period)
        b$id <- as.integer(factor(b$cluster)); b <- b[order(b$id), ]
        e <- geeglm(y ~ trt + period, id = id, data = b, family = binomial,
                    corstr = "exchangeable", control = geese.control(epsilon = 1e-12))
        cat(sprintf("%.12g", c(fixef(m)["trt"], sqrt(vcov(m)["trt", "trt"]),
                               as.data.frame(VarCorr(m))$vcov, coef(e)["trt"],
                               summary(e)$coefficients["trt", "Std.err"], e$geese$alpha)))
    """)
    lb, lse, tau2, s2, gb, gse, alpha = map(float, out.split())
    r = fit_stepped_wedge(g, "y", "cluster", "period", "trt")
    assert r.treatment_effect["estimate"] == pytest.approx(lb, rel=1e-6)
    assert r.treatment_effect["se"] == pytest.approx(lse, rel=1e-6)
    assert r.variance["cluster_var"] == pytest.approx(tau2, rel=1e-5)
    assert r.variance["residual_var"] == pytest.approx(s2, rel=1e-6)
    e = fit_stepped_wedge(b, "y", "cluster", "period", "trt", family="binomial")
    assert e.effect("treatment_gee")["estimate"] == pytest.approx(gb, rel=1e-6)
    assert e.effect("treatment_gee")["se"] == pytest.approx(gse, rel=1e-6)
    assert e.variance["gee_exchangeable_corr"] == pytest.approx(alpha, rel=1e-6)
