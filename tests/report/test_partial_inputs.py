"""The report built from partial inputs (a country's own uploads, not the example country):
sections without data say why, numbers come from the inputs, no synthetic text appears."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mmsis.data.programme import CountryProgramme, SurveyWave
from mmsis.report.build import build_report
from report.testland import ORG_UNITS, values


@pytest.fixture(scope="module")
def routine_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    inputs = CountryProgramme(
        country={"name": "Testland"}, org_units=ORG_UNITS,
        data_values=values(["202401", "202402", "202403"]),
        sources={"routine": "upload testland.csv (12 values)"},
        missing={"survey": "no survey microdata uploaded to this workspace"},
        origin="this workspace")
    out = tmp_path_factory.mktemp("partial")
    res = build_report(out, country=inputs)
    return {"res": res, "html": res.html.read_text(encoding="utf-8"), "out": out}


def test_missing_parts_are_unavailable_with_reasons(routine_only: dict[str, Any]) -> None:
    res, html = routine_only["res"], routine_only["html"]
    assert res.sections == ["scorecard", "agenda", "cascade", "routine", "evaluation", "decide",
                            "decisions"]
    assert res.missing.pop("decisions").startswith("no decisions, specified strategies")
    assert res.missing == {
        "cascade": "no survey microdata uploaded to this workspace",
        "evaluation": "no MMS start month per district in this workspace",
        "decide": "no forecast scenario in this workspace",
    }
    for why in res.missing.values():
        assert f"Not available: {why}" in html
    assert "MMS implementation report: Testland" in html


def test_numbers_and_sources_are_the_inputs_own(routine_only: dict[str, Any]) -> None:
    html = routine_only["html"]
    # the latest quarter: MMS clients 3 x (4 + 8) = 36 over ANC1 3 x (10 + 20) = 90
    row = re.search(r"<td>Jan-Mar 2024</td><td>MMS clients per ANC1 client</td>(.*?)</tr>", html)
    assert row, "no latest-quarter row for mms_share_of_anc1"
    assert re.findall(r">([^<]*)</td>", row.group(1)) == ["0.4", "36", "90"]
    assert "upload testland.csv (12 values)" in html
    assert "Examplia" not in html and "synthetic example country" not in html
    assert "Measured values" in html
    assert routine_only["res"].key_numbers.get("mms_received_any") is None
    from openpyxl import load_workbook

    sheets = load_workbook(routine_only["out"] / "agenda.xlsx").sheetnames
    assert "Routine monthly" in sheets and "Cascade" not in sheets


def test_unusable_data_give_a_reason_not_a_crash(tmp_path: Path) -> None:
    # a survey without the DHS columns the recode needs, and a roll-out in one wave only
    inputs = CountryProgramme(
        country={"name": "Testland"}, org_units=ORG_UNITS,
        data_values=values(["202401", "202402"]),
        waves=[SurveyWave(name="w1", frame=pd.DataFrame({"caseid": ["1", "2"],
                                                         "v005": [1_000_000, 1_000_000]}))],
        rollout=pd.DataFrame({"district_id": ["D1", "D2"], "mms_start": ["202402", "202402"]}))
    res = build_report(tmp_path, country=inputs)
    assert res.missing["cascade"].startswith("the survey data could not be used")
    assert "at least two different months" in res.missing["evaluation"]
    assert "routine" not in res.missing


def test_no_data_at_all_still_gives_scorecard_and_agenda(tmp_path: Path) -> None:
    inputs = CountryProgramme(country={"name": "Emptyland"}, org_units=ORG_UNITS.head(0))
    res = build_report(tmp_path, country=inputs)
    assert set(res.missing) == {"cascade", "routine", "evaluation", "decide", "decisions"}
    assert res.missing["routine"] == "no DHIS2 routine data values in the report inputs"
    html = res.html.read_text(encoding="utf-8")
    assert '<section id="scorecard">' in html and '<section id="agenda">' in html
    assert "Measured values: none" in html


def test_evaluation_uses_the_inputs_rollout_and_recovers_a_planted_effect() -> None:
    import numpy as np

    from mmsis.report.build import build_sections

    rng = np.random.default_rng(1)
    starts = {"D1": "202307", "D2": "202307", "D3": "202401", "D4": "202401"}
    months = [f"{y}{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
    ous = [("C", "Testland", 1, None, "/C", None), ("R1", "North", 2, "C", "/C/R1", None)]
    rows = []
    for i, d in enumerate(starts, 1):
        ous.append((d, f"District {i}", 3, "R1", f"/C/R1/{d}", None))
        for j in range(3):
            f = f"F{i}{j}"
            ous.append((f, f"Clinic {f}", 4, d, f"/C/R1/{d}/{f}", 1000.0))
            # ANC1 Poisson(100), 20% more once the district has MMS: true rate ratio 1.2
            rows += [("ANC1", pe, f, str(rng.poisson(120 if pe >= starts[d] else 100)))
                     for pe in months]
    inputs = CountryProgramme(
        country={"name": "Testland"},
        org_units=pd.DataFrame(ous, columns=list(ORG_UNITS.columns)),
        data_values=pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit", "value"]),
        rollout=pd.DataFrame({"district_id": list(starts), "mms_start": list(starts.values())}),
        sources={"rollout": "the saved scenario's roll-out"})
    secs, objs = build_sections(inputs)
    ev = {s.id: s for s in secs}["evaluation"]
    assert ev.missing is None
    rr = float(objs["evaluation"].summary.set_index("term").loc["did2s_att", "rr"])
    assert rr == pytest.approx(1.2, abs=0.05)
    assert ev.bullets == [f"did2s rate ratio {rr:.3f}"]  # no generator truth for real data
    assert any("the saved scenario's roll-out" in s for s in ev.sources)
    assert not any("synthetic" in s.lower() for s in ev.sources)
