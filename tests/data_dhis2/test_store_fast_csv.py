"""The fast CSV import (typed read, set-based checks, rename into an empty store) gives exactly
the results of the row-by-row-checked path, and falls back to it for every refused file."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.data.store import Store

FIX = Path(__file__).parent / "fixtures"
DES = ["f7n9E0hX8qk", "Ix2HsbDMLea", "eY5ehpbEsB7"]
OU = "DiszpKrYNg8"


def _store() -> Store:
    st = Store(":memory:")
    assert st.import_file(FIX / "metadata.json").ok
    # NUMBER elements: the random values include halves (INTEGER elements refuse them)
    st.con.execute("UPDATE data_elements SET value_type = 'NUMBER'")
    return st


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["dataelement", "period", "orgunit", "catoptcombo", "attroptcombo", "value"])
        w.writerows(rows)
    return path


def _rows(seed: int, n_periods: int = 30) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n_periods):
        pe = f"{2020 + m // 12}{m % 12 + 1:02d}"
        for de in DES:
            for coc in ("bRowv6yZOF2", ""):
                v = rng.integers(0, 50)
                value = "" if rng.random() < 0.1 else (f"{v}.5" if rng.random() < 0.2 else str(v))
                rows.append([de, pe, OU, coc, "", value])
    return rows


def _slow(st: Store, path: Path):
    """The same file through the DataFrame path (row-level checks, no fast path)."""
    return st.import_data_values(pd.read_csv(path, dtype=str, keep_default_na=False).rename(
        columns={"dataelement": "dataElement", "orgunit": "orgUnit",
                 "catoptcombo": "categoryOptionCombo", "attroptcombo": "attributeOptionCombo"}))


def _values(st: Store) -> pd.DataFrame:
    return st.query("SELECT * FROM data_values ORDER BY ALL")


def test_fast_path_equals_checked_path_on_import_and_reimport(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.csv", _rows(1))
    changed = _rows(1)
    for r in changed[::7]:
        r[5] = "999"
    second = _write(tmp_path / "b.csv", changed + [[DES[0], "202501", OU, "", "", "4"]])
    fast, slow = _store(), _store()
    for path in (first, first, second):
        a, b = fast.import_file(path), _slow(slow, path)
        assert (a.rows, a.imported, a.updated, a.ignored, a.refused) == \
            (b.rows, b.imported, b.updated, b.ignored, b.refused)
        pd.testing.assert_frame_equal(_values(fast), _values(slow))
    assert a.updated > 0 and a.imported >= 1 and a.ignored > 0
    types = dict(fast.con.execute("SELECT column_name, data_type FROM "
                                  "information_schema.columns WHERE table_name = "
                                  "'data_values'").fetchall())
    assert types == {"data_element": "VARCHAR", "period": "VARCHAR", "org_unit": "VARCHAR",
                     "coc": "VARCHAR", "aoc": "VARCHAR", "value": "DOUBLE",
                     "source": "VARCHAR"}
    tables = {r[0] for r in fast.con.execute("SHOW TABLES").fetchall()}
    assert "_mmsis_import" not in tables


def test_clean_file_never_takes_the_row_level_path(tmp_path: Path, monkeypatch) -> None:
    st = _store()

    def boom(*a: object) -> None:
        raise AssertionError("row-level path used for a clean file")

    monkeypatch.setattr(Store, "_stage_to_values", boom)
    rep = st.import_file(_write(tmp_path / "a.csv", _rows(2)))
    assert rep.ok and rep.imported == st.count("data_values") > 0


@pytest.mark.parametrize(("bad", "column", "reason"), [
    ("NaN", "value", "not a finite number (infinity or NaN)"),
    ("inf", "value", "not a finite number (infinity or NaN)"),
    ("1e400", "value", "not a finite number (infinity or NaN)"),
    ("1e308", "value", "beyond 1,000,000,000,000, more than any count or population this "
     "field can hold"),
    ("-2e12", "value", "beyond 1,000,000,000,000, more than any count or population this "
     "field can hold"),
    ("12 kg", "value", "non-numeric value"),
    ("period", "period", "invalid period"),
    ("orgunit", "orgUnit", "unknown org unit"),
    ("dataelement", "dataElement", "unknown data element"),
    ("duplicate", "key", "duplicate key within file"),
])
def test_refused_files_fall_back_and_write_nothing(tmp_path: Path, bad: str, column: str,
                                                  reason: str) -> None:
    st = _store()
    rows = _rows(3, n_periods=4)
    rows = [r for r in rows if r[5] != ""]
    target = 5  # 1-based data row number of the spoiled row
    row = rows[target - 1]
    if bad == "period":
        row[1] = "2024M13"
    elif bad == "orgunit":
        row[2] = "NOSUCHOU"
    elif bad == "dataelement":
        row[0] = "NOSUCHDE"
    elif bad == "duplicate":
        rows[target - 1] = list(rows[1])
    else:
        row[5] = bad
    rep = st.import_file(_write(tmp_path / "bad.csv", rows))
    assert not rep.ok and rep.refused == 1
    (r,) = rep.refusals
    assert (r.row, r.column, r.reason) == (target, column, reason)
    if bad == "duplicate":
        assert r.value == "first at row 2"
    assert st.count("data_values") == 0
    order = st.con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert order == (True,)  # the exact path's row numbers rely on it
    tables = {t[0] for t in st.con.execute("SHOW TABLES").fetchall()}
    assert "_mmsis_import" not in tables


def test_reimport_after_reports_import(tmp_path: Path) -> None:
    st = _store()
    assert st.import_reports(pd.DataFrame({"dataSet": ["DS"], "period": ["202001"],
                                           "orgUnit": [OU], "received": ["1"]})).ok
    path = _write(tmp_path / "a.csv", _rows(4))
    first = st.import_file(path)
    again = st.import_file(path)
    assert first.imported > 0
    assert (again.imported, again.updated, again.ignored) == (0, 0, first.rows)


def test_refused_file_leaves_a_filled_store_unchanged(tmp_path: Path) -> None:
    st = _store()
    assert st.import_file(_write(tmp_path / "a.csv", _rows(5))).ok
    before = _values(st)
    rows = _rows(6)
    rows[3][1] = "2024M13"
    rep = st.import_file(_write(tmp_path / "bad.csv", rows))
    assert [(r.row, r.reason) for r in rep.refusals] == [(4, "invalid period")]
    pd.testing.assert_frame_equal(_values(st), before)
    assert "_mmsis_import" not in {t[0] for t in st.con.execute("SHOW TABLES").fetchall()}


def test_row_numbers_exact_in_a_many_chunk_file(tmp_path: Path) -> None:
    st = _store()
    rows = [r for r in _rows(7, n_periods=1200) if r[5] != ""]
    rows[5999][5] = "n/a"
    rep = st.import_file(_write(tmp_path / "big.csv", rows))
    assert [(r.row, r.value) for r in rep.refusals] == [(6000, "n/a")]
    rows[5999][5] = "1"
    assert st.import_file(_write(tmp_path / "big.csv", rows)).imported == len(rows)
