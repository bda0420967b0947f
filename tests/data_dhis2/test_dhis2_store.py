"""The store: DHIS2 formats in and out, refused rows with row numbers, nothing half-imported,
idempotent re-imports."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mmsis.data.store import Store

FIX = Path(__file__).parent / "fixtures"


def _store() -> Store:
    st = Store(":memory:")
    assert st.import_file(FIX / "metadata.json").ok
    return st


def test_metadata_json() -> None:
    st = _store()
    ous = st.org_units().set_index("id")
    assert ous.loc["DiszpKrYNg8", "level"] == 4
    assert ous.loc["DiszpKrYNg8", "parent_id"] == "YuQRtpLP10I"
    assert st.count("data_elements") == 3


def test_data_value_set_json_uses_set_level_defaults() -> None:
    st = _store()
    rep = st.import_file(FIX / "dataValueSets.json")
    assert (rep.imported, rep.updated, rep.ignored, rep.refused) == (3, 0, 0, 0)
    df = st.data_values().set_index("data_element")
    assert df.loc["Ix2HsbDMLea", "value"] == 2
    assert (df["period"] == "201401").all() and (df["org_unit"] == "DiszpKrYNg8").all()
    assert (df["coc"] == "HllvX50cXC0").all()


def test_csv_then_reimport_is_idempotent_and_updates(tmp_path: Path) -> None:
    st = _store()
    assert st.import_file(FIX / "dataValueSets.csv").imported == 3
    again = st.import_file(FIX / "dataValueSets.csv")
    assert (again.imported, again.updated, again.ignored) == (0, 0, 3)
    changed = tmp_path / "changed.csv"
    changed.write_text((FIX / "dataValueSets.csv").read_text().replace('"2","admin"',
                                                                       '"20","admin"'))
    rep = st.import_file(changed)
    assert (rep.imported, rep.updated, rep.ignored) == (0, 1, 2)
    assert st.count("data_values") == 3
    df = st.data_values()
    assert df.loc[df.data_element == "Ix2HsbDMLea", "value"].iloc[0] == 20
    assert (df["coc"] == "bRowv6yZOF2").all()


def test_bad_file_refuses_every_bad_row_and_writes_nothing() -> None:
    st = _store()
    rep = st.import_file(FIX / "bad_values.csv")
    assert not rep.ok
    got = {(r.row, r.reason) for r in rep.refusals}
    assert got == {(2, "invalid period"), (3, "unknown org unit"), (4, "non-numeric value"),
                   (5, "duplicate key within file")}
    assert rep.refused == 4
    assert st.count("data_values") == 0  # the good rows 1 and 6 were not written either


def test_unknown_data_element_refused() -> None:
    st = _store()
    df = pd.DataFrame({"dataElement": ["NOPE"], "period": ["202401"],
                       "orgUnit": ["DiszpKrYNg8"], "value": ["1"]})
    rep = st.import_data_values(df)
    assert rep.refusals[0].reason == "unknown data element" and rep.refusals[0].row == 1


def test_analytics_json_and_export_roundtrip(tmp_path: Path) -> None:
    st = _store()
    rep = st.import_file(FIX / "analytics.json")
    assert rep.imported == 2
    out = tmp_path / "export.json"
    assert st.export_data_values(out) == 2
    doc = json.loads(out.read_text())
    assert {v["value"] for v in doc["dataValues"]} == {"10", "12.5"}
    csv_out = tmp_path / "export.csv"
    st.export_data_values(csv_out)
    st2 = _store()
    # an analytics average (12.5) is not a data value DHIS2 accepts for an INTEGER element
    again = st2.import_file(csv_out)
    assert again.imported == 0 and [(r.row, r.column) for r in again.refusals] == [(2, "value")]
    assert "value type INTEGER" in again.refusals[0].reason
    st2.import_metadata({"data_elements": pd.DataFrame(
        {"id": ["f7n9E0hX8qk"], "value_type": ["NUMBER"], "aggregation_type": ["SUM"]})})
    assert st2.import_file(csv_out).imported == 2
    assert st2.data_values()["value"].sum() == 22.5


VT_CASES = [  # value type, value, accepted (DHIS2's ValueType rules)
    ("NUMBER", "-3.5", True), ("INTEGER", "-4", True), ("INTEGER", "2.5", False),
    ("INTEGER_POSITIVE", "0", False), ("INTEGER_POSITIVE", "3", True),
    ("INTEGER_ZERO_OR_POSITIVE", "-1", False), ("INTEGER_ZERO_OR_POSITIVE", "0", True),
    ("INTEGER_NEGATIVE", "-2", True), ("INTEGER_NEGATIVE", "2", False),
    ("PERCENTAGE", "101", False), ("UNIT_INTERVAL", "0.4", True), ("BOOLEAN", "true", True),
    ("BOOLEAN", "2", False), ("TRUE_ONLY", "0", False), ("TEXT", "12", False), (None, "-7", True),
]


@pytest.mark.parametrize(("vt", "value", "ok"), VT_CASES)
def test_value_checked_against_its_value_type(vt, value, ok, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    st = _store()
    st.import_metadata({"data_elements": pd.DataFrame(
        {"id": ["VT"], "value_type": [vt], "aggregation_type": ["SUM"]})})
    row = {"dataElement": "VT", "period": "202401", "orgUnit": "DiszpKrYNg8", "value": value}
    rep = st.import_data_values(pd.DataFrame([row]))
    assert rep.ok == ok, rep.refusals
    if not ok:
        assert rep.refusals[0].column == "value" and st.count("data_values") == 0
    # the CSV fast path and the exact path agree
    csv = tmp_path / "v.csv"
    csv.write_text(f"dataElement,period,orgUnit,value\nVT,202402,DiszpKrYNg8,{value}\n")
    assert st.import_file(csv).ok == ok


def test_batch_rows_and_values_commit_together() -> None:
    st = _store()
    df = pd.DataFrame({"dataElement": ["f7n9E0hX8qk"], "period": ["202401"],
                       "orgUnit": ["DiszpKrYNg8"], "value": ["3"]})
    with st.batch("upload:1", "dhis2", "a.csv"):
        assert st.import_data_values(df).ok
    assert st.has_batch("upload:1")
    assert st.query("SELECT source FROM data_values")["source"].tolist() == ["upload:1"]
    bad = df.assign(period="202413")
    with st.batch("upload:2", "dhis2", "b.csv"):
        assert not st.import_data_values(bad).ok
    assert not st.has_batch("upload:2")


def test_scope_refuses_org_units_outside_the_subtree() -> None:
    st = _store()
    df = pd.DataFrame({"dataElement": ["f7n9E0hX8qk"], "period": ["202401"],
                       "orgUnit": ["DiszpKrYNg8"], "value": ["3"]})
    with st.scoped("/ImspTQPwCqd/O6uvpzGd5p"):  # a prefix of a sibling's id is not its parent
        rep = st.import_data_values(df)
    assert rep.refusals[0].reason == "outside your part of the hierarchy"
    with st.scoped("/ImspTQPwCqd/O6uvpzGd5pu"):
        assert st.import_data_values(df).ok


def test_store_file_persists(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.import_file(FIX / "metadata.json")
        st.import_file(FIX / "dataValueSets.json")
    with Store(path) as st:
        assert st.count("data_values") == 3


def test_reports_refusals() -> None:
    st = _store()
    df = pd.DataFrame({"dataSet": ["DS", "DS", "DS"], "period": ["201401", "201402", "2014X"],
                       "orgUnit": ["DiszpKrYNg8", "DiszpKrYNg8", "DiszpKrYNg8"],
                       "expected": ["1", "1", "1"], "received": ["1", "2", "1"],
                       "on_time": ["1", "0", ""]})
    rep = st.import_reports(df)
    assert {(r.row, r.column) for r in rep.refusals} == {(2, "received"), (3, "period")}
    assert st.count("reports") == 0


def test_headerless_csv_in_dhis2_column_order_and_blank_values(tmp_path: Path) -> None:
    st = _store()
    f = tmp_path / "noheader.csv"
    f.write_text("f7n9E0hX8qk,201401,DiszpKrYNg8,,,4\nIx2HsbDMLea,201401,DiszpKrYNg8,,,\n")
    rep = st.import_file(f)
    assert (rep.imported, rep.ignored, rep.refused) == (1, 1, 0)
    assert st.data_values()["value"].tolist() == [4.0]


def test_format_readers_agree_with_the_store() -> None:
    from mmsis.data.dhis2 import formats

    df = formats.read_data_value_set_csv(FIX / "dataValueSets.csv")
    assert df.columns.tolist() == formats.DV_COLUMNS
    assert df["value"].tolist() == ["1", "2", "3"]
    assert (df["categoryOptionCombo"] == "bRowv6yZOF2").all()
    doc = json.loads((FIX / "analytics.json").read_text())
    dv = formats.analytics_to_data_values(formats.read_analytics_json(doc))
    assert dv["period"].tolist() == ["201401", "201402"]
    back = formats.data_values_to_json(dv)
    assert back["dataValues"][1]["value"] == "12.5"


def test_metadata_refusals_name_table_and_row() -> None:
    st = Store(":memory:")
    ous = pd.DataFrame({"id": ["A", "B", "B"], "name": ["a", "b", "b2"], "level": [1, 2, 2],
                        "path": ["/A", "/A/X", "/A/B"], "population": ["10", "x", "5"]})
    rep = st.import_metadata({"org_units": ous})
    got = {(r.row, r.column, r.reason) for r in rep.refusals}
    assert got == {(2, "org_units.path", "path must end with the id"),
                   (2, "org_units.population", "non-numeric value"),
                   (3, "org_units.id", "duplicate key within file")}
    assert st.count("org_units") == 0


def test_large_json_fast_path_matches_and_reports_rows(tmp_path: Path, monkeypatch) -> None:
    import mmsis.data.store as store_mod

    monkeypatch.setattr(store_mod, "_BIG_JSON", 0)  # every JSON file takes the DuckDB path
    st = _store()
    rep = st.import_file(FIX / "dataValueSets.json")
    assert (rep.imported, rep.refused) == (3, 0)
    assert st.data_values().set_index("data_element")["value"].to_dict() == {
        "f7n9E0hX8qk": 1, "Ix2HsbDMLea": 2, "eY5ehpbEsB7": 3}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"period": "201401", "dataValues": [
        {"dataElement": "f7n9E0hX8qk", "orgUnit": "DiszpKrYNg8", "value": 7},
        {"dataElement": "f7n9E0hX8qk", "orgUnit": "DiszpKrYNg8", "value": "x",
         "period": "201402"}]}))
    rep = st.import_file(bad)
    assert [(r.row, r.reason) for r in rep.refusals] == [(2, "non-numeric value")]
    meta = st.import_file(FIX / "metadata.json")  # not dataValues: falls back to the parser
    assert meta.kind.startswith("org_units") and meta.updated == 4 + 3 + 2
