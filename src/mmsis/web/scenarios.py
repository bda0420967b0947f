"""Evaluation, forecast/impact scenarios and the report, run through the analysis packages."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.web import analytics, services
from mmsis.web.deps import Access

ITS_FAMILIES = ("poisson", "quasipoisson", "negbin", "gaussian")
IMPACT_DRAWS = 1000
_PERIOD = re.compile(r"^\d{4}(0[1-9]|1[0-2])$")


def run_its(
    db: Session,
    access: Access,
    data_element: str,
    start: str,
    org_unit: str | None = None,
    family: str = "quasipoisson",
    control: str | None = None,
) -> Any:
    """Interrupted time series (mmsis.evaluate.fit_its) of a routine series around `start`;
    with a `control` org unit, a controlled ITS (fit_controlled_its) against its series."""
    from mmsis.evaluate import fit_controlled_its, fit_its

    if not _PERIOD.match(start or ""):
        raise InputError(f"'{start}' is not a month YYYYMM", field="start")
    if family not in ITS_FAMILIES:
        raise InputError(f"family must be one of {', '.join(ITS_FAMILIES)}", field="family")
    if control and control == org_unit:
        raise InputError("the control must be another org unit than the one evaluated",
                         field="control")

    def series(unit: str | None, field: str) -> pd.DataFrame:
        rows = services.routine_series(db, access, [data_element], unit)
        if not rows:
            raise InputError(f"no values of '{data_element}' here", field=field)
        frame = pd.DataFrame(rows)[["period", "value"]]
        frame["post"] = (frame["period"] >= start).astype(int)
        return frame

    frame = series(org_unit, "data_element")
    if control:
        other = series(control, "control")
        common = set(frame["period"]) & set(other["period"])
        frame = pd.concat([frame.assign(treated=1), other.assign(treated=0)], ignore_index=True)
        frame = frame[frame["period"].isin(common)]
    treated = frame[frame["treated"] == 1] if control else frame
    if treated["post"].sum() < 3 or (1 - treated["post"]).sum() < 3:
        raise InputError("need at least 3 months before and 3 after the start"
                         + (" in both series" if control else ""), field="start")
    if control:
        return fit_controlled_its(frame, "value", "period", "treated", "post",
                                  family=family)  # type: ignore[arg-type]
    return fit_its(frame, "value", "period", "post", family=family)  # type: ignore[arg-type]


def scenario_dict(db: Session, workspace_id: int) -> dict[str, Any] | None:
    """The workspace's saved forecast/impact scenario (a mmsis.forecast mapping), if any."""
    found = analytics.load_result(db, workspace_id, "scenario")
    return found[0] if found else None


def parse_scenario(text: str) -> dict[str, Any]:
    """Read scenario YAML and check it with mmsis.forecast (errors name the field)."""
    from mmsis.forecast import scenario_from_dict

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"the scenario is not valid YAML{line}", field="scenario") from exc
    if not isinstance(data, dict):
        raise InputError("the scenario must be a YAML mapping", field="scenario")
    scenario_from_dict(data, file="scenario")
    return data


def run_scenario(data: dict[str, Any]) -> dict[str, Any]:
    """Forecast (mmsis.forecast) and impact (mmsis.impact) of a scenario, as tables."""
    from mmsis.forecast import run_forecast, scenario_from_dict
    from mmsis.impact import run_impact

    sc = scenario_from_dict(data, file="scenario")
    fc = run_forecast(sc)
    imp = run_impact(sc, draws=IMPACT_DRAWS, seed=2024)
    return {
        "name": sc.name,
        "currency": sc.currency,
        "forecast": fc.summary,
        "budget": fc.budget,
        "impact": imp.summary,
    }


def report_zip(db: Session, access: Access) -> tuple[bytes, str]:
    """Build the country report (mmsis.report) from this workspace's data and programme; zip it.

    The data are the workspace's own (org units, DHIS2 values, survey upload, saved scenario,
    within the user's subtree; see mmsis.web.report_inputs); sections it has no data for say
    so in the report. A workspace seeded from the example country gives the example report.
    """
    import io
    import zipfile

    from mmsis.report.build import build_report
    from mmsis.web.dashboard import programme
    from mmsis.web.report_inputs import report_country

    country = report_country(db, access)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        res = build_report(out, country=country, programme=programme(db, access))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path in (res.html, res.xlsx, res.docx, res.heatmap, res.pdf):
                if path is not None and Path(path).exists():
                    z.write(path, Path(path).name)
    return buf.getvalue(), f"mms-report-{access.workspace.id}.zip"
