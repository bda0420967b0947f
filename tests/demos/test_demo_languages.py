"""`mmsis --lang fr|pt demo` (issue #17): the loop's step titles and the steps' printouts
(tables, sentences) are in the language; no catalog string is left in English."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.forecast.test_forecast_cli_languages import _cells
from tests.report.test_report_languages import left_in_english

from mmsis import i18n
from mmsis.datasets import ExampleCountry
from mmsis.demos.loop import STEPS

WORDS = {
    "framework": {"fr": ["Résultats clés par pilier x phase", "actuelle"],
                  "pt": ["Resultados-chave por pilar x fase", "atual"]},
    "survey": {"fr": ["Cascade de couverture des MMS", "Observance : consommés/reçus"],
               "pt": ["Cascata de cobertura de MMS", "Adesão: consumidos/recebidos"]},
    "routine": {"fr": ["Données de routine", "Score de qualité des données"],
                "pt": ["Dados de rotina", "Pontuação de qualidade dos dados"]},
    "forecast": {"fr": ["grossesses couvertes par les MMS", "décès néonatals évités"],
                 "pt": ["gravidezes cobertas por MMS", "óbitos neonatais evitados"]},
}


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_the_loop_titles_are_catalog_messages(lang: str) -> None:
    titles = [title for title, _key, _module in STEPS]
    with i18n.language(lang):
        shown = [i18n.gettext(t) for t in titles]
    assert all(s != t for s, t in zip(shown, titles, strict=True)), shown


@pytest.mark.parametrize("lang", ["fr", "pt"])
@pytest.mark.parametrize("step", sorted(WORDS))
def test_demo_steps_print_in_the_language(tmp_path: Path, example_country: ExampleCountry,
                                          capsys: pytest.CaptureFixture[str], lang: str,
                                          step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setenv("COLUMNS", "250")  # the steps' own consoles: wide, words unwrapped
    run_demo = importlib.import_module(f"mmsis.demos.steps.{step}").run_demo
    with i18n.language(lang):
        run_demo(tmp_path, example_country)
    out = capsys.readouterr().out
    assert not left_in_english(_cells(out), lang), out
    text = " ".join(out.split())
    for w in WORDS[step][lang]:
        assert w in text, (w, text[:2000])


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_plan_init_says_what_it_wrote_in_the_language(tmp_path: Path, lang: str) -> None:
    from typer.testing import CliRunner

    from mmsis.cli import app

    with i18n.language("en"):
        res = CliRunner().invoke(app, ["--lang", lang, "plan", "init", "--country", "Testland",
                                       "--file", str(tmp_path / "p.yaml")])
    assert res.exit_code == 0, res.output
    assert {"fr": "statuts de résultats clés", "pt": "estados de resultados-chave"}[lang] \
        in " ".join(res.output.split())
    assert not left_in_english(_cells(res.output), lang), res.output
