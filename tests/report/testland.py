"""Testland: a two-district country whose routine numbers are easy to check by hand."""

from __future__ import annotations

import pandas as pd

ORG_UNITS = pd.DataFrame(
    [("C", "Testland", 1, None, "/C", None),
     ("R1", "North", 2, "C", "/C/R1", None),
     ("D1", "Alpha district", 3, "R1", "/C/R1/D1", None),
     ("D2", "Beta district", 3, "R1", "/C/R1/D2", None),
     ("F1", "Alpha clinic", 4, "D1", "/C/R1/D1/F1", 600.0),
     ("F2", "Beta clinic", 4, "D2", "/C/R1/D2/F2", 400.0)],
    columns=["id", "name", "level", "parent_id", "path", "population"])


def values(months: list[str]) -> pd.DataFrame:
    """ANC1 10 (F1) and 20 (F2) a month; MMS clients 4 and 8: MMS share of ANC1 = 0.4."""
    rows = []
    for pe in months:
        for ou, anc1, mms in (("F1", 10, 4), ("F2", 20, 8)):
            rows += [("ANC1", pe, ou, str(anc1)), ("MMS_CLIENTS", pe, ou, str(mms))]
    return pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit", "value"])
