"""Spreadsheet cells safe to open: text that a spreadsheet would run as a formula is escaped.

OWASP's CSV-injection guidance: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return can be taken as a formula by Excel, LibreOffice or Google Sheets (and
openpyxl itself stores a string beginning with ``=`` as a formula), so a note typed as
``=HYPERLINK(...)`` would become a live link in a report. Such text gets a leading single
quote. Numbers stay numbers: only ``str`` values are touched, and a text that is just a
number (``-5``, ``+1.5e3``) is left as it is, since it cannot be a formula.

Used by every XLSX/CSV the project writes for people (the report's XLSX, the XLSForms);
machine-read files (panels, DHIS2 dataValueSets, ``--csv`` outputs) do not go through here.
No project imports, so any layer may use it.
"""

from __future__ import annotations

import re
from typing import TypeVar

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """The value to write in a spreadsheet cell: formula-like text prefixed with a quote."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of df whose text cells (and text column names) are safe to open."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out
