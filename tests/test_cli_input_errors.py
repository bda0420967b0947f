"""Issue 12, finding 10: CLI input errors exit 2 with a message naming the file, row and column,
never a Python traceback; encodings other than UTF-8/UTF-16-with-BOM are named (or read with
--encoding); survey files refuse a text weight (naming the user's column) and duplicate case
ids (naming the rows). Each case runs through `mmsis.cli.main`, as the console script does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mmsis.cli import main

FIX = Path(__file__).parent / "data_dhis2" / "fixtures"
VALUES = ("dataelement,period,orgunit,catoptcombo,attroptcombo,value,comment\n"
          "f7n9E0hX8qk,202401,DiszpKrYNg8,bRowv6yZOF2,bRowv6yZOF2,7,café\n")


def run(monkeypatch: Any, capsys: Any, *args: str) -> tuple[int, str]:
    """(exit code, stdout + stderr) of `mmsis ARGS` through the console entry point."""
    monkeypatch.setattr(sys, "argv", ["mmsis", *args])
    with pytest.raises(SystemExit) as code:
        main()
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text, text
    return int(code.value.code or 0), text


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: Any, capsys: Any) -> str:
    path = str(tmp_path / "s.duckdb")
    assert run(monkeypatch, capsys, "routine", "import", str(FIX / "metadata.json"),
               "--store", path)[0] == 0
    return path


def test_latin1_csv_is_refused_naming_the_encoding_then_read_with_encoding(
        tmp_path: Path, store: str, monkeypatch: Any, capsys: Any) -> None:
    f = tmp_path / "latin.csv"
    f.write_bytes(VALUES.encode("latin-1"))
    code, text = run(monkeypatch, capsys, "routine", "import", str(f), "--store", store)
    assert code == 2 and "latin.csv" in text and "Latin-1" in text and "--encoding" in text
    code, text = run(monkeypatch, capsys, "routine", "import", str(f), "--store", store,
                     "--encoding", "latin-1", "--json")
    assert code == 0 and json.loads(text)["imported"] == 1


def test_utf16_csv_with_bom_is_read(tmp_path: Path, store: str, monkeypatch: Any,
                                    capsys: Any) -> None:
    f = tmp_path / "u16.csv"
    f.write_bytes(VALUES.encode("utf-16"))
    code, text = run(monkeypatch, capsys, "routine", "import", str(f), "--store", store,
                     "--json")
    assert code == 0 and json.loads(text)["imported"] == 1


def test_deep_json_exits_2(tmp_path: Path, store: str, monkeypatch: Any, capsys: Any) -> None:
    f = tmp_path / "deep.json"
    f.write_text('{"dataValues": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, text = run(monkeypatch, capsys, "routine", "import", str(f), "--store", store)
    assert code == 2 and "nested deeper" in text and "deep.json" in text


def test_open_quote_names_the_row_not_a_binder_error(tmp_path: Path, store: str,
                                                      monkeypatch: Any, capsys: Any) -> None:
    f = tmp_path / "quote.csv"
    f.write_text(VALUES + '"' + VALUES.splitlines()[1].replace("202401", "202402") + "\n"
                 + VALUES.splitlines()[1].replace("202401", "202403") + "\n")
    code, text = run(monkeypatch, capsys, "routine", "import", str(f), "--store", store)
    assert code == 2 and "row 2" in text and "quote.csv" in text and "Binder" not in text


@pytest.mark.parametrize("value", ["inf", "-500"])
def test_populations_out_of_meaning_exit_2_naming_the_row(tmp_path: Path, store: str,
                                                          monkeypatch: Any, capsys: Any,
                                                          value: str) -> None:
    f = tmp_path / "pop.csv"
    f.write_text(f"orgUnit,year,population\nDiszpKrYNg8,2023,100\nDiszpKrYNg8,2024,{value}\n")
    code, text = run(monkeypatch, capsys, "routine", "import", str(f), "--store", store,
                     "--json")
    rep = json.loads(text)
    assert code == 2 and [(r["row"], r["column"]) for r in rep["refusals"]] == [
        (2, "population")]


def test_missing_file_and_folder_exit_2(tmp_path: Path, store: str, monkeypatch: Any,
                                        capsys: Any) -> None:
    for target in (tmp_path / "nope.csv", tmp_path):
        code, text = run(monkeypatch, capsys, "routine", "import", str(target), "--store",
                         store)
        assert code == 2 and str(target) in text


def _survey(tmp_path: Path, rows: list[str], name: str = "s.csv") -> Path:
    f = tmp_path / name
    f.write_text("caseid,v005,x\n" + "\n".join(rows) + "\n")
    return f


def test_survey_text_weight_names_the_users_column(tmp_path: Path, monkeypatch: Any,
                                                   capsys: Any) -> None:
    f = _survey(tmp_path, ["1,abc,1", "2,1000000,0", "3,1000000,1"])
    code, text = run(monkeypatch, capsys, "survey", "estimate", str(f), "--var", "x",
                     "--weight", "v005", "--weight-divisor", "1000000")
    assert code == 2 and "'v005'" in text and "row 1" in text and "'_weight'" not in text


def test_survey_duplicate_case_ids_are_refused_naming_the_rows(tmp_path: Path,
                                                               monkeypatch: Any,
                                                               capsys: Any) -> None:
    f = _survey(tmp_path, ["A 1,1,1", "B 2,1,0", "A 1,1,1", "C 3,1,1"])
    code, text = run(monkeypatch, capsys, "survey", "estimate", str(f), "--var", "x")
    assert code == 2 and "rows 1, 3" in text and "caseid" in text


def test_survey_latin1_is_named_then_read_with_encoding(tmp_path: Path, monkeypatch: Any,
                                                        capsys: Any) -> None:
    f = tmp_path / "s.csv"
    f.write_bytes("caseid,region,x\n1,Ségou,1\n2,Kayes,0\n3,Mopti,1\n".encode("latin-1"))
    code, text = run(monkeypatch, capsys, "survey", "estimate", str(f), "--var", "x")
    assert code == 2 and "Latin-1" in text
    code, text = run(monkeypatch, capsys, "survey", "estimate", str(f), "--var", "x",
                     "--encoding", "latin-1", "--json")
    assert code == 0 and json.loads(text)[0]["estimate"] == pytest.approx(2 / 3)


def test_field_import_deep_json_and_latin1_exit_2(tmp_path: Path, monkeypatch: Any,
                                                  capsys: Any) -> None:
    deep = tmp_path / "subs.json"
    deep.write_text('{"value": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, text = run(monkeypatch, capsys, "field", "import", str(deep), "--form", "f")
    assert code == 2 and "nested deeper" in text
    latin = tmp_path / "subs.csv"
    latin.write_bytes("KEY,SubmissionDate,name\nuuid:1,2024-01-01,Ségou\n".encode("latin-1"))
    code, text = run(monkeypatch, capsys, "field", "import", str(latin), "--form", "f")
    assert code == 2 and "Latin-1" in text and "subs.csv" in text


def test_evaluate_table_latin1_and_open_quote_exit_2(tmp_path: Path, monkeypatch: Any,
                                                     capsys: Any) -> None:
    rows = "".join(f"{2023 + i // 12}{i % 12 + 1:02d},{100 + i},{int(i >= 12)}\n"
                   for i in range(24))
    latin = tmp_path / "its.csv"
    latin.write_bytes(("mönth,cases,post\n" + rows).encode("latin-1"))
    args = ["evaluate", "its", str(latin), "--outcome", "cases", "--time", "month",
            "--intervention", "post"]
    code, text = run(monkeypatch, capsys, *args)
    assert code == 2 and "Latin-1" in text
    lines = rows.splitlines(keepends=True)
    latin.write_text("month,cases,post\n" + "".join(lines[:3]) + '"' + "".join(lines[3:]))
    code, text = run(monkeypatch, capsys, *args)
    assert code == 2 and "never closed" in text and "row 4" in text
