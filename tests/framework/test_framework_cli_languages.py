"""`mmsis --lang fr|pt framework map|show` (issue #17): the knowledge base's words (phases,
pillars, key results, ERIC names and definitions, headers) in the language; JSON stays English."""

from __future__ import annotations

import json

import pytest
from tests.forecast.test_forecast_cli_languages import _cells
from tests.report.test_report_languages import left_in_english
from typer.testing import CliRunner

from mmsis import i18n
from mmsis.cli import app


def _run(*args: str) -> str:
    with i18n.language("en"):
        res = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_framework_map_and_eric_in_the_language(lang: str) -> None:
    shown = _run("--lang", lang, "framework", "map")
    assert not left_in_english(_cells(shown), lang), shown
    assert {"fr": "Résultats clés par pilier et par phase", "pt": "Resultados-chave por pilar e "
            "por fase"}[lang] in " ".join(shown.split())
    eric = " ".join(_run("--lang", lang, "framework", "show", "eric").split())
    assert {"fr": "Évaluer des aspects de l'organisation",
            "pt": "Avaliar aspetos da organização"}[lang] in eric
    assert "Assess aspects of the organisation" not in eric
    records = json.loads(_run("--lang", lang, "framework", "show", "eric", "--json"))
    assert records[0]["definition"].startswith("Assess aspects")  # machines keep English
