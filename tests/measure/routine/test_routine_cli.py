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


def test_series_by_concept_gives_the_mapped_elements_rows(tmp_path: Path) -> None:
    """`--concept anc1` reads the element the store's mapping names (a DHIS2 UID), the same
    rows as `--element UID`; an unknown or unmapped concept exits 2 naming the known ones."""
    store = str(tmp_path / "s.duckdb")
    for f in ("metadata.json", "dataValueSets.csv"):
        assert runner.invoke(app, ["routine", "import", str(FIX / f), "--store", store]
                             ).exit_code == 0
    mapping = tmp_path / "concepts.yaml"
    mapping.write_text("elements:\n  anc1: f7n9E0hX8qk\n  mms_clients: Ix2HsbDMLea\n")
    assert runner.invoke(app, ["routine", "concepts", "--store", store, "--set", str(mapping)]
                         ).exit_code == 0

    def rows(*args: str) -> list[dict[str, object]]:
        res = runner.invoke(app, ["routine", "series", "--store", store, *args, "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.output)  # type: ignore[no-any-return]

    by_concept = rows("--concept", "anc1", "--org-unit", "ImspTQPwCqd")
    assert by_concept and {r["data_element"] for r in by_concept} == {"f7n9E0hX8qk"}
    assert by_concept == rows("--element", "f7n9E0hX8qk", "--org-unit", "ImspTQPwCqd")
    both = rows("--concept", "anc1,mms_clients", "--level", "2")
    assert both == rows("--element", "f7n9E0hX8qk", "-e", "Ix2HsbDMLea", "--level", "2")
    assert {r["data_element"] for r in both} == {"f7n9E0hX8qk", "Ix2HsbDMLea"}

    unknown = runner.invoke(app, ["routine", "series", "--store", store, "--concept", "anc9"])
    assert unknown.exit_code == 2
    assert "unknown concept(s) anc9" in unknown.output and "mms_stock_on_hand" in unknown.output
    unmapped = runner.invoke(app, ["routine", "series", "--store", store, "--concept",
                                   "ifa_clients", "--json"])
    assert unmapped.exit_code == 2
    text = " ".join(unmapped.output.split())
    assert "mapped to ifa_clients" in text and "Mapped concepts: anc1, mms_clients" in text
    neither = runner.invoke(app, ["routine", "series", "--store", store])
    both_given = runner.invoke(app, ["routine", "series", "--store", store, "-e", "x",
                                     "--concept", "anc1"])
    assert neither.exit_code == both_given.exit_code == 2
    assert "--element" in neither.output


def test_series_table_for_people_names_units_and_months(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without --json the monthly values read as words in the language: the store's element
    and org-unit names (not UIDs), periods as months, headers translated."""
    from mmsis import i18n

    monkeypatch.delenv("MMSIS_LANG", raising=False)
    store = str(tmp_path / "s.duckdb")
    for f in ("metadata.json", "dataValueSets.csv"):
        assert runner.invoke(app, ["routine", "import", str(FIX / f), "--store", store]
                             ).exit_code == 0
    with i18n.language("en"):  # the command sets the language for the rest of its context
        res = runner.invoke(app, ["--lang", "pt", "routine", "series", "--store", store,
                                  "-e", "f7n9E0hX8qk", "--org-unit", "ImspTQPwCqd"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Malaria cases" in text and "Sierra Leone" in text and "jan. 2014" in text
    assert "período" in text and "valor" in text
    assert "f7n9E0hX8qk" not in text and "ImspTQPwCqd" not in text and "201401" not in text


def test_import_counts_in_the_language_format(example_country, tmp_path: Path,
                                              monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The import line's counts follow the language (28.896 in Portuguese, not 28,896)."""
    from mmsis import i18n

    monkeypatch.delenv("MMSIS_LANG", raising=False)
    reports, metadata = tmp_path / "reports.csv", tmp_path / "metadata.json"
    metadata.write_text(json.dumps(example_country.metadata()))
    assert runner.invoke(app, ["routine", "import", str(metadata), "--store",
                               str(tmp_path / "s.duckdb")]).exit_code == 0
    example_country.reports.to_csv(reports, index=False)
    rows = len(example_country.reports)
    assert rows >= 1000
    with i18n.language("en"):  # the command sets the language for the rest of its context
        res = runner.invoke(app, ["--lang", "pt", "routine", "import", str(reports),
                                  "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert f"{rows:,}".replace(",", ".") in text and f"{rows:,}" not in text
