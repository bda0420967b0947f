"""`mmsis report --lang fr|pt` (issue #17): no string of the catalog is left in English in
the report's HTML, its XLSX (sheet names, headers, cells), its DOCX protocol or its deck.

A catalog message is "left in English" when a whole line of the output (an HTML line, a
spreadsheet cell, a DOCX paragraph or table cell, a slide's text) is its English text although
the language translates it, or, for a message with placeholders, when a line reads as the
English sentence with any values in the placeholders. The programme's own names (districts,
data elements, the plan's texts) are data, not catalog strings, and may stay as written.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import pytest

from mmsis import i18n

_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
MIN_LETTERS = 12  # a pattern's fixed words: short ones ("%(a)s: %(b)s") would match anything


@cache
def _catalog() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The template's messages: plain ones and those with placeholders."""
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "mmsis.pot").open("rb") as fh:
        ids = [m.id for m in read_po(fh) if m.id and isinstance(m.id, str)]
    return (tuple(i for i in ids if not _PLACEHOLDER.search(i)),
            tuple(i for i in ids if _PLACEHOLDER.search(i)))


def _pattern(message: str) -> re.Pattern[str] | None:
    """The English sentence of a message with its placeholders open, or None if its fixed
    words are too few to tell it from other text."""
    parts = _PLACEHOLDER.split(message)
    if sum(len(re.findall(r"[A-Za-z]", p)) for p in parts) < MIN_LETTERS:
        return None
    return re.compile(".+?".join(re.escape(p.replace("%%", "%")) for p in parts), re.S)


def left_in_english(lines: list[str], lang: str) -> list[str]:
    """The lines that are a catalog message in English although `lang` translates it."""
    tr = i18n.translations(lang)
    shown = {" ".join(line.split()) for line in lines if line and line.strip()}
    plain, templated = _catalog()
    found = [m for m in plain if m in shown and tr.gettext(m) != m]
    for message in templated:
        if tr.gettext(message) == message:
            continue
        pattern = _pattern(message)
        if pattern is None:
            continue
        hits = [line for line in shown if pattern.fullmatch(line)]
        found += [f"{message!r} in {hits[0]!r}"] if hits else []
    return found


def html_lines(page: str) -> list[str]:
    """The words a person reads on the page, line by line (no tags, scripts or styles)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body)).splitlines()


def xlsx_lines(path: Path) -> list[str]:
    """Every sheet name and text cell of the workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    lines = list(wb.sheetnames)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            lines += [v for v in row if isinstance(v, str)]
    return lines


def docx_lines(path: Path) -> list[str]:
    """Every paragraph and table cell of the document."""
    from docx import Document

    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    lines += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return lines


def pptx_lines(path: Path) -> list[str]:
    """Every text line of the slides (titles, text boxes, table cells) and their notes."""
    from pptx import Presentation

    lines: list[str] = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                lines += shape.text_frame.text.splitlines()
            if shape.has_table:
                lines += [c.text for row in shape.table.rows for c in row.cells]
        if slide.has_notes_slide:
            lines += slide.notes_slide.notes_text_frame.text.splitlines()
    return lines


@pytest.fixture(scope="module", params=["fr", "pt"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[str, Path]:
    """The example country's report built by `mmsis report --lang fr|pt --pptx`."""
    from typer.testing import CliRunner

    from mmsis.cli import app

    lang = request.param
    out = tmp_path_factory.mktemp(f"report-{lang}")
    with i18n.language("en"):
        r = CliRunner().invoke(app, ["report", "--out", str(out), "--lang", lang, "--pptx"])
    assert r.exit_code == 0, r.output
    return lang, out


def test_the_html_report_has_no_catalog_string_in_english(built: tuple[str, Path]) -> None:
    lang, out = built
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page
    lines = html_lines(page)
    assert not left_in_english(lines, lang)
    text = " ".join(" ".join(lines).split())
    words = {"fr": ["Comprimés de MMS nécessaires", "piliers sur", "Effectif",
                    "Sources de ces chiffres", "des femmes ayant accouché",
                    # impact pathways and the anchors' conversion notes (mmsis.impact.wording)
                    "décès néonatals par la voie PAG", "non converti : pas de déflateur du PIB"],
             "pt": ["Comprimidos de MMS necessários", "pilares prontos", "Número",
                    "das mulheres com um parto",
                    "óbitos neonatais pela via PIG", "não convertido: sem deflator do PIB"]}[lang]
    for w in words:
        assert w in text, w


def test_the_xlsx_has_no_catalog_string_in_english(built: tuple[str, Path]) -> None:
    from openpyxl import load_workbook

    lang, out = built
    lines = xlsx_lines(out / "agenda.xlsx")
    assert not left_in_english(lines, lang)
    wb = load_workbook(out / "agenda.xlsx", read_only=True)
    names = {"fr": {"Valeurs mesurées", "Fiches d'indicateurs"},
             "pt": {"Valores medidos", "Fichas de indicadores"}}[lang]
    assert names <= set(wb.sheetnames), wb.sheetnames
    # the agenda's rating bases and the measured values' sources (stored English,
    # mmsis.plan.wording): headers and words in the language
    text = "\n".join(lines)
    for w in {"fr": ["Fondement : équité", "aucun résultat d'équité",
                     "enquête auprès des ménages (fondée sur le plan de sondage)",
                     "données de routine du DHIS2, mmsis.measure.routine (national, dernier",
                     # the indicator sheets' definitions (indicators.yaml, babel.cfg)
                     "Part des femmes ayant eu une naissance vivante"],
              "pt": ["Fundamento: equidade", "nenhum resultado de equidade",
                     "inquérito aos agregados familiares (baseado no desenho amostral)",
                     "dados de rotina do DHIS2, mmsis.measure.routine (nacional, último",
                     "Proporção de mulheres com um nado-vivo"]}[lang]:
        assert w in text, w
    assert "household survey (design-based)" not in text and "no equity outcome" not in text
    # numbers stay numbers (the machine-readable values), only words are translated
    first = next(iter(wb[sorted(names)[0]].iter_rows(min_row=2, max_row=2, values_only=True)))
    assert first


def test_the_docx_and_the_deck_have_no_catalog_string_in_english(
        built: tuple[str, Path]) -> None:
    lang, out = built
    lines = docx_lines(out / "protocol.docx")
    assert not left_in_english(lines, lang)
    text = "\n".join(lines)
    assert {"fr": "☐ Procédure et formulaires de consentement éclairé",
            "pt": "☐ Procedimento e formulários de consentimento informado"}[lang] in text
    assert {"fr": "8. Liste de contrôle éthique", "pt": "8. Lista de verificação ética"}[lang] \
        in text
    # the sample-size method (mmsis.design.wording) and French typography before a colon
    assert {"fr": "correction de population finie de Cochran",
            "pt": "correção de população finita de Cochran"}[lang] in text
    assert "Cochran finite population correction" not in text
    assert {"fr": "Question 1\u00a0: ", "pt": "Pergunta 1: "}[lang] in text
    assert "Question 1: " not in text
    assert not left_in_english(pptx_lines(out / "report.pptx"), lang)


def test_the_detector_finds_english_lines() -> None:
    """The check itself fails on English: a plain message and a filled-in template."""
    plain, templated = _catalog()
    assert "Forecast summary" in plain
    found = left_in_english(["Forecast summary",
                             "3 of 6 pillars ready for their next phase: Supply"], "fr")
    assert found[0] == "Forecast summary"
    assert any("pillars ready" in f for f in found)
    assert not left_in_english(["Synthèse des prévisions", "Examplia"], "fr")
