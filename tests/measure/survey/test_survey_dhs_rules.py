"""The DHS profile's cascade against an independent re-implementation of the DHS Program's
indicator code (RH_ANC.do, NT_WM_NUT.do) with R survey, and equity measures against R on
random designs (missing outcomes, weight-0 rows, a non-ordered dimension)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_r
from mmsis.data.survey import load_profile, recode
from mmsis.measure import survey
from mmsis.measure.survey.cascade import cascade
from mmsis.measure.survey.equity import gaps, slope_index


def _with_missing_codes(ir: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """The example IR file with DHS "missing" codes (99, 9, 999) written into some answers."""
    rng = np.random.default_rng(seed)
    df = ir.copy()
    n = len(df)
    df.loc[rng.random(n) < 0.03, "m14"] = 99
    got = df["m45"] == 1
    df.loc[got & (rng.random(n) < 0.03), "m46"] = 999
    df.loc[got & (rng.random(n) < 0.03), "s_tabs_received"] = 999
    df.loc[got & (rng.random(n) < 0.03), "s_tabs_consumed"] = 999
    no_answer = rng.random(n) < 0.02
    df.loc[no_answer, "m45"] = 9
    df.loc[no_answer, ["s_supp_type", "s_tabs_received", "s_tabs_consumed", "m46"]] = np.nan
    return df


def _dhs_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """0/1 indicators coded as the DHS Program's Stata code does, NaN outside 60 months."""
    m14, m45, m46 = df["m14"], df["m45"], df["m46"]
    got = m45 == 1
    out = pd.DataFrame(
        {
            # RH_ANC.do: recode m14_1 (0 99 = 0) (1/60 98 = 1) ; 4+ = 4/90, DK/missing = no
            "anc1": (m14.between(1, 60) | (m14 == 98)).astype(float),
            "anc4": m14.between(4, 90).astype(float),
            # recode m45_1 (1=1) (else=0)
            "received_any": got.astype(float),
            "received_180": (got & df["s_tabs_received"].between(180, 997)).astype(float),
            "consumed_180": (got & df["s_tabs_consumed"].between(180, 997)).astype(float),
            # NT_WM_NUT.do: 90+ days = inrange(m46_1, 90, 300); 998/999 DK/missing
            "took_90_days": (got & m46.between(90, 300)).astype(float),
        }
    )
    age = df["v008"] - df["b3"]
    out[(age < 0) | (age >= 60)] = np.nan
    out[["v005", "v021", "v022"]] = df[["v005", "v021", "v022"]]
    return out


@pytest.mark.peer
def test_dhs_cascade_matches_dhs_code_and_r(
    example_country,  # type: ignore[no-untyped-def]
    r_survey: None,
    tmp_path: Path,
) -> None:
    """Every step (of all women, and ANC4+ among ANC1+, took 90 days among received 180) equals
    the DHS Program's coding of m14/m45/m46 and R svymean, "don't know/missing" in denominators."""
    ir = _with_missing_codes(example_country.survey)
    ind = _dhs_indicators(ir)
    ind.to_csv(tmp_path / "dhs.csv", index=False)
    steps = ["anc1", "anc4", "received_any", "received_180", "consumed_180", "took_90_days"]
    text = run_r(
        f"""
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
d <- read.csv("{tmp_path / "dhs.csv"}")
des <- svydesign(id = ~v021, strata = ~v022, weights = ~I(v005 / 1e6), data = d)
for (v in c({", ".join(f'"{s}"' for s in steps)})) {{
  m <- svymean(as.formula(paste0("~", v)), subset(des, !is.na(d[[v]])))
  cat(sprintf("%.15g %.15g\\n", coef(m), SE(m)))
}}
for (p in list(c("anc4", "anc1"), c("took_90_days", "received_180"))) {{
  m <- svymean(as.formula(paste0("~", p[1])), subset(des, d[[p[2]]] %in% 1))
  cat(sprintf("%.15g %.15g\\n", coef(m), SE(m)))
}}
"""
    )
    ref = np.array([[float(x) for x in line.split()] for line in text.strip().splitlines()])
    res = cascade(recode(ir, load_profile("dhs")))
    rows = [res[(res["step"] == s) & (res["of"] == "all women")].iloc[0] for s in steps]
    rows += [
        res[(res["step"] == "anc4") & (res["of"] == "previous step: anc1")].iloc[0],
        res[(res["step"] == "took_90_days") & (res["of"] == "previous step: received_180")].iloc[0],
    ]
    ours = np.array([[r["estimate"], r["se"]] for r in rows])
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    # the denominator is every woman with a birth in the period, whatever her answers
    n_period = int(ind["anc1"].notna().sum())
    assert [int(r["n"]) for r in rows[:6]] == [n_period] * 6


def test_missing_as_missing_drops_missing_codes(example_country) -> None:  # type: ignore[no-untyped-def]
    """missing_as="missing" (a user's profile) drops 99 from ANC4+ instead of counting it no."""
    ir = _with_missing_codes(example_country.survey)
    dhs = load_profile("dhs")
    kept = recode(ir, dhs).data
    dropped = recode(ir, dhs.model_copy(update={"missing_as": "missing"})).data
    miss = (ir["m14"] == 99).to_numpy() & kept["in_period"].to_numpy()
    assert miss.sum() > 0
    assert (kept.loc[miss, "anc4"] == 0).all() and dropped.loc[miss, "anc4"].isna().all()
    other = ~miss
    pd.testing.assert_series_equal(kept.loc[other, "anc4"], dropped.loc[other, "anc4"])


@pytest.mark.peer
@pytest.mark.parametrize("seed", [0, 1])
def test_equity_on_random_designs_agrees_with_r(seed: int, r_survey: None, tmp_path: Path) -> None:
    """Wealth gaps, the SII (ridit from R's svytable on the analysed rows) and the highest -
    lowest region gap equal svyby/svycontrast/svyglm, with missing outcomes and weight-0 rows."""
    rng = np.random.default_rng(seed)
    n = 500
    psu = rng.integers(0, 40, n)
    df = pd.DataFrame(
        {
            "psu": psu,
            "stratum": psu % (4 + seed),
            "wt": rng.gamma(2.0, 1.0, n) * (1 + psu % 3),
            "wealth": rng.integers(1, 6, n),
            "region": rng.integers(1, 5, n),
        }
    )
    p = (0.2 + 0.1 * df["wealth"] + 0.05 * (df["region"] == 2)).clip(0, 0.95)
    df["y"] = (rng.random(n) < p).astype(float)
    df.loc[rng.random(n) < 0.1, "y"] = np.nan
    df.loc[rng.random(n) < 0.05, "wt"] = 0.0
    df.to_csv(tmp_path / "eq.csv", index=False)
    text = run_r(
        f"""
suppressMessages(library(survey))
d <- read.csv("{tmp_path / "eq.csv"}")
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~wt, data = d)
tab <- svytable(~wealth, subset(des, !is.na(y)))
rid <- cumsum(tab / sum(tab)) - tab / sum(tab) / 2
d$ridit <- as.numeric(rid[as.character(d$wealth)])
sub <- subset(svydesign(id = ~psu, strata = ~stratum, weights = ~wt, data = d), !is.na(y))
b <- svyby(~y, ~wealth, sub, svymean, covmat = TRUE)
a <- svycontrast(b, c(-1, 0, 0, 0, 1))
r <- svycontrast(b, quote(`5` / `1`))
m <- svyglm(y ~ ridit, design = sub)
br <- svyby(~y, ~region, sub, svymean, covmat = TRUE)
cc <- rep(0, nrow(br)); cc[which.max(coef(br))] <- 1; cc[which.min(coef(br))] <- -1
a2 <- svycontrast(br, cc)
cat(sprintf("%.15g\\n", c(coef(a), SE(a), coef(r), SE(r), coef(m)[2], SE(m)[2], coef(a2),
                         SE(a2))))
"""
    )
    ref = [float(x) for x in text.split()]
    d = survey.Design(df, weight="wt", cluster="psu", strata="stratum")
    g = gaps(d, "y", "wealth", ordered=True).set_index("measure")
    s = slope_index(d, "y", "wealth").iloc[0]
    region = gaps(d, "y", "region", ordered=False).set_index("measure")
    ours = [
        g.loc["absolute gap", "estimate"],
        g.loc["absolute gap", "se"],
        g.loc["relative gap", "estimate"],
        g.loc["relative gap", "se"],
        s["estimate"],
        s["se"],
        region.loc["absolute gap", "estimate"],
        region.loc["absolute gap", "se"],
    ]
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


def test_child_age_b19_is_used_when_present(example_country) -> None:  # type: ignore[no-untyped-def]
    """With b19 in the file, the reference period uses it (not v008 - b3), as DHS code does."""
    ir = example_country.survey.copy()
    base = recode(ir, load_profile("dhs")).data["in_period"]
    ir["b19"] = 70.0  # every child 70 months old: nobody in the 60-month period
    assert base.any() and not recode(ir, load_profile("dhs")).data["in_period"].any()
    ir["b19"] = np.nan  # an empty b19 column falls back to v008 - b3
    pd.testing.assert_series_equal(recode(ir, load_profile("dhs")).data["in_period"], base)
