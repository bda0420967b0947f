"""Issue #12's zip rules at the field export readers (an ODK Central ZIP, a Kobo XLSX, itself a
ZIP): a bomb (a huge entry packed at 1000:1) and damaged compressed data are refused with the
project's error naming the file, never a zlib/BadZipFile traceback or gigabytes unpacked."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from tests.field.test_field_repeats import FORM, kobo_xlsx, odk_zip, visits

from mmsis.data.field import read_export
from mmsis.errors import InputError


def _rezip(path: Path, grow: str, pad: int) -> None:
    """The archive again, with `pad` spaces after the entry `grow` (valid CSV/XML still)."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            z.writestr(info.filename, data + b" " * pad if info.filename == grow else data)
    path.write_bytes(out.getvalue())


def test_an_odk_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = odk_zip(tmp_path / "bomb.zip", visits())
    first = zipfile.ZipFile(path).namelist()[0]
    _rezip(path, first, 8 * 2**20)
    with pytest.raises(InputError, match="compresses") as exc:
        read_export(path, FORM)
    assert exc.value.file == str(path)


def test_a_kobo_workbook_bomb_is_refused(tmp_path: Path) -> None:
    path = kobo_xlsx(tmp_path / "bomb.xlsx", visits())
    _rezip(path, "xl/worksheets/sheet1.xml", 8 * 2**20)
    with pytest.raises(InputError, match="compresses"):
        read_export(path, FORM)


def test_damaged_odk_zip_data_is_refused(tmp_path: Path) -> None:
    path = odk_zip(tmp_path / "damaged.zip", visits())
    first = zipfile.ZipFile(path).namelist()[0]
    _rezip(path, first, 0)  # deflated, so its bytes can be damaged
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[26:30])
    start = 30 + name_len + extra_len
    for i in range(start + 2, start + 30):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="damaged|not a readable"):
        read_export(path, FORM)
