"""A country's concept mapping: saved in the store, validated, read back, file round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mmsis.data import concepts
from mmsis.data.store import Store, load_example
from mmsis.datasets import example_country
from mmsis.errors import InputError


def _country_store() -> Store:
    """A 5-level hierarchy with DHIS2-like UIDs (no example ids)."""
    st = Store(":memory:")
    ous = pd.DataFrame({
        "id": ["N0", "R1", "D1", "S1", "F1"], "name": list("NRDSF"),
        "path": ["/N0", "/N0/R1", "/N0/R1/D1", "/N0/R1/D1/S1", "/N0/R1/D1/S1/F1"]})
    des = pd.DataFrame({"id": ["fbfJHSPpUQD", "x8Jq2M4fn1C"], "name": ["ANC 1st", "MMS SOH"],
                        "aggregation_type": ["SUM", "SUM"]})
    assert st.import_metadata({"org_units": ous, "data_elements": des}).ok
    return st


def test_example_store_holds_the_example_mapping() -> None:
    st = Store(":memory:")
    load_example(st, example_country())
    cm = st.concepts()
    assert cm.require("anc1") == "ANC1" and cm.district_level == 3 and cm.region_level == 2
    assert concepts.stored(st) == cm
    assert concepts.infer(st) == cm  # the conventional mapping reproduces it


def test_saved_mapping_is_validated_and_read_back(tmp_path: Path) -> None:
    st = _country_store()
    assert st.concepts().elements == {}  # nothing by convention: UIDs are not concept names
    assert st.concepts().district_level == 4  # deepest - 1 until the country says otherwise
    f = tmp_path / "concepts.yaml"
    f.write_text("elements:\n  anc1: fbfJHSPpUQD\n  mms_stock_on_hand: "
                 "{data_element: x8Jq2M4fn1C, aggregation_type: last}\n"
                 "levels: {district: 3, region: 2}\n")
    cm = st.set_concepts(concepts.load_file(f))
    assert cm.element("anc1") == "fbfJHSPpUQD" and cm.district_level == 3
    agg = st.con.execute("SELECT aggregation_type FROM data_elements WHERE id = 'x8Jq2M4fn1C'"
                         ).fetchone()
    assert agg == ("LAST",)
    doc = concepts.to_document(st)
    assert doc["saved"] and doc["elements"]["mms_stock_on_hand"]["aggregation_type"] == "LAST"
    again = concepts.from_document(concepts.file_document(cm))
    assert again.elements == cm.elements and again.district_level == 3


@pytest.mark.parametrize(("doc", "words"), [
    ({"elements": {"anc1": "NOPE123"}}, "NOPE123"),
    ({"levels": {"district": 6}}, "levels 1 to 5"),
    ({"levels": {"district": 2, "region": 3}}, "below the district"),
    ({"elements": {"anc9": "fbfJHSPpUQD"}}, "unknown concept"),
    ({"elements": {"anc1": {"data_element": "fbfJHSPpUQD", "aggregation_type": "PLUS"}}},
     "aggregation type"),
])
def test_bad_mappings_are_refused_naming_the_problem(doc: dict, words: str) -> None:
    st = _country_store()
    with pytest.raises(InputError, match=words):
        st.set_concepts(concepts.from_document(doc))
    assert concepts.stored(st) is None  # nothing saved


def test_unmapped_concept_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="mms_clients"):
        _country_store().concepts().require("mms_clients")


def test_cli_sets_and_shows_the_mapping(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from mmsis.cli import app

    store = tmp_path / "s.duckdb"
    with Store(store) as st:
        ous = pd.DataFrame({"id": ["N0", "R1", "D1", "S1", "F1"], "name": list("NRDSF"),
                            "path": ["/N0", "/N0/R1", "/N0/R1/D1", "/N0/R1/D1/S1",
                                     "/N0/R1/D1/S1/F1"]})
        des = pd.DataFrame({"id": ["fbfJHSPpUQD"], "name": ["ANC 1st"],
                            "aggregation_type": ["SUM"]})
        assert st.import_metadata({"org_units": ous, "data_elements": des}).ok
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"elements": {"anc1": "fbfJHSPpUQD"},
                             "levels": {"district": 3, "region": 2}}))
    runner = CliRunner()
    res = runner.invoke(app, ["routine", "concepts", "--store", str(store), "--set", str(f),
                              "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["saved"] and doc["elements"]["anc1"]["name"] == "ANC 1st"
    shown = runner.invoke(app, ["routine", "concepts", "--store", str(store)])
    assert shown.exit_code == 0 and "ANC first visits" in shown.stdout
    assert "Districts: level 3" in shown.stdout
    f.write_text(json.dumps({"elements": {"anc1": "NOPE1234567"}}))
    bad = runner.invoke(app, ["routine", "concepts", "--store", str(store), "--set", str(f)])
    assert bad.exit_code != 0 and "NOPE1234567" in str(bad.exception or bad.output)


def test_a_changed_aggregation_type_renews_the_series_caches_key() -> None:
    st = _country_store()
    before = st.elements_version(["x8Jq2M4fn1C"])
    st.set_concepts(concepts.ConceptMap(elements={"anc1": "fbfJHSPpUQD"}))
    assert st.elements_version(["x8Jq2M4fn1C"]) == before  # nothing changed for it
    st.set_concepts(concepts.ConceptMap(elements={"mms_stock_on_hand": "x8Jq2M4fn1C"},
                                        aggregation_types={"mms_stock_on_hand": "LAST"}))
    assert st.elements_version(["x8Jq2M4fn1C"]) != before
