"""Hostile QAT files at `mmsis forecast --history` (issue #12's "trust no input" on issue #17's
reader): damaged or lying ZIPs, zip bombs (an export or a template workbook, itself a ZIP),
too many entries, JSON of the wrong shape, a folder instead of a file. Each is refused with
the project's own error naming the file, never another exception; and arbitrary mutations of
a good export, its JSON and a CSV template (hypothesis) do the same."""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from typer.testing import CliRunner

from mmsis.errors import InputError, MmsisError
from mmsis.forecast import qat

FUZZ = settings(max_examples=int(os.environ.get("MMSIS_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _rec(month: str = "2024-12", qty: Any = 10) -> dict[str, Any]:
    return {"consumptionDate": f"{month}-01", "consumptionQty": qty, "actualFlag": True,
            "active": True, "dayOfStockOut": 0,
            "planningUnit": {"label": {"label_en": "Multiple Micronutrient Supplement"}},
            "region": {"label": {"label_en": "National"}}}


def _doc(records: Any = None) -> dict[str, Any]:
    return {"programData": {"generalData": {"programCode": "EX"}, "planningUnitDataList": [
        {"planningUnitData": {"consumptionList": [_rec()] if records is None else records}}]}}


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _good_zip() -> bytes:
    return _zip({"EX~v1.txt": json.dumps(_doc()).encode()})


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _refused(path: Path, says: str = "") -> InputError:
    with pytest.raises(InputError) as exc:
        qat.read_qat_consumption(path, units={"Multiple Micronutrient Supplement": ("mms", 30)})
    assert exc.value.file is not None and str(path) in exc.value.file
    assert says in exc.value.message, exc.value.message
    return exc.value


def test_a_good_export_reads(tmp_path: Path) -> None:
    hist = qat.read_qat_consumption(_write(tmp_path, "ok.zip", _good_zip()), units={
        "Multiple Micronutrient Supplement": ("mms", 30)})
    assert hist["mms_tablets_dispensed"].tolist() == [300.0]


def test_damaged_compressed_data_is_refused(tmp_path: Path) -> None:
    raw = bytearray(_zip({"EX~v1.txt": json.dumps(_doc()).encode() * 50}))
    name_len, extra_len = struct.unpack("<HH", raw[26:30])
    start = 30 + name_len + extra_len
    for i in range(start + 5, start + 40):  # garbage in the deflate stream
        raw[i] ^= 0x5A
    _refused(_write(tmp_path, "damaged.zip", bytes(raw)), "damaged")


def test_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    raw = bytearray(_zip({"EX~v1.txt": json.dumps(_doc()).encode()}, zipfile.ZIP_STORED))
    start = 30 + len("EX~v1.txt")
    raw[start + 3] ^= 0x01  # one byte of the stored text changed: CRC mismatch
    _refused(_write(tmp_path, "crc.zip", bytes(raw)), "damaged")


def test_an_unsupported_compression_method_is_refused(tmp_path: Path) -> None:
    raw = bytearray(_zip({"EX~v1.txt": json.dumps(_doc()).encode()}, zipfile.ZIP_STORED))
    cd = raw.index(b"PK\x01\x02")
    raw[cd + 10:cd + 12] = struct.pack("<H", 99)  # AES (WinZip), not supported by zipfile
    _refused(_write(tmp_path, "aes.zip", bytes(raw)), "compression")


def test_a_lying_uncompressed_size_is_refused(tmp_path: Path) -> None:
    raw = bytearray(_zip({"EX~v1.txt": json.dumps(_doc()).encode() * 20}))
    cd = raw.index(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = struct.pack("<I", 100)  # says 100 bytes, holds far more
    _refused(_write(tmp_path, "liar.zip", bytes(raw)), "damaged")


def test_an_export_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    bomb = json.dumps(_doc()).encode() + b" " * (8 * 2**20)  # 8 MB of spaces, ~8 kB zipped
    _refused(_write(tmp_path, "bomb.zip", _zip({"EX~v1.txt": bomb})), "compress")


def test_an_export_unpacking_past_the_bound_is_refused(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qat, "MAX_UNZIPPED_BYTES", 2**20)
    big = os.urandom(600_000).hex().encode()  # 1.2 MB, not very compressible
    _refused(_write(tmp_path, "big.zip", _zip({"EX~v1.txt": big})), "MB")


def test_too_many_entries_of_any_kind_are_refused(tmp_path: Path) -> None:
    entries = {f"pad/{i}.bin": b"" for i in range(qat.MAX_ZIP_MEMBERS + 5)}
    entries["EX~v1.txt"] = json.dumps(_doc()).encode()
    _refused(_write(tmp_path, "many.zip", _zip(entries)), str(qat.MAX_ZIP_MEMBERS))


def _template_xlsx(rows: int = 1) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(qat.CONSUMPTION_COLUMNS)
    for _ in range(rows):
        ws.append(["Multiple Micronutrient Supplement", "2024-12-01", "National", "Actual",
                   "", "", "", "", "5", "0", "", "True"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _inflated_sheet(raw: bytes, pad: int) -> bytes:
    """The workbook with `pad` spaces after its first sheet's XML (valid XML, tiny zipped)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data += b" " * pad
            z.writestr(info.filename, data)
    return out.getvalue()


def test_a_template_workbook_bomb_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "bomb.xlsx", _inflated_sheet(_template_xlsx(), 8 * 2**20))
    _refused(path, "compress")


def test_a_template_workbook_past_the_bound_is_refused(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qat, "MAX_UNZIPPED_BYTES", 50_000)
    _refused(_write(tmp_path, "big.xlsx", _template_xlsx(rows=2000)), "MB")
    monkeypatch.setattr(qat, "MAX_UNZIPPED_BYTES", 256 * 2**20)
    ok = qat.read_qat_consumption(_write(tmp_path, "ok.xlsx", _template_xlsx(rows=3)),
                                  units={"Multiple Micronutrient Supplement": ("mms", 30)})
    assert ok["mms_tablets_dispensed"].tolist() == [450.0]


@pytest.mark.parametrize("doc", [
    _doc(records=5),
    _doc(records="not a list"),
    {"programData": {"planningUnitDataList": 7}},
    {"programData": {"generalData": [], "planningUnitDataList": [{"planningUnitData": []}]}},
    {"programData": {"consumptionList": {"a": 1}}},
    _doc(records=[{**_rec(), "consumptionDate": None}]),
    _doc(records=[{**_rec(), "consumptionDate": 20241201}]),
    _doc(records=[{**_rec(), "consumptionDate": ["2024-12-01"]}]),
    _doc(records=[{**_rec(), "consumptionQty": {"x": 1}}]),
    _doc(records=[{**_rec(), "consumptionQty": 1e309}]),
    _doc(records=[{**_rec(), "dayOfStockOut": [1]}]),
    _doc(records=[{**_rec(), "planningUnit": "MMS"}]),
    [1, 2, 3],
])
def test_json_of_the_wrong_shape_is_refused(tmp_path: Path, doc: Any) -> None:
    text = json.dumps(doc).replace("Infinity", "1e999").encode()
    _refused(_write(tmp_path, "shape.zip", _zip({"EX~v1.txt": text})))


def test_deep_json_is_refused(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    _refused(_write(tmp_path, "deep.zip", _zip({"EX~v1.txt": deep})), "nested")


def test_a_folder_named_like_an_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.zip").mkdir()
    _refused(tmp_path / "folder.zip", "not a file")


def test_the_cli_answers_a_hostile_history_with_the_projects_error(tmp_path: Path) -> None:
    import yaml

    from mmsis.cli import app

    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump({
        "name": "x", "start": "2025-01", "horizon_months": 12,
        "geography": {"level": "national", "pregnancies": 1200}}))
    raw = bytearray(_zip({"EX~v1.txt": json.dumps(_doc()).encode() * 50}))
    name_len, extra_len = struct.unpack("<HH", raw[26:30])
    for i in range(30 + name_len + extra_len + 5, 30 + name_len + extra_len + 40):
        raw[i] ^= 0x5A
    hist = _write(tmp_path, "h.zip", bytes(raw))
    res = CliRunner().invoke(app, ["forecast", "--scenario", str(scen), "--history",
                                   str(hist)])
    # mmsis.cli.main prints the project's errors in one line (file, row, column), exit 2
    assert isinstance(res.exception, InputError), res.exception
    assert "h.zip" in str(res.exception) and "damaged" in str(res.exception)


# --- property tests: arbitrary damage gives a table or the project's error ---------------

PIECES = [b'"', b",", b"\n", b"{", b"}", b"[", b"]", b":", b"\xff", b"\x00", b"1e308",
          b"-1", b"NaN", b"null", b"true", b"9" * 40, b"@~-~@", b"PK\x03\x04"]


@st.composite
def _mutated(draw: Any, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "delete", "flip"]))
        if how == "insert":
            data[at:at] = draw(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=8))
        elif how == "delete":
            del data[at:at + draw(st.integers(1, 6))]
        elif at < len(data):
            data[at] ^= draw(st.integers(1, 255))
    return bytes(data)


def _either(path: Path) -> None:
    with contextlib.suppress(MmsisError):
        qat.read_qat_consumption(path, units={"Multiple Micronutrient Supplement": ("mms", 30)})


@FUZZ
@given(data=_mutated(_good_zip()))
def test_fuzz_export_zip_bytes(tmp_path: Path, data: bytes) -> None:
    _either(_write(tmp_path, "f.zip", data))


@FUZZ
@given(data=_mutated(json.dumps(_doc([_rec(), _rec("2024-11", "20.00000000")])).encode()))
def test_fuzz_export_json_text(tmp_path: Path, data: bytes) -> None:
    _either(_write(tmp_path, "j.zip", _zip({"EX~v1.txt": data})))


_CSV = (",".join(f'"{c}"' for c in qat.CONSUMPTION_COLUMNS) + "\n"
        + "Multiple Micronutrient Supplement,2024-12-01,National,Actual,,,,,5,0,,True\n"
        + "Multiple Micronutrient Supplement,2024-11-01,National,Actual,,,,,7,3,,True\n"
        ).encode()


@FUZZ
@given(data=_mutated(_CSV))
def test_fuzz_template_csv(tmp_path: Path, data: bytes) -> None:
    _either(_write(tmp_path, "t.csv", data))


@FUZZ
@given(data=_mutated(_template_xlsx()))
def test_fuzz_template_xlsx_bytes(tmp_path: Path, data: bytes) -> None:
    _either(_write(tmp_path, "t.xlsx", data))


@FUZZ
@given(cells=st.lists(st.text(max_size=12) | st.sampled_from(
    ["2024-13-01", "٢٠٢٤-01-01", "2024²-01", "inf", "-0", "1e400", "nan", "31", "32", "True",
     "false", "Forecast", " Actual "]), min_size=12, max_size=12))
def test_fuzz_template_cells(tmp_path: Path, cells: list[str]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(qat.CONSUMPTION_COLUMNS)
    try:
        ws.append(cells)
    except IllegalCharacterError:  # openpyxl refuses control characters: no user's file
        return
    path = tmp_path / "cells.xlsx"
    wb.save(path)
    _either(path)


def test_blank_rows_are_skipped_and_rows_named_as_in_the_file(tmp_path: Path) -> None:
    header = ",".join(f'"{c}"' for c in qat.CONSUMPTION_COLUMNS)
    good = "Multiple Micronutrient Supplement,2024-11-01,National,Actual,,,,,5,0,,True"
    bad = good.replace("2024-11-01", "2024-12-01").replace(",5,", ",lots,")
    csv = _write(tmp_path, "t.csv", f"{header}\n{good}\n\n{bad}\n".encode())
    e = _refused(csv, "quantity")
    assert (e.row, e.column) == (4, "Quantity (PU)")  # line 4 of the file, after a blank one
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(qat.CONSUMPTION_COLUMNS)
    ws.append(good.split(","))
    ws.append([])  # rows left empty between filled ones (QAT's template checks 1,000 rows)
    ws.append([""] * len(qat.CONSUMPTION_COLUMNS))
    ws.append(bad.split(","))
    path = tmp_path / "t.xlsx"
    wb.save(path)
    e = _refused(path, "quantity")
    assert (e.row, e.column) == (5, "Quantity (PU)")
    ws.delete_rows(5)
    wb.save(path)
    ok = qat.read_qat_consumption(path, units={"Multiple Micronutrient Supplement": ("mms", 30)})
    assert ok["mms_tablets_dispensed"].tolist() == [150.0]


def test_a_region_outside_a_district_scenario_is_named_with_its_row(tmp_path: Path) -> None:
    from mmsis.forecast.scenario import scenario_from_dict

    sc = scenario_from_dict({"name": "d", "start": "2025-01", "horizon_months": 12,
                             "geography": {"level": "district", "districts": [
                                 {"id": "D1", "name": "Alpha", "pregnancies": 100}]}})
    here = {**_rec(), "region": {"label": {"label_en": "alpha"}}}
    away = {**_rec("2024-11"), "region": {"label": {"label_en": "Nowhere"}}}
    path = _write(tmp_path, "r.zip", _zip({"EX~v1.txt": json.dumps(_doc([here, away])).encode()}))
    with pytest.raises(InputError) as exc:
        qat.read_qat_consumption(path, scenario=sc)
    assert (exc.value.file, exc.value.row, exc.value.column) == (str(path), 2, "Region")
    assert "Nowhere" in exc.value.message
    path.write_bytes(_zip({"EX~v1.txt": json.dumps(_doc([here])).encode()}))
    assert qat.read_qat_consumption(path, scenario=sc)["district"].tolist() == ["D1"]


@FUZZ
@given(items=st.lists(st.text(max_size=20) | st.sampled_from(
    ["A=mms", "B=ifa:60", "=mms", "C=mms:0", "D=mms:nan", "E=ifa:1e400", "F=MMS:-3",
     "G=mms:30:1", "x==ifa", "H=ifa: 7 "]), max_size=5))
def test_fuzz_unit_map(items: list[str]) -> None:
    with contextlib.suppress(MmsisError):
        for name, (prod, tabs) in qat.parse_unit_map(items).items():
            assert name and prod in ("mms", "ifa")
            assert tabs is None or 0 < tabs <= 1e12


def test_a_large_repetitive_export_is_no_bomb(tmp_path: Path) -> None:
    records = [_rec(f"{y}-{m:02d}", 10) for y in range(1500, 2100) for m in range(1, 13)]
    text = json.dumps(_doc(records)).encode()
    raw = _zip({"EX~v1.txt": text})
    assert len(text) > 2**20 and len(text) / len(raw) > 50  # packs like a real program's
    hist = qat.read_qat_consumption(_write(tmp_path, "big.zip", raw),
                                    units={"Multiple Micronutrient Supplement": ("mms", 30)})
    assert len(hist) == len(records)
