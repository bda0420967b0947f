"""Render report sections to one self-contained HTML file (charts embedded as base64 PNG)."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from importlib import resources

from jinja2 import Environment
from markupsafe import Markup, escape

from mmsis import __version__
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.labels import default_labels
from mmsis.report.readable import readable, words
from mmsis.report.sections import Section, Table

MAX_ROWS = 60


def table_html(table: Table) -> Markup:
    """An HTML table with a caption; numbers right-aligned, percent columns as %."""
    df = table.frame
    more = ""
    if len(df) > MAX_ROWS:
        more = " " + _("(first %(shown)s of %(rows)s rows; all rows in the XLSX)") % {
            "shown": fmt.count(MAX_ROWS), "rows": fmt.count(len(df))}
        df = df.head(MAX_ROWS)
    headers, cells = readable(table, df)
    caption = words(table.caption, default_labels())
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    rows = []
    for rec in cells:
        tds = []
        for text, num in rec:
            cls = ' class="num"' if num else ""
            tds.append(f"<td{cls}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{max(len(df.columns), 1)}">{escape(_("none"))}</td></tr>')
    return Markup(
        f"<table><caption>{escape(caption + more)}</caption><thead><tr>{head}</tr></thead>"
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
