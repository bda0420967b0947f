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

import pandas as pd

from mmsis.i18n import gettext as _
from mmsis.report.sections import Section

MAX_ROWS = 10
MAX_COLS = 7
CELL_CHARS = 60


def _cell(value: Any, column: str, percent: Sequence[str]) -> str:
    """A table cell as a person reads it (percentages, thousands, no scientific notation)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if column in percent:
            return f"{100 * float(value):.0f}%"
        if isinstance(value, int) or float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    text = str(value).replace("_", " ") if column in ("status", "verdict", "phase") else str(value)
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


def _table(slide: Any, frame: pd.DataFrame, percent: Sequence[str], top: float) -> None:
    from pptx.util import Inches, Pt

    shown = frame.iloc[:MAX_ROWS, :MAX_COLS]
    rows, cols = len(shown) + 1, len(shown.columns)
    shape = slide.shapes.add_table(rows, cols, Inches(0.4), Inches(top), Inches(9.2),
                                   Inches(0.3 * rows))
    table = shape.table
    for j, col in enumerate(shown.columns):
        table.cell(0, j).text = str(col).replace("_", " ")
    for i, (_index, row) in enumerate(shown.iterrows(), start=1):
        for j, col in enumerate(shown.columns):
            table.cell(i, j).text = _cell(row[col], str(col), percent)
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
            _table(slide, t.frame, t.percent, 2.9 if lines else 1.5)
            if more > 0:
                notes.text += f"\nFirst table: {MAX_ROWS} of {len(t.frame)} rows shown; the " \
                              "report's XLSX has them all."
        for chart in sec.charts[:3]:
            cslide = _title_only(prs, f"{sec.title}: {chart.caption}"[:120])
            cslide.shapes.add_picture(io.BytesIO(chart.png), Inches(0.7), Inches(1.5),
                                      width=Inches(8.6))
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path
