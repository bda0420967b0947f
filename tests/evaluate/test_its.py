"""ITS against Lopez Bernal, Cummins & Gasparrini's tutorial results and R (MASS, lmtest)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate.its import breusch_godfrey, fit_its
from mmsis.results import save_plot

DATA = Path(__file__).resolve().parents[1] / "data"
CASES = {
    c["id"]: c
    for c in json.loads((DATA / "cases.json").read_text())["interrupted_time_series"]["cases"]
}
REL = 1e-5


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return pd.read_csv(DATA / "sicily.csv")


def test_its1_poisson(sicily: pd.DataFrame) -> None:
    case = CASES["ITS-1"]
    r = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="poisson")
    lc = r.level_change
    assert lc["estimate"] == pytest.approx(case["b_smokban"], rel=REL)
    assert lc["se"] == pytest.approx(case["se_smokban"], rel=REL)
    assert lc["rr"] == pytest.approx(case["rr"], rel=REL)
    assert [lc["ci_low"], lc["ci_high"]] == pytest.approx(case["ci"], rel=REL)
    assert r.n == 59 and r.n_pre == 36 and r.n_post == 23
    assert any("overdispersion" in w for w in r.warnings)


def test_its2_quasipoisson(sicily: pd.DataFrame) -> None:
    case = CASES["ITS-2"]
    r = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="quasipoisson")
    assert r.level_change["rr"] == pytest.approx(case["rr"], rel=REL)
    assert [r.level_change["ci_low"], r.level_change["ci_high"]] == pytest.approx(
        case["ci"], rel=REL
    )
    assert r.dispersion == pytest.approx(case["dispersion"], rel=REL)


def test_its3_quasipoisson_harmonics(sicily: pd.DataFrame) -> None:
    case = CASES["ITS-3"]
    r = fit_its(
        sicily,
        "aces",
        "time",
        "smokban",
        offset="stdpop",
        family="quasipoisson",
        harmonics=2,
        season="month",
        period=12,
    )
    assert r.level_change["rr"] == pytest.approx(case["rr"], rel=REL)
    assert [r.level_change["ci_low"], r.level_change["ci_high"]] == pytest.approx(
        case["ci"], rel=REL
    )
    assert r.dispersion == pytest.approx(case["dispersion"], rel=REL)
    assert r.trend_ratio(12) == pytest.approx(case["annual_trend_rr"], rel=REL)
    assert {"sin1", "cos1", "sin2", "cos2"} <= set(r.summary["term"])


def test_counterfactual_band_and_plot(sicily: pd.DataFrame, tmp_path: Path) -> None:
    r = fit_its(
        sicily, "aces", "time", "smokban", offset="stdpop", family="quasipoisson", slope_change=True
    )
    s = r.series
    post = s[s["intervention"] == 1]
    assert (post["cf_low"] < post["counterfactual"]).all()
    assert (post["counterfactual"] < post["cf_high"]).all()
    pre = s[s["intervention"] == 0]
    np.testing.assert_allclose(pre["fitted"], pre["counterfactual"], rtol=1e-12)
    # last-pre (default): the fitted / counterfactual ratio at the first intervention month is
    # the level change times one slope step; first-post: the level change itself
    first = post.iloc[0]
    assert r.slope_change is not None and "rr" in r.slope_change
    assert first["fitted"] / first["counterfactual"] == pytest.approx(
        r.level_change["rr"] * r.slope_change["rr"], rel=1e-9
    )
    fp = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="quasipoisson",
                 slope_change=True, slope_origin="first-post")
    first = fp.series[fp.series["intervention"] == 1].iloc[0]
    assert first["fitted"] / first["counterfactual"] == pytest.approx(
        fp.level_change["rr"], rel=1e-9
    )
    out = save_plot(r, tmp_path / "its.png")
    assert out.stat().st_size > 1000


def test_yyyymm_time_gives_month_season(sicily: pd.DataFrame) -> None:
    df = sicily.assign(period=sicily["year"] * 100 + sicily["month"])
    a = fit_its(
        df, "aces", "period", "smokban", offset="stdpop", family="quasipoisson", harmonics=2
    )
    b = fit_its(
        sicily,
        "aces",
        "time",
        "smokban",
        offset="stdpop",
        family="quasipoisson",
        harmonics=2,
        season="month",
    )
    assert a.level_change["rr"] == pytest.approx(b.level_change["rr"], rel=1e-10)
    assert a.trend_ratio() == pytest.approx(CASES["ITS-3"]["annual_trend_rr"], rel=REL)


def test_newey_west_changes_se_not_estimate(sicily: pd.DataFrame) -> None:
    a = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="poisson")
    b = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="poisson", newey_west=3)
    assert b.level_change["estimate"] == pytest.approx(a.level_change["estimate"], rel=1e-12)
    assert b.level_change["se"] != pytest.approx(a.level_change["se"], rel=1e-3)
    assert b.se_type.startswith("Newey-West")


def test_breusch_godfrey_matches_statsmodels_for_ols() -> None:
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import acorr_breusch_godfrey

    rng = np.random.default_rng(1)
    x = sm.add_constant(np.arange(60.0))
    e = np.zeros(60)
    for i in range(1, 60):
        e[i] = 0.6 * e[i - 1] + rng.normal()
    res = sm.OLS(1 + 0.1 * x[:, 1] + e, x).fit()
    ours = breusch_godfrey(np.asarray(res.resid), x, 4)
    lm, p, *_ = acorr_breusch_godfrey(res, nlags=4, result_object=False)
    assert ours["statistic"] == pytest.approx(lm, rel=1e-9)
    assert ours["p"] == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(smokban=0), "no variation"),
        (lambda d: d.assign(smokban=(d["time"] >= 58).astype(int)), None),
        (lambda d: d.assign(smokban=(d["time"] >= 3).astype(int)), "too few points"),
        (lambda d: d.assign(stdpop=d["stdpop"].where(d["time"] != 5, 0.0)), "not positive"),
        (lambda d: d.assign(time=d["time"].where(d["time"] != 5, 4)), "duplicate time"),
        (lambda d: d.assign(smokban=(d["time"] % 2)), "switch on once"),
    ],
)
def test_bad_input(sicily: pd.DataFrame, change, message) -> None:  # type: ignore[no-untyped-def]
    df = change(sicily)
    if message is None:  # two post points without slope change is allowed; with it, refused
        fit_its(df, "aces", "time", "smokban", offset="stdpop")
        with pytest.raises(InputError, match="too few points"):
            fit_its(df, "aces", "time", "smokban", offset="stdpop", slope_change=True)
        return
    with pytest.raises(InputError, match=message):
        fit_its(df, "aces", "time", "smokban", offset="stdpop")


def test_error_names_row_and_column(sicily: pd.DataFrame) -> None:
    df = sicily.assign(stdpop=sicily["stdpop"].where(sicily["time"] != 5, -1.0))
    with pytest.raises(InputError) as info:
        fit_its(df, "aces", "time", "smokban", offset="stdpop", file="s.csv")
    assert info.value.row == 5 and info.value.column == "stdpop" and info.value.file == "s.csv"
    with pytest.raises(InputError) as info:
        fit_its(sicily, "aces", "nope", "smokban")
    assert info.value.column == "nope"


@pytest.mark.peer
def test_negbin_newey_west_month_indicators_gaussian_match_r(sicily: pd.DataFrame) -> None:
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available("MASS", "sandwich"):
        peer_missing("R with 'MASS' and 'sandwich' is not installed")

    out = run_r(
        f"""
        suppressMessages({{library(MASS); library(sandwich)}})
        d <- read.csv("{DATA / "sicily.csv"}")
        m <- glm.nb(aces ~ smokban + time + offset(log(stdpop)), data = d,
                    control = glm.control(epsilon = 1e-12, maxit = 100))
        p <- glm(aces ~ smokban + time + offset(log(stdpop)), family = poisson, data = d)
        nw <- sqrt(diag(NeweyWest(p, lag = 3, prewhite = FALSE, adjust = FALSE)))["smokban"]
        se <- sqrt(diag(vcov(m)))["smokban"]
        q <- glm(aces ~ smokban + time + factor(month) + offset(log(stdpop)),
                 family = quasipoisson, data = d)
        g <- lm(I(aces / stdpop) ~ smokban * I(time - 37) - I(time - 37) + time, data = d)
        cat(sprintf("%.12g", c(coef(m)["smokban"], se, 1 / m$theta, nw,
                               coef(q)["smokban"], sqrt(diag(vcov(q)))["smokban"],
                               summary(q)$dispersion,
                               coef(g)["smokban"], sqrt(diag(vcov(g)))["smokban"],
                               coef(g)["smokban:I(time - 37)"])))
        """
    )
    b, se, alpha, nw, qb, qse, qdisp, gb, gse, gslope = map(float, out.split())
    r = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="negbin")
    assert r.level_change["estimate"] == pytest.approx(b, rel=1e-4)
    assert r.level_change["se"] == pytest.approx(se, rel=1e-3)
    assert r.dispersion == pytest.approx(alpha, rel=1e-3)
    h = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="poisson", newey_west=3)
    assert h.level_change["se"] == pytest.approx(nw, rel=1e-6)
    q = fit_its(
        sicily,
        "aces",
        "time",
        "smokban",
        offset="stdpop",
        family="quasipoisson",
        month_indicators=True,
        season="month",
    )
    assert q.level_change["estimate"] == pytest.approx(qb, rel=1e-6)
    assert q.level_change["se"] == pytest.approx(qse, rel=1e-6)
    assert q.dispersion == pytest.approx(qdisp, rel=1e-6)
    g = fit_its(
        sicily, "aces", "time", "smokban", offset="stdpop", family="gaussian", slope_change=True,
        slope_origin="first-post",  # R's I(time - 37): 0 at the first post month
    )
    assert g.level_change["estimate"] == pytest.approx(gb, rel=1e-6)
    assert g.level_change["se"] == pytest.approx(gse, rel=1e-6)
    assert g.slope_change is not None
    assert g.slope_change["estimate"] == pytest.approx(gslope, rel=1e-6)


def _overdispersed_series(seed: int = 7, n: int = 48) -> pd.DataFrame:
    """A monthly count series with AR(1) noise, a season, a level and a slope change at 25."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    d = (t >= 25).astype(int)
    month = (t - 1) % 12 + 1
    pop = rng.uniform(8000, 12000, n)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + rng.normal(0, 0.08)
    eta = np.log(pop) - 4 + 0.004 * t + 0.15 * d + 0.01 * (t - 25) * d
    mu = np.exp(eta + 0.1 * np.sin(2 * np.pi * month / 12) + e)
    y = rng.negative_binomial(20, 20 / (20 + mu))
    return pd.DataFrame({"time": t, "month": month, "d": d, "y": y, "pop": pop})


@pytest.mark.peer
def test_negbin_harmonics_newey_west_and_bgtest_match_r(tmp_path: Path) -> None:
    """NB + slope + 2 harmonics with Newey-West (sandwich's expected-information bread; the
    observed Hessian was off by up to 13%) and Breusch-Godfrey on Pearson residuals as
    lmtest::bgtest(pearson ~ X) (the unresidualised version was off by up to 6%)."""
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available("MASS", "sandwich", "lmtest"):
        peer_missing("R with 'MASS', 'sandwich' and 'lmtest' is not installed")
    df = _overdispersed_series()
    df.to_csv(tmp_path / "s.csv", index=False)
    out = run_r(
        f"""
        suppressMessages({{library(MASS); library(sandwich); library(lmtest)}})
        d <- read.csv("{tmp_path / "s.csv"}")
        d$sl <- (d$time - 25) * d$d
        f <- y ~ d + time + sl + sin(2*pi*month/12) + cos(2*pi*month/12) +
             sin(4*pi*month/12) + cos(4*pi*month/12) + offset(log(pop))
        m <- glm.nb(f, data = d, control = glm.control(epsilon = 1e-12, maxit = 100))
        v <- NeweyWest(m, lag = 3, prewhite = FALSE, adjust = FALSE)
        p <- glm(f, family = poisson, data = d)
        X <- model.matrix(p)
        bg <- bgtest(residuals(p, "pearson") ~ X - 1, order = 12)$statistic
        bgn <- bgtest(residuals(m, "pearson") ~ X - 1, order = 12)$statistic
        cat(sprintf("%.12g", c(coef(m)[c("d", "sl")], sqrt(diag(v))[c("d", "sl")], 1 / m$theta,
                               bg, bgn)))
        """
    )
    b, bs, se, ses, alpha, bg, bgn = map(float, out.split())
    kw = {"offset": "pop", "slope_change": True, "harmonics": 2, "season": "month",
          "slope_origin": "first-post"}  # R's (time - 25) * d: 0 at the first post month
    r = fit_its(df, "y", "time", "d", family="negbin", newey_west=3, **kw)  # type: ignore[arg-type]
    assert r.slope_change is not None
    # glm.nb's iterative ML: theta converges to ~1e-6 relative, hence 1e-4
    assert r.level_change["estimate"] == pytest.approx(b, rel=1e-4)
    assert r.slope_change["estimate"] == pytest.approx(bs, rel=1e-4)
    assert r.level_change["se"] == pytest.approx(se, rel=1e-4)
    assert r.slope_change["se"] == pytest.approx(ses, rel=1e-4)
    assert r.dispersion == pytest.approx(alpha, rel=1e-4)
    assert r.autocorrelation["breusch_godfrey"]["statistic"] == pytest.approx(bgn, rel=1e-4)
    p = fit_its(df, "y", "time", "d", family="poisson", **kw)  # type: ignore[arg-type]
    assert p.autocorrelation["breusch_godfrey"]["lags"] == 12
    assert p.autocorrelation["breusch_godfrey"]["statistic"] == pytest.approx(bg, rel=1e-6)


#: Lopez Bernal, Cummins & Gasparrini 2017 tutorial code, "additional material" (model4):
#: glm(aces ~ offset(log(stdpop)) + smokban + time + I(time-36):smokban + harmonic(month,2,12),
#: family=quasipoisson); tsModel::harmonic written out (the terms' order does not matter).
TUTORIAL_MODEL4 = """
d <- read.csv("{path}")
h <- function(x) cbind(sin(2*pi*x/12), cos(2*pi*x/12), sin(4*pi*x/12), cos(4*pi*x/12))
m <- glm(aces ~ offset(log(stdpop)) + smokban + time + I(time-{origin}):smokban + h(month),
         family = quasipoisson, data = d)
s <- coef(summary(m))
cat(sprintf("%.12g", c(s["smokban", 1:2], s["smokban:I(time - {origin})", 1:2],
                       summary(m)$dispersion)))
"""


@pytest.mark.peer
@pytest.mark.parametrize("origin, r_origin", [("last-pre", 36), ("first-post", 37)])
def test_slope_origin_reproduces_the_tutorial_slope_change_model(
    sicily: pd.DataFrame, origin: str, r_origin: int
) -> None:
    """last-pre is the tutorial's I(time - 36) (RR 0.876); first-post is I(time - 37), 0 at the
    first ban month as Stata's itsa (RR 0.878): both to 1e-5 against the tutorial's glm."""
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available():
        peer_missing("R is not installed")
    out = run_r(TUTORIAL_MODEL4.format(path=DATA / "sicily.csv", origin=r_origin))
    b, se, bs, ses, disp = map(float, out.split())
    r = fit_its(sicily, "aces", "time", "smokban", offset="stdpop", family="quasipoisson",
                harmonics=2, season="month", slope_change=True,
                slope_origin=origin)  # type: ignore[arg-type]
    assert r.slope_origin == origin and r.to_dict()["slope_origin"] == origin
    assert r.slope_change is not None
    assert r.level_change["estimate"] == pytest.approx(b, rel=1e-5)
    assert r.level_change["se"] == pytest.approx(se, rel=1e-5)
    assert r.level_change["rr"] == pytest.approx(np.exp(b), rel=1e-5)
    assert r.slope_change["estimate"] == pytest.approx(bs, rel=1e-5)
    assert r.slope_change["se"] == pytest.approx(ses, rel=1e-5)
    assert r.dispersion == pytest.approx(disp, rel=1e-5)
    assert r.level_change["rr"] == pytest.approx(0.8765 if origin == "last-pre" else 0.8778,
                                                 abs=1e-4)


def test_slope_origin_moves_the_level_change_not_the_fit(sicily: pd.DataFrame) -> None:
    """Same fitted series; the first-post level change is the last-pre one plus one slope step."""
    kw = {"offset": "stdpop", "family": "poisson", "slope_change": True}
    last = fit_its(sicily, "aces", "time", "smokban", **kw)  # type: ignore[arg-type]
    first = fit_its(sicily, "aces", "time", "smokban", slope_origin="first-post", **kw)  # type: ignore[arg-type]
    assert last.slope_origin == "last-pre"  # the default
    assert last.slope_change is not None and first.slope_change is not None
    np.testing.assert_allclose(last.series["fitted"], first.series["fitted"], rtol=1e-9)
    np.testing.assert_allclose(last.series["counterfactual"], first.series["counterfactual"],
                               rtol=1e-9)
    assert first.slope_change["estimate"] == pytest.approx(last.slope_change["estimate"],
                                                           rel=1e-8)
    assert first.level_change["estimate"] == pytest.approx(
        last.level_change["estimate"] + last.slope_change["estimate"], rel=1e-8
    )
    with pytest.raises(InputError) as info:
        fit_its(sicily, "aces", "time", "smokban", slope_origin="zero", **kw)  # type: ignore[arg-type]
    assert info.value.field == "slope_origin"
