"""Office outputs of the report: the agenda and indicator sheets (XLSX) and the protocol
skeleton (DOCX) for the top questions of the agenda."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from mmsis.design.wording import method as design_method
from mmsis.framework.framework import Framework
from mmsis.i18n import N_, current_language
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.cells import safe_frame
from mmsis.present.labels import default_labels
from mmsis.report.readable import cell, is_period, stored_words

if TYPE_CHECKING:
    from mmsis.data.workspace import Programme
    from mmsis.plan.agenda import Agenda
    from mmsis.plan.scorecard import Scorecard


def text_or_number(value: Any) -> str:
    """A sample-size input for people: a number formatted, a text as words."""
    return cell(value, "", default_labels())[0]


@functools.cache
def protocol_text() -> dict[str, Any]:
    """Analysis-plan and ethics text blocks (report/data/protocol.yaml)."""
    text = resources.files("mmsis.report").joinpath("data/protocol.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def indicator_sheets(fw: Framework, ids: list[str]) -> pd.DataFrame:
    """Reference sheets (definition, numerator, denominator, sources...) of some indicators."""
    rows = []
    for i in dict.fromkeys(ids):
        ind = fw.indicator(i)
        rows.append({
            "id": ind.id, "name": ind.name, "definition": ind.definition,
            "numerator": ind.numerator, "denominator": ind.denominator,
            "disaggregation": ", ".join(ind.disaggregation), "data_source": ind.data_source,
            "frequency": ind.frequency, "pillar": ind.pillar, "outcome": ind.outcome,
            "unit": ind.unit, "direction": ind.direction, "dhs_mapping": ind.dhs_mapping,
            "dhis2_mapping": ind.dhis2_mapping, "notes": ind.notes, "source": ind.source,
        })
    return pd.DataFrame(rows)


def _cell_words(value: Any) -> Any:
    """A text cell in the language in use: a catalog message, or stored English words the
    computations compose (a measured value's source, a rating's basis, an impact pathway's
    convention, an anchor's conversion); anything else as it is."""
    if not isinstance(value, str) or not value.strip():
        return value
    if is_period(value):  # "202101" -> the month in the language ("janv. 2021")
        return fmt.period(value.strip())
    return stored_words(value) or value


#: The sample-size assumptions of plan/data/agenda_defaults.yaml, in words (not "Deff").
SAMPLE_INPUTS = {
    "p": N_("expected proportion"), "margin": N_("margin of error"),
    "deff": N_("design effect"), "take": N_("women interviewed per cluster"),
    "nonresponse": N_("non-response rate"), "icc": N_("intracluster correlation (ICC)"),
    "m": N_("women per cluster"), "pc": N_("proportion in the control arm"),
    "pe": N_("proportion in the intervention arm"),
    "p0": N_("proportion without the strategy"), "p1": N_("proportion with the strategy"),
    "power": N_("power"), "sequences": N_("districts per step"),
    "n": N_("women per district and period"),
    "min_points_each_side": N_("monthly data points on each side of the change"),
}


def sample_input(key: str, lab: Any) -> str:
    """A sample-size assumption's name in the language in use ("margin of error")."""
    return _(SAMPLE_INPUTS[key]) if key in SAMPLE_INPUTS else str(lab.label(key, "parameter"))


def in_language(df: pd.DataFrame) -> pd.DataFrame:
    """A sheet for a French or Portuguese reader: headers in words and the text cells the
    catalogs know (statuses, questions, knowledge-base names) translated; numbers, ids and
    the programme's own names stay as they are. In English the frame is returned unchanged
    (its headers are the column ids machines join on)."""
    if current_language() == "en":
        return df
    from mmsis.report.readable import DISTINCT, header

    lab = default_labels()
    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(_cell_words)
    heads = [header(c, lab) for c in out.columns]
    seen: dict[str, int] = {}
    for i, h in enumerate(heads):  # two ids with one label keep apart: "Label (id)"
        seen[h] = seen.get(h, 0) + 1
        if seen[h] > 1:
            col = str(out.columns[i])
            heads[i] = _(DISTINCT[col]) if col in DISTINCT else f"{h} ({col})"
    out.columns = heads
    return out


def sheet_name(name: str) -> str:
    """A sheet's name in the language in use, as Excel allows it (31 characters, no []:*?/\\)."""
    text = _(name)
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write DataFrames as sheets with bold headers, frozen first row and fitted widths.

    Sheet names, headers and catalog words are in the language in use (`in_language`).
    Text cells that a spreadsheet would run as a formula are escaped (`present.cells`).
    """
    from openpyxl.styles import Alignment, Font

    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for key, df in sheets.items():
            name = sheet_name(key)
            safe_frame(in_language(df)).to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
                for c in col[1:]:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
    return path


def _one_line(text: str) -> str:
    """A YAML text block on one line, as the catalogs hold it."""
    return " ".join(text.split())


def _analysis_kind(item: Any) -> str:
    fn = item.sample_size.function
    if "survey" in fn:
        return "survey"
    if "crt" in fn or "stepped_wedge" in fn:
        return "crt"
    if "individual" in fn:
        return "individual"
    summary = item.sample_size.summary
    if "routine data" in summary or item.design in ("interrupted_time_series",
                                                    "controlled_its_did"):
        return "its"
    if "interviews" in summary:
        return "qualitative"
    return "none"


def write_protocol(path: Path, programme: Programme, card: Scorecard, agenda: Agenda,
                   fw: Framework,
                   top: int = 3) -> Path:
    """Protocol skeleton for the agenda's top questions: objectives, questions, outcomes,
    design, sample size, analysis plan, ethics checklist, timeline and responsibilities."""
    from docx import Document

    text = protocol_text()
    items = agenda.items[:top]
    lab = default_labels()
    # questions by number (their text is in section 3); ids stay in the XLSX
    qname = {it.question: _("Question %(n)s") % {"n": n}
             for n, it in enumerate(items, start=1)}
    doc = Document()
    name = programme.name or programme.country
    doc.add_heading(_("Implementation research protocol (skeleton): %(name)s") % {"name": name},
                    0)
    doc.add_paragraph(_(
        "Generated by mmsis from the programme workspace, the readiness scorecard and the IR "
        "agenda. Every section is a starting point for the study team to complete."))
    doc.add_heading(_("1. Background and current phase"), 1)
    phases = ", ".join(f"{lab.label(p, 'pillar')}: {lab.label(programme.phase_of(p), 'phase')}"
                       for p in programme.phases)
    doc.add_paragraph(_("Country: %(country)s. Phase by pillar: %(phases)s.")
                      % {"country": programme.country, "phases": phases})
    open_req = [i for i in card.open_key_results() if i.required]
    doc.add_paragraph(_("Required key results still open in the current phase (%(n)s):")
                      % {"n": fmt.count(len(open_req))})
    for i in open_req[:12]:
        doc.add_paragraph(f"{_(i.title)} ({lab.label(i.status, 'word')})", style="List Bullet")
    doc.add_heading(_("2. Objectives"), 1)
    for it in items:
        doc.add_paragraph(_("To answer: %(question)s") % {"question": _(it.text)},
                          style="List Number")
    doc.add_heading(_("3. Research questions"), 1)
    for it in items:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(_("%(question)s: ") % {"question": qname[it.question]}).bold = True
        p.add_run(_("%(question)s (score %(score)s; why: %(why)s)") % {
            "question": _(it.text), "score": fmt.fixed(it.score, 2),
            "why": "; ".join(_(w) for w in it.why)})
    doc.add_heading(_("4. Implementation outcomes and indicators"), 1)
    ind_ids = list(dict.fromkeys(i for it in items for i in it.indicators))
    sheets = indicator_sheets(fw, ind_ids) if ind_ids else pd.DataFrame()
    if len(sheets):
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, h in zip(table.rows[0].cells, [_("Indicator"), _("Outcome"), _("Numerator"),
                                                  _("Denominator"), _("Data source")],
                           strict=True):
            cell.text = h
        for r in sheets.itertuples():
            cells = table.add_row().cells
            for c, v in zip(cells, [_(r.name), lab.label(r.outcome, "outcome"), _(r.numerator),
                                    _(r.denominator), text_or_number(r.data_source)],
                            strict=True):
                c.text = str(v)
    for it in items:
        outs = ", ".join(_(fw.outcome(o).name) for o in it.outcomes)
        doc.add_paragraph(_("%(question)s: %(outcomes)s") % {
            "question": qname[it.question], "outcomes": outs}, style="List Bullet")
    doc.add_heading(_("5. Design"), 1)
    for it in items:
        d = fw.design(it.design) if it.design else None
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(_("%(question)s: %(design)s. ") % {
            "question": qname[it.question], "design": _(it.design_name)}).bold = True
        if d is not None:
            p.add_run(_("%(description)s When to use: %(when)s")
                      % {"description": _(d.description), "when": _(d.when_to_use)})
    doc.add_heading(_("6. Sample size"), 1)
    for it in items:
        ss = it.sample_size
        inputs = ", ".join(f"{sample_input(k, lab)} = {text_or_number(v)}"
                           for k, v in ss.inputs.items() if k not in ("source", "note"))
        doc.add_paragraph(
            _("%(question)s: %(summary)s. Inputs: %(inputs)s. Method: %(method)s "
              "(%(function)s). Assumptions: %(assumptions)s.") % {
                "question": qname[it.question], "summary": ss.summary,
                "inputs": inputs or _("none"), "method": design_method(ss.method) or _("n/a"),
                "function": ss.function or _("no computation"),
                "assumptions": ss.inputs.get("source")
                or _("see plan/data/agenda_defaults.yaml")},
            style="List Bullet")
    doc.add_heading(_("7. Data sources and analysis plan"), 1)
    for it in items:
        srcs = ", ".join(_(fw.data_source(s).name) for s in it.data_sources)
        doc.add_paragraph(_("%(question)s - data: %(sources)s. Analysis: %(analysis)s") % {
            "question": qname[it.question], "sources": srcs,
            "analysis": _(_one_line(text["analysis"][_analysis_kind(it)]))},
            style="List Bullet")
    doc.add_heading(_("8. Ethics checklist"), 1)
    for e in text["ethics"]:
        doc.add_paragraph(f"\u2610 {_(e)}")
    doc.add_heading(_("9. Timeline and responsibilities"), 1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, [_("Question"), _("Timing"),
                                             _("Responsible partner")], strict=True):
        cell.text = h
    for it in items:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = (qname[it.question], _(it.timing),
                                                       it.partner)
    doc.add_paragraph(_("Sources: %(sources)s (status: %(status)s).")
                      % {"sources": text["source"], "status": _(text["status"])})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
