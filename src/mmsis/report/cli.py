"""`mmsis report`: the country report for a TAG meeting (HTML, optional PDF, XLSX, DOCX)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.programme import CountryProgramme


def _hints(plan: Path | None) -> dict[str, str]:
    """How to supply each data part, for the "not available" reasons."""
    if plan is None:
        return {"store": "pass --store (a DuckDB store filled by `mmsis routine import`)",
                "survey": "pass --survey (survey microdata, .csv or .dta)",
                "rollout": "pass --rollout (CSV with district_id, mms_start YYYYMM)",
                "scenario": "pass --scenario (a scenario YAML as for `mmsis forecast`)"}
    f = plan.name
    return {"store": f"set data.store in {f} (a DuckDB store filled by `mmsis routine "
                     "import`) or pass --store",
            "survey": f"add a survey microdata file (.csv or .dta) to data.surveys in {f} or "
                      "pass --survey",
            "rollout": f"set data.rollout in {f} (CSV with district_id, mms_start YYYYMM) or "
                       "pass --rollout",
            "scenario": f"set data.scenario in {f} (a scenario YAML as for `mmsis forecast "
                        "--scenario`) or pass --scenario"}


def report(
    out: Path = typer.Option(..., "--out", help="Folder for report.html, agenda.xlsx, ..."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf (needs WeasyPrint)."),
    pptx: bool = typer.Option(False, "--pptx", help="Also write report.pptx, a slide deck for "
                              "the TAG meeting (a titled slide per section)."),
    plan: Path | None = typer.Option(
        None, "--plan", help="Programme workspace YAML; its data links (data.store, "
        "data.surveys, data.rollout, data.scenario) give the report's data."),
    store: Path | None = typer.Option(
        None, "--store", help="DuckDB store of routine data (overrides data.store)."),
    survey: Path | None = typer.Option(
        None, "--survey", help="Survey microdata, .csv or .dta (overrides data.surveys)."),
    rollout: Path | None = typer.Option(
        None, "--rollout", help="Roll-out CSV: district_id, mms_start YYYYMM (overrides "
        "data.rollout)."),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Forecast scenario YAML (overrides data.scenario)."),
    example: bool = typer.Option(
        False, "--example", help="Use the bundled synthetic example country's data (the "
        "default without --plan and data options)."),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of the report: en, fr or pt (default: MMSIS_LANG, "
        "else English)."),
) -> None:
    """Build the report from the programme's linked data files, or from the example country."""
    from mmsis._cli import console, use_language
    from mmsis.i18n import gettext as _

    use_language(lang)
    from mmsis.report.build import build_report
    from mmsis.report.local_inputs import (
        Link,
        plan_links,
        plan_surveys,
        report_inputs_from_files,
    )

    given = {k: v for k, v in (("store", store), ("survey", survey), ("rollout", rollout),
                               ("scenario", scenario)) if v is not None}
    if example and given:
        raise InputError("--example uses the bundled example country's data; leave out "
                         + ", ".join(f"--{k}" for k in given), field="--example")
    programme = None
    if plan is not None:
        from mmsis.plan.workspace import load_programme

        programme = load_programme(plan)
    country: CountryProgramme | None = None  # None: the example country
    if not example and (plan is not None or given):
        links = plan_links(programme, plan) if programme is not None and plan else {}
        links.update({k: Link(v, f"--{k}") for k, v in given.items()})
        country = report_inputs_from_files(
            programme.country if programme is not None else None, **links,
            origin=plan.name if plan is not None else "the files given to mmsis report",
            hints=_hints(plan), statuses=programme,
            surveys=plan_surveys(programme, plan) if programme is not None and plan else ())
    elif programme is not None:  # the example country's data, judged by this plan's team
        from mmsis.datasets import example_country

        country = example_country().with_statuses(programme)
    from mmsis._cli import step

    try:
        with step(_("Building the report (data, charts, documents)")):
            res = build_report(out, country=country, plan_file=str(plan) if plan else None,
                               pdf=pdf, pptx=pptx)
    finally:
        if country is not None and not country.synthetic:  # the example's results stay
            country.close()
    if country is None or country.synthetic:
        console.print(_("Data: the bundled example country Examplia (synthetic)"))
    else:
        for part, line in country.sources.items():
            if part not in country.missing:
                console.print(_("Data (%(part)s): %(line)s") % {"part": part, "line": line})
    console.print(_("Report: %(html)s") % {"html": res.html})
    console.print(_("Agenda and indicator sheets: %(xlsx)s") % {"xlsx": res.xlsx})
    console.print(_("Protocol skeleton: %(docx)s") % {"docx": res.docx})
    if pdf:
        console.print(_("PDF: %(pdf)s") % {"pdf": res.pdf} if res.pdf else
                      _("PDF skipped: WeasyPrint is not installed (pip install 'mmsis[pdf]')."))
    if res.pptx is not None:
        console.print(_("Slide deck: %(pptx)s") % {"pptx": res.pptx})
    for sid, why in res.missing.items():
        console.print("[yellow]" + _("Section %(id)s not available: %(why)s") % {
            "id": sid, "why": _(why)} + "[/yellow]")
