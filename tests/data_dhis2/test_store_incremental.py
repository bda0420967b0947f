"""Re-imports only compare: unchanged rows are never rewritten, changed values are updated in
place, a new month is appended; the monthly totals follow each import."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.data.store import Store

OUS = pd.DataFrame({"id": ["C", "D1", "F1", "F2"], "name": ["C", "D1", "F1", "F2"],
                    "level": [1, 2, 3, 3], "path": ["/C", "/C/D1", "/C/D1/F1", "/C/D1/F2"]})
DES = pd.DataFrame({"id": ["ANC1", "ANC4"], "aggregation_type": "SUM"})


def _csv(path: Path, months: list[str], bump: dict[tuple[str, str, str], float] | None = None
         ) -> Path:
    rows = [(de, pe, ou, float(i)) for i, (de, pe, ou) in enumerate(
        (de, pe, ou) for pe in months for de in ("ANC1", "ANC4") for ou in ("F1", "F2"))]
    df = pd.DataFrame(rows, columns=["dataelement", "period", "orgunit", "value"])
    for (de, pe, ou), v in (bump or {}).items():
        df.loc[(df["dataelement"] == de) & (df["period"] == pe) & (df["orgunit"] == ou),
               "value"] = v
    df.insert(3, "categoryoptioncombo", "HllvX50cXC0")
    df.insert(4, "attributeoptioncombo", "HllvX50cXC0")
    df.to_csv(path, index=False)
    return path


def _rows(st: Store) -> pd.DataFrame:
    return st.query("SELECT rowid AS rid, data_element, period, org_unit, value, source "
                    "FROM data_values ORDER BY rid")


def test_unchanged_reimport_rewrites_nothing_and_changes_update_in_place(tmp_path: Path) -> None:
    st = Store(str(tmp_path / "s.duckdb"))
    assert st.import_metadata({"org_units": OUS, "data_elements": DES}).ok
    first = _csv(tmp_path / "a.csv", ["202401", "202402"])
    with st.batch("b1", "data_values"):
        assert st.import_file(first).imported == 8
    before = _rows(st)
    totals = st.query("SELECT * FROM value_totals ORDER BY ALL")
    with st.batch("b2", "data_values"):
        again = st.import_file(first)
    assert (again.imported, again.updated, again.ignored) == (0, 0, 8)
    pd.testing.assert_frame_equal(_rows(st), before)  # same rows, same ids, same batch
    pd.testing.assert_frame_equal(st.query("SELECT * FROM value_totals ORDER BY ALL"), totals)

    changed = _csv(tmp_path / "b.csv", ["202401", "202402"], {("ANC1", "202402", "F2"): 100.0})
    with st.batch("b3", "data_values"):
        rep = st.import_file(changed)
    assert (rep.imported, rep.updated, rep.ignored) == (0, 1, 7)
    after = _rows(st)
    diff = after.merge(before, on="rid", suffixes=("", "_old"))
    moved = diff[(diff["value"] != diff["value_old"]) | (diff["source"] != diff["source_old"])]
    assert len(after) == 8 and len(diff) == 8  # updated in place: the row keeps its id
    assert moved[["data_element", "period", "org_unit", "value", "source"]].values.tolist() == [
        ["ANC1", "202402", "F2", 100.0, "b3"]]
    d1 = st.query("SELECT value FROM value_totals WHERE org_unit = 'D1' AND "
                  "data_element = 'ANC1' AND period = '202402'")["value"].tolist()
    assert d1 == [after.query("data_element == 'ANC1' and period == '202402'")["value"].sum()]

    march = _csv(tmp_path / "c.csv", ["202403"])
    rep = st.import_file(march)
    assert (rep.imported, rep.updated, rep.ignored) == (4, 0, 0)
    assert st.query("SELECT count(*) AS n FROM value_totals WHERE period = '202403'")[
        "n"].iloc[0] == 2 * 4  # two elements x (F1, F2, D1, C)


def test_identical_reimport_only_hashes_and_a_changed_byte_is_compared(tmp_path: Path,
                                                                       monkeypatch) -> None:
    """The same bytes again (nothing written since) take the hash-only path and change nothing;
    one changed byte, or any write in between, goes through the full checks and comparison."""
    st = Store(str(tmp_path / "s.duckdb"))
    assert st.import_metadata({"org_units": OUS, "data_elements": DES}).ok
    first = _csv(tmp_path / "a.csv", ["202401", "202402"])
    rep = st.import_file(first)
    assert (rep.imported, rep.unchanged) == (8, False)
    before, totals = _rows(st), st.query("SELECT * FROM value_totals ORDER BY ALL")
    parsed: list[str] = []
    full = Store._import_file
    monkeypatch.setattr(Store, "_import_file",
                        lambda self, p, k, name: parsed.append(name) or full(self, p, k, name))
    again = st.import_file(first)
    assert again.unchanged and (again.rows, again.imported, again.updated, again.ignored) == (
        8, 0, 0, 8)
    assert parsed == []  # not read, not compared
    pd.testing.assert_frame_equal(_rows(st), before)
    pd.testing.assert_frame_equal(st.query("SELECT * FROM value_totals ORDER BY ALL"), totals)

    text = first.read_text()
    one_byte = tmp_path / "b.csv"
    one_byte.write_text(text.replace(",7.0\n", ",8.0\n", 1))  # same size, one byte differs
    assert one_byte.stat().st_size == first.stat().st_size
    rep = st.import_file(one_byte)
    assert not rep.unchanged and (rep.imported, rep.updated, rep.ignored) == (0, 1, 7)
    assert parsed == [str(one_byte)]
    # the store changed since a.csv: a.csv is compared again (and sets the value back)
    rep = st.import_file(first)
    assert not rep.unchanged and (rep.imported, rep.updated, rep.ignored) == (0, 1, 7)
    pd.testing.assert_frame_equal(_rows(st)[["data_element", "period", "org_unit", "value"]],
                                  before[["data_element", "period", "org_unit", "value"]])
    # any other write (here metadata) forgets the content too
    assert st.import_metadata({"data_elements": DES}).ok
    assert not st.import_file(first).unchanged
    assert st.import_file(first).unchanged


def test_a_level_change_rebuilds_the_totals_the_lookup_filters_on(tmp_path: Path) -> None:
    # the subtree lookup filters value_totals on the unit's level (to skip other levels' row
    # groups): a unit whose level changes, with the same path, must not lose its totals
    from mmsis.measure.routine.totals import subtree_series

    st = Store(str(tmp_path / "s.duckdb"))
    assert st.import_metadata({"org_units": OUS, "data_elements": DES}).ok
    assert st.import_file(_csv(tmp_path / "a.csv", ["202401"])).ok
    before = subtree_series(st, ["ANC1"], "D1")
    assert before is not None and len(before) == 1
    relevelled = OUS.assign(level=OUS["level"] + 1)
    assert st.import_metadata({"org_units": relevelled}).ok
    after = subtree_series(st, ["ANC1"], "D1")
    assert after is not None
    pd.testing.assert_frame_equal(after, before)
    assert st.query("SELECT DISTINCT level FROM value_totals WHERE org_unit = 'D1'")[
        "level"].tolist() == [3]
