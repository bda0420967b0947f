"""The workspace scenario's forecast in supply-planning formats, for the scenario page: QAT's
consumption and shipment data entry templates (a zip of the two workbooks) or a UNICEF supply
forecast sheet (mmsis.forecast.qat / mmsis.forecast.unicef; docs/supply_formats.md)."""

from __future__ import annotations

import functools
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

FORMATS = ("qat", "unicef")
"""The `format` a download may ask for."""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def supply_file(data: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(file bytes, file name, media type) of the scenario's forecast in format `fmt`.

    Kept per scenario content and format (the last CACHED): any member may ask, and a large
    scenario's forecast and workbooks take seconds to build (4,000 districts over 240 months:
    2.6 s), so repeated downloads must not each build them again."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown supply format {fmt!r}")
    return _built(json.dumps(data, sort_keys=True, default=str), fmt)


CACHED = 32
"""Downloads kept in memory (each some tens of kB)."""


@functools.lru_cache(maxsize=CACHED)
def _built(text: str, fmt: str) -> tuple[bytes, str, str]:
    """The download (bytes, file name, media type) of a scenario given as sorted JSON text
    (hashable, so the cache knows the same scenario again)."""
    from mmsis.forecast import run_forecast
    from mmsis.forecast.qat import write_qat
    from mmsis.forecast.unicef import write_unicef
    from mmsis.web.scenarios import checked_scenario

    sc = checked_scenario(json.loads(text))
    fc = run_forecast(sc)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if fmt == "unicef":
            path = write_unicef(fc, out / "UNICEF supply forecast.xlsx")
            return path.read_bytes(), f"{sc.name} - UNICEF supply forecast.xlsx", XLSX
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path in write_qat(fc, out):
                z.write(path, path.name)
        return buf.getvalue(), f"{sc.name} - QAT data entry templates.zip", "application/zip"
