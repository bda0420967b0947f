"""Demo: the country report for the example country (HTML, XLSX, DOCX) under out_dir/report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Build the TAG report from every step's results on the example country."""
    from rich.console import Console

    from mmsis.demos.examples import example_programme
    from mmsis.i18n import gettext as _
    from mmsis.report.build import build_report

    # one object: the example country's data with its team's statuses (the example plan)
    res = build_report(Path(out_dir) / "report",
                       country=country.with_statuses(example_programme(country)))
    Console().print(_("[bold]Report[/bold]: %(html)s (open in a browser); agenda and indicator "
                      "sheets %(xlsx)s; protocol skeleton %(docx)s") % {
        "html": res.html, "xlsx": res.xlsx.name, "docx": res.docx.name})
    return {"html": str(res.html), "xlsx": str(res.xlsx), "docx": str(res.docx),
            "sections": res.sections, **res.key_numbers}
