"""Stepped-wedge analysis against R: lme4::lmer (REML), lme4::glmer (nAGQ=25), geepack::geeglm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate.stepped_wedge import fit_stepped_wedge


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


def _r_effects(path: Path, script: str) -> list[float]:
    from conftest import run_r  # type: ignore[import-not-found]

    out = run_r(f'd <- read.csv("{path}"); d$period <- factor(d$period)\n' + script)
    return [float(v) for v in out.split()]


@pytest.mark.peer
def test_lmm_matches_lmer_reml(tmp_path: Path, r_lme4: None) -> None:
    df = stepped_wedge_data(binary=False)
    path = tmp_path / "sw.csv"
    df.to_csv(path, index=False)
    b, se, tau2, s2 = _r_effects(
        path,
        """
        suppressMessages(library(lme4))
        m <- lmer(y ~ trt + period + (1 | cluster), data = d, REML = TRUE)
        vc <- as.data.frame(VarCorr(m))$vcov
        cat(sprintf("%.12g", c(fixef(m)["trt"], sqrt(vcov(m)["trt", "trt"]), vc)))
    """,
    )
    r = fit_stepped_wedge(df, "y", "cluster", "period", "trt")
    eff = r.treatment_effect
    assert eff["estimate"] == pytest.approx(b, rel=1e-4)
    assert eff["se"] == pytest.approx(se, rel=1e-4)
    assert r.variance["cluster_var"] == pytest.approx(tau2, rel=1e-3)
    assert r.variance["residual_var"] == pytest.approx(s2, rel=1e-4)


@pytest.mark.peer
def test_binary_gee_and_glmm_match_geepack_and_glmer(tmp_path: Path, r_lme4: None) -> None:
    df = stepped_wedge_data(binary=True)
    path = tmp_path / "swb.csv"
    df.to_csv(path, index=False)
    g_b, g_se, g_s2, e_b, e_se, e_alpha = _r_effects(
        path,
        """
        suppressMessages({library(lme4); library(geepack)})
        g <- glmer(y ~ trt + period + (1 | cluster), data = d, family = binomial, nAGQ = 25)
        d$id <- as.integer(factor(d$cluster)); d <- d[order(d$id), ]
        e <- geeglm(y ~ trt + period, id = id, data = d, family = binomial,
                    corstr = "exchangeable")
        cat(sprintf("%.12g", c(fixef(g)["trt"], sqrt(vcov(g)["trt", "trt"]),
                               as.data.frame(VarCorr(g))$vcov,
                               coef(e)["trt"], summary(e)$coefficients["trt", "Std.err"],
                               e$geese$alpha)))
    """,
    )
    r = fit_stepped_wedge(df, "y", "cluster", "period", "trt", family="binomial")
    glmm, gee = r.effect("treatment_glmm"), r.effect("treatment_gee")
    assert glmm["estimate"] == pytest.approx(g_b, rel=1e-3)
    assert glmm["se"] == pytest.approx(g_se, rel=1e-3)
    assert r.variance["cluster_var"] == pytest.approx(g_s2, rel=1e-3)
    assert gee["estimate"] == pytest.approx(e_b, rel=1e-6)
    assert gee["se"] == pytest.approx(e_se, rel=1e-6)
    assert r.variance["gee_exchangeable_corr"] == pytest.approx(e_alpha, rel=1e-6)


def test_lmm_recovers_a_large_effect_and_plots(tmp_path: Path) -> None:
    df = stepped_wedge_data(binary=False, seed=5, clusters=16, effect=1.0)
    r = fit_stepped_wedge(df, "y", "cluster", "period", "trt")
    eff = r.treatment_effect
    assert eff["ci_low"] < 1.0 < eff["ci_high"]
    assert r.n_clusters == 16 and r.n_periods == 5 and r.n == len(df)
    assert r.plot(tmp_path / "sw.png").stat().st_size > 1000


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
