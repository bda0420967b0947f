"""The example report's tables read right to a ministry officer (issue #15): every header,
cell and caption scanned with the page scan's detectors (scientific notation, long floats,
raw periods, knowledge-base and snake_case ids); ITS terms in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.people_checks import knowledge_base_ids, problems
from tests.web.test_pages_for_people import visible_text

from mmsis.datasets import ExampleCountry


@pytest.fixture(scope="module")
def report_dir(example_country: ExampleCountry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsis.demos.examples import example_programme
    from mmsis.report.build import build_report

    out: Path = tmp_path_factory.mktemp("report_people")
    build_report(out, country=example_country.with_statuses(example_programme(example_country)),
                 pptx=True)
    return out


@pytest.fixture(scope="module")
def report_html(report_dir: Path) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


def test_every_table_reads_for_people(report_html: str) -> None:
    tables = re.findall(r"<table>.*?</table>", report_html, re.S)
    assert len(tables) > 20
    found = problems(visible_text("".join(tables)), knowledge_base_ids())
    assert found == [], "\n".join(found[:40])


def test_the_whole_report_reads_for_people(report_html: str) -> None:
    """Titles, intros, bullets, captions and tables; the sources lists cite files, functions
    and formulas as written (docs/report.md) and are left out."""
    shown = re.sub(r'<div class="sources">.*?</div>', "", report_html, flags=re.S)
    found = problems(visible_text(shown), knowledge_base_ids())
    assert found == [], "\n".join(found[:40])


def test_the_decks_tables_read_for_people(report_dir: Path) -> None:
    from pptx import Presentation

    cells = [c.text for slide in Presentation(str(report_dir / "report.pptx")).slides
             for sh in slide.shapes if getattr(sh, "has_table", False)
             for row in sh.table.rows for c in row.cells]
    assert len(cells) > 50
    found = problems(cells, knowledge_base_ids())
    assert found == [], "\n".join(found[:40])


def test_the_protocol_docx_reads_for_people(report_dir: Path) -> None:
    from docx import Document

    doc = Document(str(report_dir / "protocol.docx"))
    parts = [p.text for p in doc.paragraphs if p.text.strip()]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    found = problems(parts, knowledge_base_ids())
    assert found == [], "\n".join(found[:40])


def test_its_terms_and_numbers_in_words(report_html: str) -> None:
    text = " ".join(visible_text(report_html))
    assert "Seasonal (sine, 1st harmonic)" in text and "Baseline level" in text
    for raw in ("<td>const</td>", "<td>sin1</td>", "<th>ci_low</th>", "<th>share_met</th>",
                "<td>not_assessed</td>", "<td>coverage_survey</td>"):
        assert raw not in report_html, raw
    assert not re.search(r">DIS\d+<", report_html)  # districts by name (the caption's)
    # the ITS caption names the element and the month in words, not ANC1 and 202207
    caption = re.search(r"Interrupted time series: ([^<(]*)", report_html)
    assert caption is not None
    assert re.fullmatch(r"ANC first visits in \w+ District from [A-Z][a-z]{2} \d{4} ",
                        caption.group(1)), caption.group(1)


def test_the_report_formatter_writes_ids_numbers_and_periods_in_words() -> None:
    import pandas as pd

    from mmsis.report.readable import readable
    from mmsis.report.sections import Table

    t = Table(caption="x", frame=pd.DataFrame({
        "term": ["sin1"], "p": [1.46e-11], "share_met": [0.0286], "period": ["202412"],
        "design": ["coverage_survey"], "status": ["not_met"]}), percent=["share_met"])
    headers, rows = readable(t)
    cells = [c for c, _ in rows[0]]
    assert headers[:3] == ["Term", "p value", "Share of key results met (weighted)"]
    assert cells[0] == "Seasonal (sine, 1st harmonic)" and cells[1] == "p < 0.001"
    assert cells[2].endswith("%") and cells[3] == "Dec 2024"
    assert problems(headers + cells, knowledge_base_ids()) == []
