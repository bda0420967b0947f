"""Issue 12, findings 7 and 10 in the store: encodings, nesting, open quotes, values beyond what
a field can mean, and reports that stay small however many rows a file has refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmsis.data.store import MAX_REFUSALS, Store
from mmsis.errors import InputError

FIX = Path(__file__).parent / "fixtures"
HEADER = "dataelement,period,orgunit,catoptcombo,attroptcombo,value,comment\n"
ROW = "f7n9E0hX8qk,{pe},DiszpKrYNg8,bRowv6yZOF2,{aoc},{v},{note}\n"
BEYOND = "beyond 1,000,000,000,000"


def _reason(text: str) -> str:
    return BEYOND if text.startswith(BEYOND) else text


def _store() -> Store:
    st = Store(":memory:")
    assert st.import_file(FIX / "metadata.json").ok
    return st


def _values(*rows: tuple[str, str, str], note: str = "ok") -> str:
    return HEADER + "".join(ROW.format(pe=pe, aoc=aoc, v=v, note=note) for pe, aoc, v in rows)


def test_utf8_with_and_without_bom_and_utf16_with_bom_are_read(tmp_path: Path) -> None:
    text = _values(("202401", "bRowv6yZOF2", "7"), note="café")
    for name, data in {"plain.csv": text.encode("utf-8"),
                       "bom.csv": b"\xef\xbb\xbf" + text.encode("utf-8"),
                       "u16.csv": text.encode("utf-16"),
                       "u16be.csv": b"\xfe\xff" + text.encode("utf-16-be")}.items():
        st = _store()
        (tmp_path / name).write_bytes(data)
        rep = st.import_file(tmp_path / name)
        assert (rep.imported, rep.refused, rep.file) == (1, 0, str(tmp_path / name)), name


def test_latin1_is_refused_naming_the_encoding_or_read_when_named(tmp_path: Path) -> None:
    f = tmp_path / "latin.csv"
    f.write_bytes(_values(("202401", "bRowv6yZOF2", "7"), note="café").encode("latin-1"))
    st = _store()
    with pytest.raises(InputError) as err:
        st.import_file(f)
    assert err.value.file == str(f)
    assert "Latin-1" in str(err.value) and "--encoding" in str(err.value)
    assert st.count("data_values") == 0
    assert st.import_file(f, encoding="latin-1").imported == 1
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        st.import_file(f, encoding="klingon")


def test_utf16_without_bom_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "u16le.csv"
    f.write_bytes(_values(("202401", "bRowv6yZOF2", "7")).encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16"):
        _store().import_file(f)


def test_deeply_nested_json_is_refused_before_parsing(tmp_path: Path) -> None:
    f = tmp_path / "deep.json"
    f.write_text('{"dataValues": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match="nested deeper than 64") as err:
        _store().import_file(f)
    assert err.value.file == str(f)


def test_an_open_quote_names_the_row_where_it_opens(tmp_path: Path) -> None:
    f = tmp_path / "quote.csv"
    f.write_text(HEADER + ROW.format(pe="202401", aoc="bRowv6yZOF2", v="1", note="a")
                 + '"' + ROW.format(pe="202402", aoc="bRowv6yZOF2", v="1", note="b")
                 + ROW.format(pe="202403", aoc="bRowv6yZOF2", v="1", note="c"))
    st = _store()
    with pytest.raises(InputError) as err:
        st.import_file(f)
    assert (err.value.file, err.value.row) == (str(f), 2)
    assert "never closed" in str(err.value) and "Binder" not in str(err.value)
    assert st.count("data_values") == 0


def test_a_quoted_field_over_two_lines_is_not_an_open_quote(tmp_path: Path) -> None:
    f = tmp_path / "multiline.csv"
    f.write_text(_values(("202401", "bRowv6yZOF2", "1"), note='"two\nlines ""quoted"""'))
    assert _store().import_file(f).imported == 1


def test_open_quote_in_an_org_unit_csv_names_the_row(tmp_path: Path) -> None:
    f = tmp_path / "ous.csv"
    f.write_text('id,name,level,path\nA,"Alpha,1,/A\nB,Beta,2,/A/B\n')
    with pytest.raises(InputError) as err:
        _store().import_file(f)
    assert err.value.row == 1 and "never closed" in str(err.value)


def test_values_beyond_a_count_are_refused_and_never_sum_to_infinity(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text(_values(("202401", "bRowv6yZOF2", "1e308"), ("202401", "HllvX50cXC0", "1e308"),
                         ("202402", "bRowv6yZOF2", "2e12"), ("202403", "bRowv6yZOF2", "inf"),
                         ("202404", "bRowv6yZOF2", "nan"), ("202405", "bRowv6yZOF2", "1e12")))
    st = _store()
    rep = st.import_file(f)
    got = {(r.row, r.column, _reason(r.reason)) for r in rep.refusals}
    assert got == {(1, "value", BEYOND), (2, "value", BEYOND), (3, "value", BEYOND),
                   (4, "value", "not a finite number (infinity or NaN)"),
                   (5, "value", "not a finite number (infinity or NaN)")}
    assert rep.refused == 5 and st.count("data_values") == 0


def test_values_beyond_a_count_are_refused_in_json_too(tmp_path: Path) -> None:
    f = tmp_path / "big.json"
    values = [{"dataElement": "f7n9E0hX8qk", "period": "202401", "orgUnit": "DiszpKrYNg8",
               "attributeOptionCombo": aoc, "value": "1e308"}
              for aoc in ("bRowv6yZOF2", "HllvX50cXC0")]
    f.write_text(json.dumps({"dataValues": values}))
    st = _store()
    rep = st.import_file(f)
    assert [(r.row, _reason(r.reason)) for r in rep.refusals] == [(1, BEYOND), (2, BEYOND)]
    assert st.count("data_values") == 0


@pytest.mark.parametrize("value", ["inf", "-500", "2e12", "nan"])
def test_org_unit_populations_beyond_meaning_are_refused(tmp_path: Path, value: str) -> None:
    f = tmp_path / "ous.csv"
    f.write_text(f"id,name,level,path,population\nA,Alpha,1,/A,1000\nB,Beta,2,/A/B,{value}\n")
    st = _store()
    rep = st.import_file(f)
    assert [(r.row, r.column) for r in rep.refusals] == [(2, "org_units.population")]
    assert st.count("org_units") == 4  # the fixture's; nothing of this file


@pytest.mark.parametrize("value", ["inf", "-500", "2e12", "nan", "many"])
def test_yearly_populations_beyond_meaning_are_refused(tmp_path: Path, value: str) -> None:
    f = tmp_path / "pop.csv"
    f.write_text(f"orgUnit,year,population\nDiszpKrYNg8,2023,1200\nDiszpKrYNg8,2024,{value}\n")
    st = _store()
    rep = st.import_file(f)
    assert [(r.row, r.column) for r in rep.refusals] == [(2, "population")]
    assert st.count("populations") == 0


def test_a_file_of_refused_rows_keeps_the_first_refusals_and_counts_them_all(
        tmp_path: Path) -> None:
    f = tmp_path / "refused.csv"
    rows = "".join(f"f7n9E0hX8qk,2024{i % 12 + 1:02d},NOPE{i},bRowv6yZOF2,bRowv6yZOF2,x{i},n\n"
                   for i in range(3 * MAX_REFUSALS))
    f.write_text(HEADER + rows)
    rep = _store().import_file(f)
    assert rep.refused == 3 * MAX_REFUSALS  # every row, counted exactly
    assert rep.refusals_total == 2 * 3 * MAX_REFUSALS  # unknown org unit and non-numeric
    assert len(rep.refusals) == MAX_REFUSALS
    assert [r.row for r in rep.refusals] == sorted(r.row for r in rep.refusals)
    assert rep.refusals[0].row == 1


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        _store().import_file(tmp_path)
