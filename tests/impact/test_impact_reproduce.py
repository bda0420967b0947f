"""Published models re-run from their stated inputs: the shipped scenarios run through the CLI,
the comparison table is computed from the engine, every gap beyond 15% is explained term by
term, and the inputs derived from a paper's own results are checked against them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.forecast.scenario import load_scenario, scenario_from_dict
from mmsis.impact.engine import run_impact
from mmsis.impact.reproduce import (
    differences,
    implied_nmr,
    reproduction_table,
    reproductions,
    scenario_path,
)

IDS = [e["id"] for e in reproductions()["reproductions"]]


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return reproduction_table()


@pytest.mark.parametrize("rid", IDS)
def test_shipped_scenario_runs_through_the_cli(rid: str) -> None:
    res = CliRunner().invoke(app, ["impact", "--scenario", str(scenario_path(rid)),
                                   "--draws", "200", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["currency"] == "USD" and d["currency_year"] == 2016
    assert d["dalys_averted"]["central"] > 0


def test_table_is_the_engine_beside_the_paper(table) -> None:  # type: ignore[no-untyped-def]
    assert set(table["id"]) == set(IDS)
    for _, row in table.iterrows():
        sc = load_scenario(scenario_path(row["id"]))
        ours = run_impact(sc, draws=200, seed=1).measure(row["measure"])["central"]
        assert row["mmsis_value"] == pytest.approx(ours, rel=1e-12)
        assert row["difference_pct"] == pytest.approx(
            100 * (ours - row["paper_value"]) / row["paper_value"], rel=1e-12)
        assert row["within_tolerance"] == (abs(row["difference_pct"]) <= 15)


def test_every_gap_is_explained_term_by_term(table) -> None:  # type: ignore[no-untyped-def]
    diffs = differences()
    for _, row in table[~table["within_tolerance"]].iterrows():
        terms = diffs[diffs["study"] == row["study"]]
        assert len(terms) >= 3, row["study"]
        assert (terms["paper_model"].str.len() > 0).all()
        assert (terms["mmsis_model"].str.len() > 0).all()


def test_kashi_cost_is_derived_from_the_papers_own_results() -> None:
    # ICER x DALYs per 100,000 pregnancies is the same incremental cost in all three countries
    costs = [41.54 * 4391, 31.62 * 5769, 21.26 * 8578]
    assert max(costs) / min(costs) - 1 < 3e-4
    sc = load_scenario(scenario_path("kashi_2019_pakistan"))
    cost = run_impact(sc, draws=200, seed=1).measure("incremental_cost")["central"]
    assert cost == pytest.approx(sum(costs) / 3, rel=1e-3)


def test_implied_nmr_reproduces_the_paper() -> None:
    sc = load_scenario(scenario_path("engle_stone_2019_bangladesh"))
    nmr = implied_nmr(sc, "cost_per_death_averted", 180.0)
    raw = sc.model_dump()
    raw["impact"]["baseline"]["neonatal_mortality"] = nmr
    got = run_impact(scenario_from_dict(raw), draws=200, seed=1).measure(
        "cost_per_death_averted")["central"]
    assert got == pytest.approx(180.0, rel=1e-9)
