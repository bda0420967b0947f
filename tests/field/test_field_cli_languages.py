"""`mmsis --lang fr|pt field import` (issue #17): the scores' title, headers, measure names
and sentences are in the language; no catalog string is left in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.forecast.test_forecast_cli_languages import _cells
from tests.report.test_report_languages import left_in_english
from typer.testing import CliRunner

from field.loopback_field import respondents
from field.test_field_roundtrip import FORM, export
from mmsis import i18n
from mmsis.cli import app


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_field_import_in_the_language(tmp_path: Path, lang: str) -> None:
    rows: list[dict[str, Any]] = respondents(12)
    export(rows, "kobo").to_excel(tmp_path / "kobo.xlsx", index=False)
    with i18n.language("en"):
        res = CliRunner().invoke(app, ["--lang", lang, "field", "import",
                                       str(tmp_path / "kobo.xlsx"), "--form", FORM,
                                       "--store", str(tmp_path / "s.duckdb")],
                                 env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert not left_in_english(_cells(res.output), lang), res.output
    text = " ".join(res.output.split())
    words = {"fr": ["Faisabilité (FIM)", "Scores de 12 soumissions", "12 nouvelles",
                    "sur l'échelle de 1 à 5"],
             "pt": ["Viabilidade (FIM)", "Pontuações de 12 submissões", "12 novas",
                    "na escala de 1 a 5"]}[lang]
    for w in words:
        assert w in text, w
    assert "Feasibility (FIM)" not in text and "submissions of" not in text
