"""Render report sections to one self-contained HTML file (charts embedded as base64 PNG)."""

from __future__ import annotations

import base64
import math
from datetime import datetime, timezone
from importlib import resources

import numpy as np
from jinja2 import Environment
from markupsafe import Markup, escape

from mmsis import __version__
from mmsis.report.sections import Section, Table

MAX_ROWS = 60


def _cell(value: object, percent: bool, year: bool = False) -> tuple[str, bool]:
    """Format one cell; returns (text, is_number). Years print without separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return ("yes" if value else "no"), False
    if year and isinstance(value, (int, float, np.integer, np.floating)):
        return f"{int(value)}", True
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}", True
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if percent:
            return f"{v:.1%}", True
        if abs(v) >= 1000:
            return f"{v:,.0f}", True
        return f"{v:.3g}", True
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)), False
    return str(value), False


def table_html(table: Table) -> Markup:
    """An HTML table with a caption; numbers right-aligned, percent columns as %."""
    df = table.frame
    more = ""
    if len(df) > MAX_ROWS:
        more = f" (first {MAX_ROWS} of {len(df)} rows; all rows in the XLSX)"
        df = df.head(MAX_ROWS)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        tds = []
        for col, v in zip(df.columns, rec, strict=False):
            text, num = _cell(v, col in table.percent, "year" in str(col))
            cls = ' class="num"' if num else ""
            tds.append(f"<td{cls}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{max(len(df.columns), 1)}">none</td></tr>')
    return Markup(
        f"<table><caption>{escape(table.caption + more)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(
    sections: list[Section],
    title: str,
    subtitle: str = "",
    plan_file: str | None = None,
    notice: str | None = None,
) -> str:
    """The full report page as one HTML string with no external resources."""
    from mmsis import i18n

    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals["current_language"] = i18n.current_language
    env.filters["b64"] = lambda b: base64.b64encode(b).decode("ascii")
    env.filters["table"] = table_html
    text = resources.files("mmsis.report").joinpath("templates/report.html.j2").read_text("utf-8")
    return env.from_string(text).render(
        title=title, subtitle=subtitle, sections=sections, plan_file=plan_file, notice=notice,
        version=__version__,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),  # noqa: UP017
    )
