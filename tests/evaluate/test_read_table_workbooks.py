"""Issue #12's rules at `mmsis evaluate`'s table reader for Excel workbooks: a damaged XLSX
or a ZIP that is no workbook is refused naming the file (it raised BadZipFile or KeyError), a
workbook bomb (a sheet packed 1000:1) before it is unpacked; a good workbook still reads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate.cli import read_table


def _xlsx(path: Path) -> bytes:
    pd.DataFrame({"period": ["2024-01", "2024-02"], "y": [1, 2]}).to_excel(path, index=False)
    return path.read_bytes()


def test_a_good_workbook_reads(tmp_path: Path) -> None:
    _xlsx(tmp_path / "ok.xlsx")
    assert read_table(tmp_path / "ok.xlsx")["y"].tolist() == [1, 2]


def test_damaged_or_foreign_zips_are_refused(tmp_path: Path) -> None:
    raw = _xlsx(tmp_path / "ok.xlsx")
    (tmp_path / "cut.xlsx").write_bytes(raw[: len(raw) // 2])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "not a workbook")
    (tmp_path / "other.xlsx").write_bytes(buf.getvalue())
    for name in ("cut.xlsx", "other.xlsx"):
        with pytest.raises(InputError) as exc:
            read_table(tmp_path / name)
        assert exc.value.file == str(tmp_path / name)


def test_a_workbook_bomb_is_refused(tmp_path: Path) -> None:
    src = zipfile.ZipFile(io.BytesIO(_xlsx(tmp_path / "ok.xlsx")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data += b" " * (8 * 2**20)
            z.writestr(info.filename, data)
    (tmp_path / "bomb.xlsx").write_bytes(out.getvalue())
    with pytest.raises(InputError, match="compresses"):
        read_table(tmp_path / "bomb.xlsx")
