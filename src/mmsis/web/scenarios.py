"""Evaluation, forecast/impact scenarios and the report, run through the analysis packages."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.evaluate import routine_its
from mmsis.web import analytics, services
from mmsis.web.deps import Access

if TYPE_CHECKING:
    from mmsis.evaluate.controlled_its import ControlledITSResult
    from mmsis.evaluate.its import ITSResult
    from mmsis.forecast.scenario import Scenario

ITS_FAMILIES = routine_its.ITS_FAMILIES


def run_its(
    db: Session,
    access: Access,
    data_element: str,
    start: str,
    org_unit: str | None = None,
    family: str = "quasipoisson",
    control: str | None = None,
) -> ITSResult | ControlledITSResult:
    """Interrupted time series of a routine series around `start` with the one specification
    (mmsis.evaluate.routine_its.fit_routine_its, as `mmsis evaluate routine-its` and the
    report); with a `control` org unit, a controlled ITS against its series. The series are
    the user's own view (services.routine_series: the subtree, scope-checked)."""
    from mmsis.evaluate.routine_its import fit_routine_its

    if control and control == org_unit:
        raise InputError("the control must be another org unit than the one evaluated",
                         field="control")

    def series(unit: str | None) -> pd.DataFrame:
        rows = services.routine_series(db, access, [data_element], unit)
        return pd.DataFrame(rows, columns=["data_element", "org_unit", "period", "value"])

    other = series(control) if control else None
    return fit_routine_its(series(org_unit), start, family, other, what=f"'{data_element}'")


def scenario_dict(db: Session, workspace_id: int) -> dict[str, Any] | None:
    """The workspace's saved forecast/impact scenario (a mmsis.forecast mapping), if any."""
    found = analytics.load_result(db, workspace_id, "scenario")
    return found[0] if found else None


MAX_SCENARIO_BYTES = 256 * 1024
"""A scenario is a page of settings (the example is ~3 KB); inline district tables fit too."""
MAX_SCENARIO_DEPTH = 12
"""Nesting levels of mappings and lists (the scenario format uses at most four)."""
_PATH_WORDS = {"file", "files", "filename", "filepath", "path", "paths", "dir", "directory",
               "folder", "store", "url", "uri", "database", "db"}
"""Words that make a key name a file, a directory, a store or a location: a workspace scenario
refers only to the workspace's own data, so no key may point the server anywhere."""


class _BoundedLoader(yaml.SafeLoader):
    """YAML's safe loader with no aliases or anchors (no 'billion laughs') and bounded depth."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputError(f"the scenario uses a YAML anchor or alias (line {line}); write "
                             "the values out", field="scenario")
        self._depth += 1
        try:
            if self._depth > MAX_SCENARIO_DEPTH:
                raise InputError(f"the scenario nests deeper than {MAX_SCENARIO_DEPTH} levels "
                                 f"(line {line})", field="scenario")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _is_path_key(key: str) -> bool:
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower()  # fileName -> file_name
    words = re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])", snake)
    return any(w in _PATH_WORDS for w in words if w) and key != "store_level"


def refuse_server_paths(data: Any, where: str = "") -> None:
    """Refuse any key, at any depth, that names a file or store (e.g. geography.store): a
    workspace scenario may use only the workspace's data; the CLI keeps them for local files."""
    items: list[tuple[str, Any]]
    if isinstance(data, dict):
        items = [(str(k), v) for k, v in data.items()]
        for key, _ in items:
            if _is_path_key(key):
                name = f"{where}.{key}" if where else key
                raise InputError(
                    f"'{name}' names a file or store on the server; a workspace scenario uses "
                    "only this workspace's own data (put the districts in the scenario, or use "
                    "the mmsis CLI for files of your own)",
                    field=name,
                )
    elif isinstance(data, list):
        items = [(f"[{i}]", v) for i, v in enumerate(data)]
    else:
        return
    for key, value in items:
        sub = f"{where}{key}" if key.startswith("[") else (f"{where}.{key}" if where else key)
        refuse_server_paths(value, sub)


def parse_scenario(text: str) -> dict[str, Any]:
    """Read scenario YAML (bounded: size, depth, no aliases; no server paths) and check it with
    mmsis.forecast (errors name the field)."""
    from mmsis.forecast import scenario_from_dict

    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCENARIO_BYTES:
        raise InputError(f"the scenario is larger than {MAX_SCENARIO_BYTES // 1024} KB",
                         field="scenario")
    try:
        data = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"the scenario is not valid YAML{line}", field="scenario") from exc
    if not isinstance(data, dict):
        raise InputError("the scenario must be a YAML mapping", field="scenario")
    refuse_server_paths(data)
    scenario_from_dict(data, file="scenario")
    return data


def checked_scenario(data: dict[str, Any]) -> Scenario:
    """The validated scenario (mmsis.forecast) of a saved mapping, defaults filled in."""
    from mmsis.forecast import scenario_from_dict

    refuse_server_paths(data)
    return scenario_from_dict(data, file="scenario")


def run_scenario(data: dict[str, Any]) -> dict[str, Any]:
    """Forecast (mmsis.forecast) and impact (mmsis.impact) of a scenario, as tables."""
    from mmsis.forecast import run_forecast, scenario_from_dict
    from mmsis.impact.engine import DRAWS, SEED, run_impact

    refuse_server_paths(data)  # also a scenario saved before paths were refused
    sc = scenario_from_dict(data, file="scenario")
    fc = run_forecast(sc)
    imp = run_impact(sc, draws=DRAWS, seed=SEED)  # the report's and the CLI's draws and seed
    from mmsis.present import sentences

    summary = dict(zip(fc.totals["item"], fc.totals["value"], strict=True))
    return {
        "name": sc.name,
        "currency": sc.currency,
        "currency_year": sc.currency_year,
        "forecast": fc.totals,
        "budget": fc.budget,
        "months": fc.months,
        "impact": imp.measures,
        "pathways": imp.pathways,
        "acceptability": imp.acceptability,
        "thresholds": imp.thresholds,
        "tornado": imp.tornado,
        "plane": _plane(imp.draws),
        "forecast_sentence": sentences.forecast(summary, sc.currency, sc.horizon_months),
        "impact_sentence": sentences.impact(imp),
    }


PLANE_POINTS = 600
"""Monte Carlo draws drawn on the cost-effectiveness plane (an even sample of them)."""


def _plane(draws: dict[str, Any]) -> list[tuple[float, float]]:
    """(DALYs averted, extra cost) of an even sample of the Monte Carlo draws."""
    dalys, cost = draws.get("dalys_averted"), draws.get("incremental_cost")
    if dalys is None or cost is None:
        return []
    step = max(1, len(dalys) // PLANE_POINTS)
    return [(float(x), float(y)) for x, y in zip(dalys[::step], cost[::step], strict=True)]


def report_zip(db: Session, access: Access, wave: str | None = None) -> tuple[bytes, str]:
    """Build the country report (mmsis.report) from this workspace's data and programme; zip it.

    The data are the workspace's own (org units, DHIS2 values, survey upload, saved scenario,
    within the user's subtree; see mmsis.web.report_inputs); sections it has no data for say
    so in the report. A workspace seeded from the example country keeps the synthetic notice.
    `wave` is the survey wave (default: the latest), as on the dashboard.
    """
    import contextlib
    import io
    import zipfile

    from mmsis.report.build import build_report
    from mmsis.web.report_inputs import report_country

    with contextlib.ExitStack() as stack:
        country = report_country(db, access, wave, stack)
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        out = Path(tmp)
        # the scorecard is the programme's: a user limited to a subtree gets the report of the
        # subtree's data, judged with the values the dashboard measures (the whole store)
        measured = (analytics.measured_for(access.workspace, wave) if access.scope_path
                    else None)
        res = build_report(out, country=country, measured_values=measured)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path in (res.html, res.xlsx, res.docx, res.heatmap, res.pdf):
                if path is not None and Path(path).exists():
                    z.write(path, Path(path).name)
    return buf.getvalue(), f"mms-report-{access.workspace.id}.zip"


def report_deck(db: Session, access: Access) -> tuple[bytes, str]:
    """The TAG deck (mmsis.report.deck, python-pptx) of the same report, as PPTX bytes."""
    from mmsis.report.build import build_report
    from mmsis.web.report_inputs import report_country

    country = report_country(db, access)
    with tempfile.TemporaryDirectory() as tmp:
        res = build_report(Path(tmp), country=country, pptx=True)
        assert res.pptx is not None
        data = Path(res.pptx).read_bytes()
    return data, f"mms-deck-{access.workspace.id}.pptx"
