"""`mmsis report`: the country report for a TAG meeting (HTML, optional PDF, XLSX, DOCX)."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    out: Path = typer.Option(..., "--out", help="Folder for report.html, agenda.xlsx, ..."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf (needs WeasyPrint)."),
    plan: Path | None = typer.Option(
        None, "--plan", help="Programme workspace YAML (default: the example programme)."),
) -> None:
    """Build the report from the example country (and a programme workspace file)."""
    from mmsis._cli import console
    from mmsis.report.build import build_report

    programme = None
    if plan is not None:
        from mmsis.plan.workspace import load_programme

        programme = load_programme(plan)
    res = build_report(out, programme=programme, plan_file=str(plan) if plan else None,
                       pdf=pdf)
    console.print(f"Report: {res.html}\nAgenda and indicator sheets: {res.xlsx}\n"
                  f"Protocol skeleton: {res.docx}")
    if pdf:
        console.print(f"PDF: {res.pdf}" if res.pdf else
                      "PDF skipped: WeasyPrint is not installed (pip install 'mmsis[pdf]').")
    for sid, why in res.missing.items():
        console.print(f"[yellow]Section {sid} not available: {why}[/yellow]")
