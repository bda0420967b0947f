"""The `mmsis routine` commands: import (with refusals and exit codes), indicators, quality."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mmsis.cli import app

FIX = Path(__file__).resolve().parents[2] / "data_dhis2" / "fixtures"
runner = CliRunner()


def test_import_indicators_quality_on_example(example_country, tmp_path: Path) -> None:
    c = example_country
    files = {"metadata": tmp_path / "metadata.json", "values": tmp_path / "values.csv",
             "reports": tmp_path / "reports.csv", "again": tmp_path / "again.json"}
    files["metadata"].write_text(json.dumps(c.metadata()))
    c.data_values.to_csv(files["values"], index=False)
    c.reports.to_csv(files["reports"], index=False)
    first = c.data_values[c.data_values["period"] == c.periods[0]]
    files["again"].write_text(json.dumps({"dataValues": first.to_dict(orient="records")}))
    store = str(tmp_path / "s.duckdb")
    for key in ("metadata", "values", "reports"):
        res = runner.invoke(app, ["routine", "import", str(files[key]), "--store", store])
        assert res.exit_code == 0, res.output
        assert "imported" in res.output and "refused 0" in res.output
        assert "org_units" not in res.output  # table names in words ("org units")
    res = runner.invoke(app, ["routine", "import", str(files["again"]), "--store", store,
                              "--json"])
    rep = json.loads(res.output)
    assert rep["imported"] == 0 and rep["ignored"] == len(first) > 0
    res = runner.invoke(app, ["routine", "indicators", "--store", store, "--level", "2",
                              "--period-type", "yearly", "--indicator", "reporting_completeness",
                              "--json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.output)
    assert {r["org_unit"] for r in recs} == set(
        example_country.org_units.query("level == 2")["id"])
    assert set(recs[0]) == {"org_unit", "org_unit_name", "period", "indicator", "numerator",
                            "denominator", "value"}
    res = runner.invoke(app, ["routine", "indicators", "--store", store, "--level", "1",
                              "--period-type", "quarterly", "-i", "anc1_coverage", "--csv"])
    assert res.output.splitlines()[0] == \
        "org_unit,org_unit_name,period,indicator,numerator,denominator,value"
    assert len(res.output.splitlines()) == 1 + 16
    res = runner.invoke(app, ["routine", "quality", "--store", store, "--json"])
    out = json.loads(res.output)
    assert 0 < out["score"] <= 100 and out["table"]


def test_import_refusal_exits_nonzero_and_writes_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["routine", "import", str(FIX / "metadata.json"),
                               "--store", store]).exit_code == 0
    res = runner.invoke(app, ["routine", "import", str(FIX / "bad_values.csv"), "--store", store])
    assert res.exit_code == 2
    assert "refused 4" in res.output and "unknown org unit" in res.output
    from mmsis.data.store import Store

    with Store(store) as st:
        assert st.count("data_values") == 0
