"""Controlled ITS: a common shock is not credited to the intervention; agrees with R's glm."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate import fit_its
from mmsis.evaluate.controlled_its import fit_controlled_its

T0 = 36


def _two_series(seed: int = 7, effect: float = 1.25, shock: float = 0.85) -> pd.DataFrame:
    """60 months; at T0 both series drop by `shock` (e.g. a register change) and the treated
    series also rises by `effect` (the intervention)."""
    rng = np.random.default_rng(seed)
    t = np.arange(60)
    rows = []
    for g, base, trend in ((0, 400.0, 0.002), (1, 300.0, 0.004)):
        post = (t >= T0).astype(int)
        pop = 10_000 + 20 * t + 1000 * g
        mu = base * pop / 10_000 * np.exp(trend * t) * shock**post * (effect**post if g else 1)
        for i in t:
            rows.append({"month": int(i), "treated": g, "post": int(post[i]),
                         "clients": int(rng.poisson(mu[i])), "pop": int(pop[i])})
    return pd.DataFrame(rows)


def test_recovers_the_effect_beyond_a_common_shock() -> None:
    df = _two_series()
    r = fit_controlled_its(df, "clients", "month", "treated", "post", offset="pop")
    lc = r.level_change
    assert lc["ci_low"] < 1.25 < lc["ci_high"]
    assert lc["rr"] == pytest.approx(1.25, abs=0.05)
    assert r.common_level_change["rr"] == pytest.approx(0.85, abs=0.04)
    assert any("also changed" in w for w in r.warnings)
    # a plain ITS of the treated series alone credits the shock to the intervention
    plain = fit_its(df[df.treated == 1], "clients", "month", "post", offset="pop")
    assert plain.level_change["rr"] < 1.15
    assert r.n == 120 and r.n_pre == T0 and r.n_post == 60 - T0
    # the counterfactual follows the control's changes: below the treated series after T0
    post = r.series[(r.series.treated == 1) & (r.series.intervention == 1)]
    assert (post["counterfactual"] < post["fitted"]).all()


@pytest.mark.peer
def test_agrees_with_r_glm(tmp_path: Path) -> None:
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available():
        peer_missing("R (Rscript) is not installed")
    df = _two_series(seed=11)
    df.to_csv(tmp_path / "cits.csv", index=False)
    out = run_r(
        f"""
        d <- read.csv("{tmp_path / "cits.csv"}")
        d$ps <- (d$month - {T0}) * d$post
        p <- glm(clients ~ month + post + treated + treated:month + treated:post
                 + offset(log(pop)), family = poisson, data = d)
        q <- glm(clients ~ month + post + ps + treated + treated:month + treated:post
                 + treated:ps + offset(log(pop)), family = quasipoisson, data = d)
        g <- lm(I(clients / pop) ~ month + post + treated + treated:month + treated:post,
                data = d)
        cat(sprintf("%.12g", c(coef(p)["post:treated"], sqrt(diag(vcov(p)))["post:treated"],
                               coef(p)["post"],
                               coef(q)["post:treated"], sqrt(diag(vcov(q)))["post:treated"],
                               coef(q)["ps:treated"], sqrt(diag(vcov(q)))["ps:treated"],
                               summary(q)$dispersion,
                               coef(g)["post:treated"], sqrt(diag(vcov(g)))["post:treated"])))
        """
    )
    b, se, common, qb, qse, qs, qsse, qdisp, gb, gse = map(float, out.split())
    r = fit_controlled_its(df, "clients", "month", "treated", "post", offset="pop")
    assert r.level_change["estimate"] == pytest.approx(b, rel=1e-6)
    assert r.level_change["se"] == pytest.approx(se, rel=1e-6)
    assert r.common_level_change["estimate"] == pytest.approx(common, rel=1e-6)
    q = fit_controlled_its(df, "clients", "month", "treated", "post", offset="pop",
                           family="quasipoisson", slope_change=True,
                           slope_origin="first-post")  # R's ps = (month - T0) * post
    assert q.level_change["estimate"] == pytest.approx(qb, rel=1e-6)
    assert q.level_change["se"] == pytest.approx(qse, rel=1e-6)
    assert q.slope_change is not None
    assert q.slope_change["estimate"] == pytest.approx(qs, rel=1e-6)
    assert q.slope_change["se"] == pytest.approx(qsse, rel=1e-6)
    assert q.dispersion == pytest.approx(qdisp, rel=1e-5)  # R stops at its epsilon 1e-8
    gfit = fit_controlled_its(df, "clients", "month", "treated", "post", offset="pop",
                              family="gaussian")
    assert gfit.level_change["estimate"] == pytest.approx(gb, rel=1e-6)
    assert gfit.level_change["se"] == pytest.approx(gse, rel=1e-6)


def test_newey_west_and_seasonality_change_the_standard_errors() -> None:
    df = _two_series(seed=3)
    df["period"] = [202001 + (m // 12) * 100 + m % 12 for m in df["month"]]
    base = fit_controlled_its(df, "clients", "period", "treated", "post", offset="pop")
    hac = fit_controlled_its(df, "clients", "period", "treated", "post", offset="pop",
                             newey_west=3)
    seas = fit_controlled_its(df, "clients", "period", "treated", "post", offset="pop",
                              harmonics=2)
    assert hac.level_change["estimate"] == pytest.approx(base.level_change["estimate"])
    assert hac.level_change["se"] != pytest.approx(base.level_change["se"], rel=1e-3)
    assert "Newey-West" in hac.se_type
    assert {"sin1", "cos1", "sin2", "cos2"} <= set(seas.summary["term"])


def test_bad_input_names_the_problem() -> None:
    df = _two_series()
    with pytest.raises(InputError, match="same time points"):
        fit_controlled_its(df.drop(index=[5]), "clients", "month", "treated", "post")
    moved = df.copy()
    moved.loc[(moved.treated == 0) & (moved.month == T0), "post"] = 0
    with pytest.raises(InputError, match="same post-intervention") as info:
        fit_controlled_its(moved, "clients", "month", "treated", "post")
    assert info.value.column == "post"
    with pytest.raises(InputError, match="no rows of the control"):
        fit_controlled_its(df[df.treated == 1], "clients", "month", "treated", "post")
    text = df.astype({"clients": object})
    text.loc[65, "clients"] = "n/a"  # a treated row: the error names the file's row
    with pytest.raises(InputError) as info:
        fit_controlled_its(text, "clients", "month", "treated", "post", file="c.csv")
    assert info.value.row == 66 and info.value.column == "clients"


def test_cli_prints_json_and_plots(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mmsis.cli import app

    path = tmp_path / "cits.csv"
    _two_series().to_csv(path, index=False)
    res = CliRunner().invoke(app, ["evaluate", "cits", str(path), "--outcome", "clients",
                                   "--time", "month", "--group", "treated", "--intervention",
                                   "post", "--offset", "pop", "--plot",
                                   str(tmp_path / "c.png"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["level_change"]["rr"] == pytest.approx(1.25, abs=0.05)
    assert (tmp_path / "c.png").stat().st_size > 1000


def _overdispersed_pair(seed: int = 3, n: int = 40) -> pd.DataFrame:
    """Two negative-binomial series with AR(1) noise, a season and a treated-only rise at 21."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in (0, 1):
        e = 0.0
        for t in range(1, n + 1):
            e = 0.5 * e + rng.normal(0, 0.07)
            d, month, pop = int(t >= 21), (t - 1) % 12 + 1, rng.uniform(5000, 9000)
            eta = np.log(pop) - 4 + 0.003 * t + 0.1 * d + 0.2 * g * d + 0.3 * g
            mu = np.exp(eta + 0.1 * np.cos(2 * np.pi * month / 12) + e)
            rows.append((t, month, g, d, rng.negative_binomial(15, 15 / (15 + mu)), pop))
    return pd.DataFrame(rows, columns=["time", "month", "g", "d", "y", "pop"])


@pytest.mark.peer
def test_negbin_harmonics_panel_newey_west_match_r_vcovpl(tmp_path: Path) -> None:
    """Panel Newey-West is sandwich::vcovPL(cluster = ~group, order.by = ~time, lag = L,
    adjust = FALSE, aggregate = FALSE); statsmodels' hac-panel was 6.9% larger (n/(n-k))."""
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available("MASS", "sandwich"):
        peer_missing("R with 'MASS' and 'sandwich' is not installed")
    df = _overdispersed_pair()
    df.to_csv(tmp_path / "pair.csv", index=False)
    out = run_r(
        f"""
        suppressMessages({{library(MASS); library(sandwich)}})
        d <- read.csv("{tmp_path / "pair.csv"}")
        d$ps <- (d$time - 21) * d$d
        f <- y ~ time + d + ps + g + g:time + g:d + g:ps + sin(2*pi*month/12) +
             cos(2*pi*month/12) + offset(log(pop))
        m <- glm.nb(f, data = d, control = glm.control(epsilon = 1e-12, maxit = 100))
        v <- vcovPL(m, cluster = ~g, order.by = ~time, lag = 3, adjust = FALSE,
                    aggregate = FALSE)
        q <- glm(f, family = quasipoisson, data = d)
        w <- vcovPL(q, cluster = ~g, order.by = ~time, lag = 2, adjust = FALSE,
                    aggregate = FALSE)
        cat(sprintf("%.12g", c(coef(m)[c("d:g", "ps:g")], sqrt(diag(v))[c("d:g", "ps:g")],
                               1 / m$theta, coef(q)["d:g"], sqrt(diag(w))["d:g"])))
        """
    )
    b, bs, se, ses, alpha, qb, qse = map(float, out.split())
    kw = {"offset": "pop", "slope_change": True, "harmonics": 1, "season": "month",
          "slope_origin": "first-post"}  # R's ps = (time - 21) * d
    r = fit_controlled_its(df, "y", "time", "g", "d", family="negbin", newey_west=3, **kw)  # type: ignore[arg-type]
    assert r.slope_change is not None
    # glm.nb's iterative ML (theta to ~1e-6 relative), hence 1e-4
    assert r.level_change["estimate"] == pytest.approx(b, rel=1e-4)
    assert r.slope_change["estimate"] == pytest.approx(bs, rel=1e-4)
    assert r.level_change["se"] == pytest.approx(se, rel=1e-4)
    assert r.slope_change["se"] == pytest.approx(ses, rel=1e-4)
    assert r.dispersion == pytest.approx(alpha, rel=1e-4)
    q = fit_controlled_its(df, "y", "time", "g", "d", family="quasipoisson", newey_west=2, **kw)  # type: ignore[arg-type]
    assert q.level_change["estimate"] == pytest.approx(qb, rel=1e-6)
    assert q.level_change["se"] == pytest.approx(qse, rel=1e-6)


@pytest.mark.peer
@pytest.mark.parametrize("origin, shift", [("last-pre", 1), ("first-post", 0)])
def test_slope_origin_matches_r(tmp_path: Path, origin: str, shift: int) -> None:
    """last-pre codes the time since the interruption 1 at the first post month (Lopez Bernal
    et al.'s I(time - 36) for a start at 37); first-post codes it 0 (Stata's itsa)."""
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available():
        peer_missing("R is not installed")
    df = _two_series(seed=5)
    df.to_csv(tmp_path / "cits.csv", index=False)
    out = run_r(
        f"""
        d <- read.csv("{tmp_path / "cits.csv"}")
        d$ps <- (d$month - {T0 - shift}) * d$post
        q <- glm(clients ~ month + post + ps + treated + treated:month + treated:post
                 + treated:ps + offset(log(pop)), family = quasipoisson, data = d)
        s <- coef(summary(q))
        cat(sprintf("%.12g", c(s["post:treated", 1:2], s["ps:treated", 1:2], s["post", 1])))
        """
    )
    b, se, bs, ses, common = map(float, out.split())
    r = fit_controlled_its(df, "clients", "month", "treated", "post", offset="pop",
                           family="quasipoisson", slope_change=True,
                           slope_origin=origin)  # type: ignore[arg-type]
    assert r.to_dict()["slope_origin"] == origin
    assert r.slope_change is not None
    assert r.level_change["estimate"] == pytest.approx(b, rel=1e-6)
    assert r.level_change["se"] == pytest.approx(se, rel=1e-6)
    assert r.slope_change["estimate"] == pytest.approx(bs, rel=1e-6)
    assert r.slope_change["se"] == pytest.approx(ses, rel=1e-6)
    assert r.common_level_change["estimate"] == pytest.approx(common, rel=1e-6)
