"""Agreement with R survey on edge cases found by random-design comparison: rows with weight 0
(R leaves them out of deff's n and of degf), weights of 1 or normalised weights (R's deff
formulas without a guard for totals), a domain whose ratio denominator sums to 0, and seeded
random two-stage / lonely-PSU designs with domains and missing values."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import run_r
from mmsis.errors import InputError
from mmsis.measure import survey

R_FUNCS = r"""
suppressMessages(library(survey))
o <- function(k, stat, dom, est, se, lo, hi, deff, df)
  cat(sprintf("%s,%s,%s,%.15g,%.15g,%.15g,%.15g,%.15g,%d\n", k, stat, dom, est, se, lo, hi,
              deff, df))
one <- function(k, s, dom) {
  sy <- subset(s, !is.na(y)); df <- degf(sy); q <- qt(0.975, df)
  m <- svymean(~y, s, na.rm=TRUE, deff=TRUE)
  o(k, "mean", dom, coef(m), SE(m), coef(m) - q * SE(m), coef(m) + q * SE(m), deff(m), df)
  t <- svytotal(~y, s, na.rm=TRUE, deff=TRUE)
  o(k, "total", dom, coef(t), SE(t), coef(t) - q * SE(t), coef(t) + q * SE(t), deff(t), df)
  sb <- subset(s, !is.na(b)); df <- degf(sb)
  p <- svymean(~b, s, na.rm=TRUE, deff=TRUE)
  ci <- attr(svyciprop(~b, sb, method="logit"), "ci")
  o(k, "proportion", dom, coef(p), SE(p), ci[1], ci[2], deff(p), df)
  sr <- subset(s, !is.na(y) & !is.na(x)); df <- degf(sr); q <- qt(0.975, df)
  r <- svyratio(~y, ~x, s, na.rm=TRUE, deff=TRUE); e <- coef(r); se <- SE(r)
  o(k, "ratio", dom, e, se, e - q * se, e + q * se, attr(r, "deff"), df)
}
run <- function(k, des, d) {
  one(k, des, "all")
  for (v in sort(unique(na.omit(d$dom)))) one(k, subset(des, !is.na(dom) & dom == v), v)
}
"""


def _random_design(seed: int, stages: int, nest: bool, zero_weights: bool) -> pd.DataFrame:
    """A stratified one- or two-stage sample with fpc (counts and fractions), lonely PSUs,
    weights varying within PSU, a domain absent from stratum 1 and missing values."""
    rng = np.random.default_rng(seed)
    rows = []
    pid = 0
    for s in range(1, 6):
        npsu = 1 if s == 3 else int(rng.integers(2, 6))  # stratum 3 has a lonely PSU
        n1_pop = npsu + int(rng.integers(1, 15))
        for p in range(1, npsu + 1):
            pid += 1
            nssu = int(rng.integers(1, 4)) if stages == 2 else 1
            n2_pop = nssu + int(rng.integers(0, 5))
            for h in range(1, nssu + 1):
                for _ in range(int(rng.integers(2, 6))):
                    rows.append(
                        dict(
                            st=s,
                            psu=p if nest else pid,
                            ssu=h,
                            N1=n1_pop,
                            N2=n2_pop,
                            f1=npsu / n1_pop,
                            f2=nssu / n2_pop,
                        )
                    )
    d = pd.DataFrame(rows)
    n = len(d)
    d["w"] = np.round(rng.uniform(0.5, 30, n), 3)
    if zero_weights:
        d.loc[rng.random(n) < 0.1, "w"] = 0.0
    d["y"] = np.round(rng.gamma(2, 3, n) + d["st"], 3)
    d["b"] = (rng.random(n) < 0.35).astype(float)
    d["x"] = np.round(rng.gamma(2, 1, n), 3)
    d["dom"] = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    d.loc[(d["st"] == 1) & (d["dom"] == "c"), "dom"] = "a"
    for c in ("y", "b", "x"):
        d.loc[rng.random(n) < 0.05, c] = np.nan
    d.loc[rng.random(n) < 0.04, "dom"] = np.nan
    return d


def _small() -> pd.DataFrame:
    """A small stratified cluster sample (4 strata x 3 PSUs) for the deff edge cases."""
    rng = np.random.default_rng(11)
    d = pd.DataFrame({"st": np.repeat(np.arange(1, 5), 12), "psu": np.repeat(np.arange(1, 13), 4)})
    n = len(d)
    d["y"] = np.round(rng.gamma(2, 3, n), 3)
    d["b"] = (rng.random(n) < 0.4).astype(float)
    d["x"] = np.round(rng.gamma(2, 1, n), 3)
    d["dom"] = np.where(np.arange(n) % 3 == 0, "b", "a")
    d.loc[d["dom"] == "b", "x"] = 0.0  # the ratio's denominator sums to 0 in domain b
    d["ones"] = 1.0
    raw = rng.uniform(0.5, 2.0, n)
    d["wn"] = raw / raw.sum() * n * 0.9  # normalised weights summing to less than n
    return d


CASES: list[dict[str, Any]] = [
    dict(
        key="zero_w_2stage_frac_nest",
        data=lambda: _random_design(1, 2, True, True),
        policy="adjust",
        r="svydesign(id=~psu+ssu, strata=~st, fpc=~f1+f2, weights=~w, nest=TRUE, data=d)",
        py=dict(weight="w", cluster=["psu", "ssu"], strata="st", fpc=["f1", "f2"], nest=True),
    ),
    dict(
        key="zero_w_1stage_counts_adjust",
        data=lambda: _random_design(2, 1, False, True),
        policy="average",
        r="svydesign(id=~psu, strata=~st, fpc=~N1, weights=~w, data=d)",
        py=dict(weight="w", cluster="psu", strata="st", fpc="N1"),
    ),
    dict(
        key="2stage_counts_no_weights_certainty",
        data=lambda: _random_design(3, 2, False, False),
        policy="certainty",
        r="svydesign(id=~psu+ssu, strata=~st, fpc=~N1+N2, data=d)",
        py=dict(cluster=["psu", "ssu"], strata="st", fpc=["N1", "N2"]),
    ),
    dict(
        key="unit_weights",
        data=_small,
        policy="fail",
        r="svydesign(id=~psu, strata=~st, weights=~ones, data=d)",
        py=dict(weight="ones", cluster="psu", strata="st"),
    ),
    dict(
        key="normalised_weights",
        data=_small,
        policy="fail",
        r="svydesign(id=~psu, strata=~st, weights=~wn, data=d)",
        py=dict(weight="wn", cluster="psu", strata="st"),
    ),
    *[
        dict(
            key=f"domain_lonely_{policy}",
            data=lambda: _random_design(9, 1, False, False),
            policy=policy,
            adl=True,
            r="svydesign(id=~psu, strata=~st, fpc=~f1, weights=~w, data=d)",
            py=dict(weight="w", cluster="psu", strata="st", fpc="f1", adjust_domain_lonely=True),
        )
        for policy in ("adjust", "average")
    ],
]


@pytest.fixture(scope="module")
def reference(r_survey: None, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    tmp: Path = tmp_path_factory.mktemp("rsurvey_edges")
    script = [R_FUNCS]
    for case in CASES:
        path = tmp / f"{case['key']}.csv"
        case["data"]().to_csv(path, index=False)
        script.append(
            f'options(survey.lonely.psu="{case["policy"]}")\n'
            f"options(survey.adjust.domain.lonely={'TRUE' if case.get('adl') else 'FALSE'})\n"
            f'd <- read.csv("{path}", na.strings=c("NA", ""))\n'
            f'run("{case["key"]}", {case["r"]}, d)\n'
        )
    text = run_r("\n".join(script))
    cols = ["key", "stat", "dom", "estimate", "se", "ci_low", "ci_high", "deff", "df"]
    return pd.read_csv(io.StringIO(text), names=cols, na_values=["NA", "NaN"])


def _ours(case: dict[str, Any]) -> pd.DataFrame:
    d = survey.Design(case["data"](), lonely_psu=case["policy"], **case["py"])
    out = []
    for by in (None, "dom"):
        for stat, res in (
            ("mean", survey.mean(d, "y", by=by)),
            ("total", survey.total(d, "y", by=by)),
            ("proportion", survey.proportion(d, "b", by=by)),
            ("ratio", survey.ratio(d, "y", "x", by=by)),
        ):
            res = res.assign(stat=stat, dom="all" if by is None else res.get("dom"))
            out.append(res)
    return pd.concat(out).set_index(["stat", "dom"])


@pytest.mark.peer
@pytest.mark.parametrize("case", CASES, ids=[c["key"] for c in CASES])
def test_agrees_with_r(case: dict[str, Any], reference: pd.DataFrame) -> None:
    ref = reference[reference["key"] == case["key"]]
    ours = _ours(case)
    assert len(ref) == len(ours) >= 12
    for _, r in ref.iterrows():
        o = ours.loc[(r["stat"], r["dom"])]
        where = (case["key"], r["stat"], r["dom"])
        for col in ("estimate", "se", "ci_low", "ci_high", "deff"):
            assert o[col] == pytest.approx(r[col], rel=1e-6, abs=1e-12, nan_ok=True), (*where, col)
        assert o["df"] == r["df"], where


@pytest.mark.peer
def test_edge_values_are_rs(reference: pd.DataFrame) -> None:
    """The R values the fixes reproduce (so the comparison above cannot pass vacuously)."""
    ref = reference.set_index(["key", "stat", "dom"])
    # weights of 1 sum to n: vs SRS without replacement the deff is infinite (R: v/0)
    assert np.isinf(ref.loc[("unit_weights", "mean", "all"), "deff"])
    assert np.isinf(ref.loc[("unit_weights", "total", "all"), "deff"])
    # weights summing to less than n: NA for a mean, negative (no guard) for a total
    assert np.isnan(ref.loc[("normalised_weights", "mean", "all"), "deff"])
    assert ref.loc[("normalised_weights", "total", "all"), "deff"] < 0
    # a ratio whose denominator sums to 0 in the domain: infinite estimate, SE undefined
    zero = ref.loc[("unit_weights", "ratio", "b")]
    assert np.isinf(zero["estimate"]) and np.isnan(zero["se"])
    # weight-0 rows leave degf: the domain df is below that counting every row
    d = _random_design(1, 2, True, True)
    des = survey.Design(
        d.assign(w=d["w"].where(d["w"] > 0, 1.0)), lonely_psu="adjust", **{**CASES[0]["py"]}
    )
    all_rows_df = survey.mean(des, "y", by="dom").set_index("dom")["df"]
    r_df = ref.loc["zero_w_2stage_frac_nest"].xs("mean", level="stat")["df"]
    assert (r_df.drop("all") <= all_rows_df).all() and (r_df.drop("all") < all_rows_df).any()


def test_single_psu_design_refused() -> None:
    """R's svydesign refuses a design with one PSU (unless nest=TRUE with strata)."""
    d = _small().assign(psu=1)
    with pytest.raises(InputError) as e:  # any lonely policy: the design itself is refused
        survey.Design(d, weight="wn", cluster="psu", lonely_psu="certainty")
    assert e.value.column == "psu" and "one primary sampling unit" in e.value.message
    with pytest.raises(InputError):
        survey.Design(d.iloc[:1], weight="wn", lonely_psu="remove")
    nested = survey.Design(
        d, weight="wn", cluster="psu", strata="st", nest=True, lonely_psu="adjust"
    )
    assert np.isfinite(survey.mean(nested, "y")["se"].iloc[0])


def test_categorical_proportion_is_refused_with_a_hint() -> None:
    """A text category is not silently coerced: the error names the column and the fix."""
    d = _small().assign(cat=lambda f: np.where(f["b"] == 1, "yes", "no"))
    des = survey.Design(d, weight="wn", cluster="psu", strata="st")
    with pytest.raises(InputError) as e:
        survey.proportion(des, "cat")
    assert e.value.column == "cat" and "0/1 column per category" in e.value.message
    d["yes"] = (d["cat"] == "yes").astype(float)
    assert survey.proportion(des, "b")["estimate"].iloc[0] == pytest.approx(
        survey.proportion(survey.Design(d, weight="wn", cluster="psu", strata="st"), "yes")[
            "estimate"
        ].iloc[0]
    )


def test_adjust_domain_lonely_matters() -> None:
    """The domain-lonely option changes domain SEs on the R-checked design (not a no-op)."""
    d = _random_design(9, 1, False, False)
    kw: dict[str, Any] = dict(weight="w", cluster="psu", strata="st", fpc="f1")
    for policy in ("adjust", "average"):
        plain = survey.mean(survey.Design(d, lonely_psu=policy, **kw), "y", by="dom")
        adl = survey.Design(d, lonely_psu=policy, adjust_domain_lonely=True, **kw)
        changed = survey.mean(adl, "y", by="dom")
        assert not np.allclose(plain["se"], changed["se"]), policy
        assert plain["estimate"].tolist() == changed["estimate"].tolist()
