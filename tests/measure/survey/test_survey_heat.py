"""HEAT's summary measures (RII, concentration index and its corrections, PAR/PAF) with
design-based SEs, against R survey (svyglm quasibinomial, svytotal + svycontrast) on seeded
random designs with missing outcomes and weight-0 rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.measure import survey
from mmsis.measure.survey.equity import (
    attributable,
    concentration_index,
    equity,
    relative_index,
    summary_measures,
)

#: R survey computing the same quantities: the ridit from svytable on the analysed rows (treated
#: as fixed), RII from svyglm(quasibinomial) by svycontrast (log p(1) - log p(0) written with
#: exp so that deriv() knows it), the concentration index and PAR/PAF as smooth functions of
#: svytotal, and the best region's PAR.
R_SCRIPT = r"""
suppressMessages(library(survey))
d <- read.csv("{path}")
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~wt, data = d)
tab <- svytable(~wealth, subset(des, !is.na(y)))
rid <- cumsum(tab / sum(tab)) - tab / sum(tab) / 2
d$ridit <- as.numeric(rid[as.character(d$wealth)])
d$yr <- d$y * d$ridit; d$one <- 1
d$yref <- d$y * (d$wealth == 5); d$nref <- as.numeric(d$wealth == 5)
sub0 <- subset(svydesign(id = ~psu, strata = ~stratum, weights = ~wt, data = d), !is.na(y))
best <- names(which.max(coef(svyby(~y, ~region, sub0, svymean))))
d$ybest <- d$y * (d$region == best); d$nbest <- as.numeric(d$region == best)
sub <- subset(svydesign(id = ~psu, strata = ~stratum, weights = ~wt, data = d), !is.na(y))
m <- svyglm(y ~ ridit, design = sub, family = quasibinomial,
            control = glm.control(epsilon = 1e-12, maxit = 100))
lr <- svycontrast(m, quote(log(1 + exp(-`(Intercept)`)) - log(1 + exp(-`(Intercept)` - ridit))))
t <- svytotal(~yr + y + ridit + one + yref + nref + ybest + nbest, sub)
out <- list(lr, svycontrast(t, quote(2 * (yr / y - ridit / one))),
            svycontrast(t, quote(4 * (y / one) * 2 * (yr / y - ridit / one))),
            svycontrast(t, quote(2 * (yr / y - ridit / one) / (1 - y / one))),
            svycontrast(t, quote(yref / nref - y / one)),
            svycontrast(t, quote((yref / nref) / (y / one) - 1)),
            svycontrast(t, quote(ybest / nbest - y / one)))
for (o in out) cat(sprintf("%.15g %.15g\n", coef(o), SE(o)))
cat(degf(sub), "\n")
"""


def _data(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 600
    psu = rng.integers(0, 40, n)
    df = pd.DataFrame({
        "psu": psu,
        "stratum": psu % (4 + seed),
        "wt": rng.gamma(2.0, 1.0, n) * (1 + psu % 3),
        "wealth": rng.integers(1, 6, n),
        "region": rng.integers(1, 5, n),
    })
    p = (0.15 + 0.12 * df["wealth"] + 0.08 * (df["region"] == 2)).clip(0, 0.95)
    df["y"] = (rng.random(n) < p).astype(float)
    df.loc[rng.random(n) < 0.1, "y"] = np.nan
    df.loc[rng.random(n) < 0.05, "wt"] = 0.0
    return df


@pytest.mark.peer
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heat_measures_agree_with_r_survey(seed: int, r_survey: None, tmp_path: Path) -> None:
    from conftest import run_r  # type: ignore[import-not-found]

    df = _data(seed)
    df.to_csv(tmp_path / "eq.csv", index=False)
    lines = run_r(R_SCRIPT.format(path=tmp_path / "eq.csv")).strip().splitlines()
    ref = np.array([[float(v) for v in line.split()] for line in lines[:-1]])
    df_r = int(lines[-1])
    d = survey.Design(df, weight="wt", cluster="psu", strata="stratum")
    rii = relative_index(d, "y", "wealth").iloc[0]
    cix = {c: concentration_index(d, "y", "wealth", c).iloc[0]  # type: ignore[arg-type]
           for c in ("none", "erreygers", "wagstaff")}
    att = attributable(d, "y", "wealth", ordered=True).set_index("measure")
    region = attributable(d, "y", "region", ordered=False).set_index("measure")
    ours = np.array([
        [np.log(rii["estimate"]), rii["se"] / rii["estimate"]],
        [cix["none"]["estimate"], cix["none"]["se"]],
        [cix["erreygers"]["estimate"], cix["erreygers"]["se"]],
        [cix["wagstaff"]["estimate"], cix["wagstaff"]["se"]],
        [att.loc["population attributable risk", "estimate"],
         att.loc["population attributable risk", "se"]],
        [att.loc["population attributable fraction", "estimate"],
         att.loc["population attributable fraction", "se"]],
        [region.loc["population attributable risk", "estimate"],
         region.loc["population attributable risk", "se"]],
    ])
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    assert rii["df"] == df_r and cix["none"]["df"] == df_r
    # CIs: t on the design df (RII on the log scale)
    from scipy import stats

    t = stats.t.ppf(0.975, df_r)
    assert rii["ci_low"] == pytest.approx(np.exp(ref[0, 0] - t * ref[0, 1]), rel=1e-6)
    assert cix["none"]["ci_high"] == pytest.approx(ref[1, 0] + t * ref[1, 1], rel=1e-6)


def test_measures_relate_as_heat_defines_them() -> None:
    """Erreygers = 4 mean C, Wagstaff = C / (1 - mean); PAF = PAR / mean; the RII is the ratio
    of the logistic fit's predictions at ridit 1 and 0."""
    df = _data(3)
    d = survey.Design(df, weight="wt", cluster="psu", strata="stratum")
    ok = df["y"].notna()
    mean = float(np.average(df.loc[ok, "y"], weights=df.loc[ok, "wt"]))
    c = concentration_index(d, "y", "wealth").iloc[0]["estimate"]
    assert concentration_index(d, "y", "wealth", "erreygers").iloc[0]["estimate"] == \
        pytest.approx(4 * mean * c, rel=1e-12)
    assert concentration_index(d, "y", "wealth", "wagstaff").iloc[0]["estimate"] == \
        pytest.approx(c / (1 - mean), rel=1e-12)
    att = attributable(d, "y", "wealth", ordered=True).set_index("measure")["estimate"]
    rich = df[ok & (df["wealth"] == 5)]
    p5 = float(np.average(rich["y"], weights=rich["wt"]))
    assert att["population attributable risk"] == pytest.approx(p5 - mean, rel=1e-12)
    assert att["population attributable fraction"] == pytest.approx(p5 / mean - 1, rel=1e-12)
    rii = relative_index(d, "y", "wealth").iloc[0]
    assert rii["estimate"] > 1 and rii["ci_low"] < rii["estimate"] < rii["ci_high"]
    # HEAT: no potential improvement when the reference is below average (favourable)
    poor = attributable(d, "y", "wealth", reference="1").iloc[0]
    assert poor["estimate"] == 0.0 and poor["reference"] == "1"
    with pytest.raises(InputError) as info:
        attributable(d, "y", "wealth", reference="9")
    assert info.value.field == "reference"
    with pytest.raises(InputError):
        concentration_index(d, "y", "wealth", "kakwani")  # type: ignore[arg-type]


def test_equity_and_summary_measures_shape() -> None:
    df = _data(4)
    d = survey.Design(df, weight="wt", cluster="psu", strata="stratum")
    _, measures = equity(d, "y", ["wealth", "region"])
    wealth = set(measures.loc[measures["dimension"] == "wealth", "measure"])
    assert {"relative index of inequality", "concentration index",
            "concentration index (erreygers)", "concentration index (wagstaff)",
            "population attributable risk", "population attributable fraction"} <= wealth
    assert "population attributable risk" in set(
        measures.loc[measures["dimension"] == "region", "measure"])
    s = summary_measures(d, "y", "wealth", correction="erreygers")
    assert set(s) == {"rii", "ci", "par", "paf"}
    for key in s:
        assert s[key]["ci_low"] <= s[key]["estimate"] <= s[key]["ci_high"]
    assert s["ci"]["correction"] == "erreygers" and s["par"]["reference"] == "5"
    df["y"] = 0.0
    _, none = equity(survey.Design(df, weight="wt", cluster="psu", strata="stratum"), "y",
                     ["wealth"])
    rii = none[none["measure"] == "relative index of inequality"].iloc[0]
    assert np.isnan(rii["estimate"]) and rii["method"].startswith("not computed")


def test_cli_equity_json_keys(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`mmsis survey equity --json` carries rii, ci, paf and par with estimate and CI; the CI
    correction and the PAR/PAF reference are switches."""
    from typer.testing import CliRunner

    from mmsis.cli import app

    f = tmp_path / "ir.csv"
    example_country.survey.to_csv(f, index=False)
    runner = CliRunner()
    out = runner.invoke(app, ["survey", "equity", str(f), "--json"])
    assert out.exit_code == 0, out.output
    res = json.loads(out.output)
    for key in ("rii", "ci", "paf", "par"):
        assert {"estimate", "ci_low", "ci_high"} <= set(res[key])
        assert res[key]["ci_low"] < res[key]["estimate"] < res[key]["ci_high"]
    assert res["ci"]["correction"] == "none" and res["par"]["reference"] == "richest"
    assert res["paf"]["estimate"] == pytest.approx(
        res["par"]["estimate"] / (res["par"]["estimate"] / res["paf"]["estimate"]))
    out = runner.invoke(app, ["survey", "equity", str(f), "--ci-correction", "erreygers",
                              "--reference", "richer", "--json"])
    res2 = json.loads(out.output)
    assert res2["ci"]["correction"] == "erreygers" and res2["par"]["reference"] == "richer"
    assert res2["par"]["estimate"] < res["par"]["estimate"]
    bad = runner.invoke(app, ["survey", "equity", str(f), "--ci-correction", "x"])
    assert isinstance(bad.exception, InputError) and bad.exception.field == "ci_correction"
    # the whole cascade: one record per step and measure, the same numbers as one indicator
    out = runner.invoke(app, ["survey", "equity", str(f), "--indicator", "all", "--json"])
    assert out.exit_code == 0, out.output
    recs = pd.DataFrame(json.loads(out.output))
    assert set(recs["measure"]) == {"rii", "ci", "par", "paf"}
    assert {"anc1", "anc4", "received_any"} <= set(recs["step"])
    got = recs[(recs["step"] == "received_any") & (recs["measure"] == "rii")].iloc[0]
    assert got["estimate"] == pytest.approx(res["rii"]["estimate"], rel=1e-12)


def test_equity_tables_are_written_for_people(example_country, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The equity tables show shares as percentages and measures in words (the JSON keeps
    the raw numbers and ids)."""
    from typer.testing import CliRunner

    from mmsis.cli import app

    f = tmp_path / "ir.csv"
    example_country.survey.to_csv(f, index=False)
    runner = CliRunner()
    out = runner.invoke(app, ["survey", "equity", str(f)], env={"COLUMNS": "160"})
    assert out.exit_code == 0, out.output
    assert "share (95% CI)" in out.output and "ci_low" not in out.output
    assert "received_any" not in out.output
    out = runner.invoke(app, ["survey", "equity", str(f), "--indicator", "all"],
                        env={"COLUMNS": "160"})
    assert out.exit_code == 0, out.output
    assert "relative index of inequality" in out.output and "ANC1+" in out.output


def test_survey_estimate_title_says_the_design_in_words(example_country, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from mmsis.cli import app

    f = tmp_path / "ir.csv"
    example_country.survey.to_csv(f, index=False)
    out = CliRunner().invoke(app, ["survey", "estimate", str(f), "--profile", "dhs", "--var",
                                   "m14"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "400 clusters in 8 strata" in out.output and "Design(" not in out.output
