"""The QAT templates' 'mmsis notes' sheet follows the language in use (issue #17); QAT's own
data sheet keeps QAT's English headers, as QAT's import requires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from tests.catalog_texts import CATALOG

from mmsis import i18n
from mmsis.forecast import qat
from mmsis.forecast.engine import run_forecast
from mmsis.forecast.scenario import scenario_from_dict
from mmsis.present import format as fmt


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_the_notes_sheet_is_in_the_language(tmp_path: Path, base: dict[str, Any], lang: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    res = run_forecast(scenario_from_dict(base))
    with i18n.language("en"):
        english = qat.write_qat(res, tmp_path / "en")
    with i18n.language(lang):
        paths = qat.write_qat(res, tmp_path / lang)
    en_notes = [[c.value for c in r] for r in load_workbook(english[0])["mmsis notes"].rows]
    notes = [[c.value for c in r] for r in load_workbook(paths[0])["mmsis notes"].rows]
    assert en_notes[0] == ["mmsis export for QAT", "forecasted consumption"]
    assert notes[0] == [CATALOG["mmsis export for QAT"][lang],
                        CATALOG["forecasted consumption"][lang]]
    assert notes[1][1] == "hand"  # the scenario's own name stays
    assert all(a != b for a, b in zip([r[0] for r in notes[2:]], [r[0] for r in en_notes[2:]],
                                      strict=True))
    assert "How to import" not in str(notes)
    data = load_workbook(paths[0]).worksheets[0]  # QAT's sheet: its English headers
    assert [c.value for c in data[1]] == [c.value for c in
                                          load_workbook(english[0]).worksheets[0][1]]


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_the_unicef_sheet_is_in_the_language_and_reads_back(
        tmp_path: Path, base: dict[str, Any], lang: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mmsis.forecast import unicef

    res = run_forecast(scenario_from_dict(base))
    with i18n.language(lang):
        path = unicef.write_unicef(res, tmp_path / "u.xlsx")
        back = unicef.read_shipments(path)
        names = [i18n.gettext("Supply forecast"), i18n.gettext("Notes")]
    wb = load_workbook(path)
    assert wb.sheetnames == names and names[0] != "Supply forecast"
    col_a = [c.value for c in wb.worksheets[0]["A"] if isinstance(c.value, str)]
    assert CATALOG["Section 2. Stock-outs (projected)"][lang] in col_a
    assert "Section 2. Stock-outs (projected)" not in col_a
    notes = " ".join(str(c.value) for c in wb.worksheets[1]["B"])
    assert "could not be consulted" not in notes
    with i18n.language(lang):  # the forecast's months as words of the language, not 2025-01
        first = fmt.period(res.months["month"].iloc[0])
    assert first in str(wb.worksheets[0]["B3"].value) and first[:1].isalpha()
    with i18n.language("en"):
        en = unicef.read_shipments(unicef.write_unicef(res, tmp_path / "en.xlsx"))
    assert back["Quantity (tablets)"].tolist() == en["Quantity (tablets)"].tolist()
    assert back["Product"].tolist() != en["Product"].tolist()  # names in the language
