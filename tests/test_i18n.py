"""Languages (issue #17): the catalogs are complete, the language is chosen as documented, numbers
and dates follow the locale, and the report and the CLI speak French and Portuguese."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmsis import i18n


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "mmsis.po").open("rb") as fh:
        return read_po(fh)


def _template_ids() -> set[object]:
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "mmsis.pot").open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    cat = _catalog(lang)
    ids = {m.id for m in cat if m.id}
    assert ids == _template_ids()  # the catalog follows the template (make translations)
    for m in cat:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"{lang}: {m.id!r} untranslated"
        for source, target in zip(m.id if isinstance(m.id, tuple) else (m.id,), strings,
                                  strict=False):
            names = sorted(re.findall(r"%\((\w+)\)", source))
            assert sorted(re.findall(r"%\((\w+)\)", target)) == names, (lang, m.id)


def test_the_language_is_chosen_from_the_code_the_environment_or_english(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert i18n.normalise("pt_MZ") == "pt" and i18n.normalise("FR-be") == "fr"
    assert i18n.normalise("de") is None
    assert i18n.negotiate("de-DE,pt;q=0.4,fr;q=0.8") == "fr"
    assert i18n.negotiate("de, en;q=0.1") == "en" and i18n.negotiate("de") is None
    assert i18n.negotiate("fr;q=0, pt") == "pt"
    monkeypatch.delenv("MMSIS_LANG", raising=False)
    assert i18n.current_language() == "en" and i18n.gettext("Dashboard") == "Dashboard"
    monkeypatch.setenv("MMSIS_LANG", "pt")
    assert i18n.gettext("Dashboard") == "Painel"
    with i18n.language("fr"):
        assert i18n.gettext("Dashboard") == "Tableau de bord"
        assert i18n.ngettext("%(num)d member scored", "%(num)d members scored", 2) % {
            "num": 2} == "2 membres ont noté"
    assert i18n.current_language() == "pt"
    with pytest.raises(ValueError, match="choose one of en, fr, pt"):
        i18n.check_language("xx")


def test_numbers_dates_and_labels_follow_the_language() -> None:
    from mmsis.present import format as fmt
    from mmsis.present.labels import label

    with i18n.language("fr"):
        assert fmt.number(12345.6) == "12\u202f346"
        assert fmt.day("2026-03-02") == "2 mars 2026"
        assert label("scale_up", "phase") == "Passer à l'échelle"
    with i18n.language("pt"):
        assert fmt.number(1234.56) == "1235" or fmt.number(1234.56) == "1.235"
        assert fmt.percent(0.5) == "50%" and fmt.number(0.25) == "0,25"
        assert label("policy", "pillar") == "Política e governação"
    with i18n.language("en"):
        assert fmt.number(12345.6) == "12,346" and label("policy", "pillar") == (
            "Policy and governance")
    assert fmt.number(1.5, locale="fr") == "1,5"  # an explicit locale still wins


def test_a_label_of_catalog_words_is_translated_word_by_word() -> None:
    with i18n.language("fr"):
        assert i18n.gettext_words("(richest - poorest) / urban") == (
            "(le plus riche - le plus pauvre) / urbain")
    assert i18n.gettext_words("richest - poorest") == "richest - poorest"


def test_a_catalog_without_its_compiled_file_is_compiled_in_memory(tmp_path: Path,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    i18n._translations.cache_clear()
    with i18n.language("pt"):
        assert i18n.gettext("Log out") == "Sair"
    i18n._translations.cache_clear()


def test_cli_lang_option_and_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mmsis.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["--lang", "de", "plan", "--help"])
    assert bad.exit_code == 2 and "choose one of en, fr, pt" in bad.output
    monkeypatch.setenv("MMSIS_LANG", "xx")
    assert runner.invoke(app, ["plan", "--help"]).exit_code == 2


def test_report_lang_pt_writes_a_portuguese_report(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mmsis.cli import app

    monkeypatch.delenv("MMSIS_LANG", raising=False)
    with i18n.language("en"):  # the command sets the language for the rest of its context
        r = CliRunner().invoke(app, ["report", "--out", str(tmp_path), "--lang", "pt", "--pptx"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="pt">' in html
    for words in ("Relatório de implementação dos MMS", "Quadro de prontidão", "Índice",
                  "Fontes destes números", "Agenda de pesquisa de implementação"):
        assert words in html, words
    assert "Readiness scorecard" not in html
    from pptx import Presentation

    titles = [s.shapes.title.text for s in Presentation(str(tmp_path / "report.pptx")).slides
              if s.shapes.title is not None]
    assert "Quadro de prontidão" in titles
    assert i18n.current_language() == "en"


def test_cli_messages_in_french_and_portuguese(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mmsis.cli import app

    monkeypatch.delenv("MMSIS_LANG", raising=False)
    plan = tmp_path / "plan.yaml"
    runner = CliRunner()
    with i18n.language("en"):
        assert runner.invoke(app, ["plan", "init", "--country", "Examplia", "-f",
                                   str(plan)]).exit_code == 0
        fr = runner.invoke(app, ["--lang", "fr", "plan", "decisions", "-f", str(plan)])
    assert "Aucune décision consignée pour l'instant" in fr.output
    with i18n.language("en"):
        monkeypatch.setenv("MMSIS_LANG", "pt")
        pt = runner.invoke(app, ["plan", "roadmap", "-f", str(plan)])
    assert "Ainda não há ações" in pt.output
