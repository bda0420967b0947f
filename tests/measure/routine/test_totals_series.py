"""The web's fast series (value_totals lookups) give monthly_series' rows exactly, and decline
(None) where the totals cannot give the same answer: an element that does not sum, weekly data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.data.store import Store
from mmsis.measure.routine.series import monthly_series
from mmsis.measure.routine.totals import subtree_series

OUS = pd.DataFrame({"id": ["C", "R1", "D1", "D2", "F1", "F2", "F3"],
                    "name": ["C", "R1", "D1", "D2", "F1", "F2", "F3"],
                    "level": [1, 2, 3, 3, 4, 4, 4],
                    "path": ["/C", "/C/R1", "/C/R1/D1", "/C/R1/D2", "/C/R1/D1/F1",
                             "/C/R1/D1/F2", "/C/R1/D2/F3"]})
DES = pd.DataFrame({"id": ["ANC1", "STOCK", "WEEKLY"],
                    "aggregation_type": ["SUM", "LAST", "SUM"]})


def _store(tmp_path: Path) -> Store:
    st = Store(str(tmp_path / "s.duckdb"))
    assert st.import_metadata({"org_units": OUS, "data_elements": DES}).ok
    rows = ["dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value"]
    for i, (pe, ou, coc) in enumerate((pe, ou, coc) for pe in ("202401", "202402", "202403")
                                      for ou in ("F1", "F2", "F3") for coc in ("c1", "c2")):
        rows.append(f"ANC1,{pe},{ou},{coc},HllvX50cXC0,{i + 1}")
        rows.append(f"STOCK,{pe},{ou},{coc},HllvX50cXC0,{100 - i}")
    rows.append("ANC1,202402,D2,c1,HllvX50cXC0,7")  # a value entered at a district
    rows += ["WEEKLY,2024W1,F1,c1,HllvX50cXC0,3", "WEEKLY,202401,F2,c1,HllvX50cXC0,4"]
    (tmp_path / "v.csv").write_text("\n".join(rows) + "\n")
    with st.batch("b1", "data_values"):
        assert st.import_file(tmp_path / "v.csv").ok
    return st


def test_totals_give_monthly_series_rows_for_summed_monthly_elements(tmp_path: Path) -> None:
    st = _store(tmp_path)
    for unit in ("C", "R1", "D1", "D2", "F3"):
        fast = subtree_series(st, ["ANC1"], unit)
        assert fast is not None
        slow = monthly_series(st, ["ANC1"], unit)
        assert len(fast) == 3
        pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
    # a unit with no values of the element: both give no rows
    assert subtree_series(st, ["NOPE"], "C") is not None
    assert subtree_series(st, ["NOPE"], "C").empty  # type: ignore[union-attr]


def test_totals_decline_what_they_cannot_answer_the_same_way(tmp_path: Path) -> None:
    st = _store(tmp_path)
    assert subtree_series(st, ["STOCK"], "C") is None  # LAST: the latest value, not a sum
    assert subtree_series(st, ["ANC1", "STOCK"], "D1") is None
    assert subtree_series(st, ["WEEKLY"], "C") is None  # a week is not a month
    assert subtree_series(st, [], "C") is None
