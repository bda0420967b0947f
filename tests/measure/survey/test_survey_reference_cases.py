"""Every survey case of tests/data/cases.json (R survey on the api data) to relative 1e-6."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mmsis.measure import survey

DATA = Path(__file__).resolve().parents[2] / "data"
CASES = json.loads((DATA / "cases.json").read_text())["survey"]["cases"]


def _design(name: str) -> survey.Design:
    if name == "dclus1":
        df = pd.read_csv(DATA / "apiclus1.csv")
        d = survey.Design(df, weight="pw", cluster="dnum", fpc="fpc")
    elif name == "dstrat":
        df = pd.read_csv(DATA / "apistrat.csv")
        d = survey.Design(df, weight="pw", strata="stype", fpc="fpc")
    elif name == "dclus2":
        df = pd.read_csv(DATA / "apiclus2.csv")
        d = survey.Design(df, cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    else:  # pragma: no cover - a new design in cases.json must be added here
        raise AssertionError(name)
    df["sw"] = (df["sch.wide"] == "Yes").astype(float)
    return d


def _var(expr: str) -> str:
    return "sw" if expr == "sch.wide == 'Yes'" else expr


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:  # type: ignore[type-arg]
    d = _design(case["design"])
    var = _var(case["var"])
    fn = survey.proportion if case["stat"].startswith("proportion") else survey.mean
    res = fn(d, var, by=case.get("by"))
    if "by" in case:
        res = res.set_index(case["by"])
        for key, value in case["estimate"].items():
            assert res.loc[key, "estimate"] == pytest.approx(value, rel=1e-6)
            assert res.loc[key, "se"] == pytest.approx(case["se"][key], rel=1e-6)
        return
    row = res.iloc[0]
    assert row["estimate"] == pytest.approx(case["estimate"], rel=1e-6)
    for key in ("se", "ci_low", "ci_high"):
        if key in case:
            assert row[key] == pytest.approx(case[key], rel=1e-6)
    if "deff" in case:  # given to 6 significant digits in cases.json
        assert row["deff"] == pytest.approx(case["deff"], rel=1e-6)
    if "df = PSUs - strata" in case["stat"]:
        assert row["df"] == 14


def test_cases_cover_all_designs() -> None:
    assert {c["design"] for c in CASES} == {"dclus1", "dstrat", "dclus2"}
