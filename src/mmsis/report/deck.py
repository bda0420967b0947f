"""The TAG deck: the report's sections as PowerPoint slides (python-pptx).

One title slide, then for each section a slide with its title, its plain-language lines and
its first table (the rows that fit), a slide per chart, and the section's sources in the
speaker notes. A section without data gets a slide that says what is missing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.report.readable import readable
from mmsis.report.sections import Section, Table

MAX_ROWS = 10
MAX_COLS = 7
CELL_CHARS = 60


def _short(text: str) -> str:
    """A cell cut to what fits a slide."""
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _title_only(prs: Any, title: str) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
    slide.shapes.title.text = title
    return slide


def _text(slide: Any, lines: Sequence[str], top: float, height: float) -> None:
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(0.5), Inches(top), Inches(9), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = line
        para.font.size = Pt(14)


def _table(slide: Any, t: Table, top: float) -> None:
    """The table's first rows and columns, written as the HTML report writes them."""
    from pptx.util import Inches, Pt

    shown = t.frame.iloc[:MAX_ROWS, :MAX_COLS]
    headers, cells = readable(t, shown)
    rows, cols = len(shown) + 1, len(shown.columns)
    shape = slide.shapes.add_table(rows, cols, Inches(0.4), Inches(top), Inches(9.2),
                                   Inches(0.3 * rows))
    table = shape.table
    for j, head in enumerate(headers):
        table.cell(0, j).text = head
    for i, rec in enumerate(cells, start=1):
        for j, (text, _num) in enumerate(rec):
            table.cell(i, j).text = _short(text)
    for i in range(rows):
        for j in range(cols):
            for para in table.cell(i, j).text_frame.paragraphs:
                para.font.size = Pt(9)


def write_deck(path: Path, sections: Sequence[Section], title: str, subtitle: str,
               notice: str | None = None) -> Path:
    """Write the deck; every section gets at least one titled slide."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = title
    first.placeholders[1].text = subtitle + (f"\n{notice}" if notice else "")
    for sec in sections:
        slide = _title_only(prs, sec.title)
        notes = slide.notes_slide.notes_text_frame
        notes.text = (_("Sources: %(list)s") % {"list": "; ".join(sec.sources)} if sec.sources
                      else _("Sources: none"))
        if sec.missing:
            _text(slide, [_("Not available: %(why)s") % {"why": sec.missing}], 1.6, 2.0)
            continue
        lines = [sec.intro] if sec.intro else []
        lines += sec.bullets[:4]
        if lines:
            _text(slide, lines, 1.4, 1.4)
        if sec.tables:
            t = sec.tables[0]
            more = len(t.frame) - MAX_ROWS
            _table(slide, t, 2.9 if lines else 1.5)
            if more > 0:
                notes.text += "\n" + _("First table: %(shown)s of %(rows)s rows shown; the "
                                        "report's XLSX has them all.") % {
                    "shown": fmt.count(MAX_ROWS), "rows": fmt.count(len(t.frame))}
        for chart in sec.charts[:3]:
            cslide = _title_only(prs, f"{sec.title}: {chart.caption}"[:120])
            cslide.shapes.add_picture(io.BytesIO(chart.png), Inches(0.7), Inches(1.5),
                                      width=Inches(8.6))
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path
