"""mmsis.report: the country report for a TAG meeting (HTML, PDF, XLSX, DOCX, PPTX).

Public names load lazily so that `mmsis --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.report.build import ReportResult, build_report, build_sections
    from mmsis.report.local_inputs import report_inputs_from_files

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "build_report": ".build",
    "build_sections": ".build",
    "ReportResult": ".build",
    "report_inputs_from_files": ".local_inputs",
})
