"""`mmsis --lang fr|pt forecast`: the tables' titles, headers and items are in the language
(issue #17); no catalog string is left in English in the output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.report.test_report_languages import left_in_english
from typer.testing import CliRunner

from mmsis import i18n
from mmsis.cli import app


def _cells(output: str) -> list[str]:
    """The output's lines and table cells (split at the table's borders)."""
    return [cell.strip() for line in output.splitlines()
            for cell in re.split(r"[│┃]", line) if cell.strip()]


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_forecast_tables_in_the_language(tmp_path: Path, base: dict[str, Any],
                                         lang: str) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(base))
    with i18n.language("en"):
        res = CliRunner().invoke(app, ["--lang", lang, "forecast", "--scenario", str(scenario)],
                                 env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert not left_in_english(_cells(res.output), lang), res.output
    words = {"fr": ["Prévisions : hand", "Plan de commandes", "Budget par année"],
             "pt": ["Previsão: hand", "Plano de encomendas", "Orçamento por ano"]}[lang]
    for w in words:
        assert w in res.output, w
    assert "Order plan" not in res.output and "Forecast: hand" not in res.output
