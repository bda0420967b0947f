"""What `mmsis report` is built from on a user's machine: the files a programme links.

A programme workspace (`mmsis-plan.yaml`) names where its data live (`data.store`,
`data.surveys`, `data.rollout`, `data.scenario`, relative to the plan file's folder); the
command line may override each link. `report_inputs_from_files` reads those files into a
`mmsis.data.programme.CountryProgramme`: the DuckDB store is opened read-only and used as is (no
copy of its values), the survey is read like `mmsis survey` reads it, the roll-out CSV and the
scenario YAML are checked. A part without a file makes its sections "not available" with a
reason saying what to link; a linked file that does not exist or cannot be read is an
`InputError` naming the file and where the link came from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mmsis.data import queries
from mmsis.data.programme import CountryFacts, CountryProgramme, SurveyWave
from mmsis.errors import InputError
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt

if TYPE_CHECKING:
    from mmsis.data.workspace import Programme

_MONTH = re.compile(r"^\d{4}(0[1-9]|1[0-2])$")
_ORG_UNIT_COLUMNS = ["id", "name", "level", "parent_id", "path", "population"]
_STORE_TABLES = ("org_units", "data_elements", "data_values", "reports", "constants")
PARTS = ("store", "survey", "rollout", "scenario")


@dataclass(frozen=True)
class Link:
    """A data file for the report and where the link came from (for error messages)."""

    path: Path
    origin: str


def plan_links(programme: Programme, plan_file: Path) -> dict[str, Link]:
    """The data links of a programme file, relative paths resolved from the file's folder.

    Of ``data.surveys`` the first file is the report's survey (`plan_surveys` gives them
    all, the programme's survey waves).
    """
    base = plan_file.parent
    data = programme.data
    where = plan_file.name
    found: dict[str, Link] = {}
    for part, value, field in (("store", data.store, "data.store"),
                               ("survey", data.surveys[0] if data.surveys else None,
                                "data.surveys[0]"),
                               ("rollout", data.rollout, "data.rollout"),
                               ("scenario", data.scenario, "data.scenario")):
        if value:
            path = Path(value).expanduser()
            found[part] = Link(path if path.is_absolute() else base / path,
                               f"{field} in {where}")
    return found


def plan_surveys(programme: Programme, plan_file: Path) -> list[Link]:
    """Every survey file of a programme file's ``data.surveys``, in the order listed."""
    base = plan_file.parent
    found = []
    for i, value in enumerate(programme.data.surveys):
        path = Path(value).expanduser()
        found.append(Link(path if path.is_absolute() else base / path,
                          f"data.surveys[{i}] in {plan_file.name}"))
    return found


def report_inputs_from_files(
    name: str | None,
    store: Link | None = None,
    survey: Link | None = None,
    rollout: Link | None = None,
    scenario: Link | None = None,
    *,
    surveys: Sequence[Link] = (),
    statuses: Programme | None = None,
    origin: str = "the report inputs",
    hints: dict[str, str] | None = None,
) -> CountryProgramme:
    """A programme from a store file, a survey file, a roll-out CSV and a scenario YAML.

    `name` is the country (None: the store's level-1 org unit, else "the country"). Each
    part is optional; `hints` give, per part (store, survey, rollout, scenario), how the
    user can supply it, used in the "not available" reasons. `surveys` are every survey
    wave the plan lists (`plan_surveys`; the others are read only when used), of which
    `survey` is the one analysed; `statuses` are the team's (the plan file). The returned
    inputs hold the store open read-only: call `close()` when the report is written.
    """
    hints = hints or {}
    for link in (store, survey, rollout, scenario):
        if link is not None and not link.path.exists():
            raise InputError(f"file not found (linked by {link.origin})", file=str(link.path))
    country: CountryFacts = {"name": name}
    sources: dict[str, str] = {}
    missing: dict[str, str] = {}
    inputs = CountryProgramme(country=country, org_units=pd.DataFrame(columns=_ORG_UNIT_COLUMNS),
                              sources=sources, missing=missing, origin=origin,
                              statuses=statuses)
    if store is None:
        missing["routine"] = "no routine data store linked" + _hint(hints, "store")
    else:
        _read_store(inputs, store, hints)
    try:
        if survey is None:
            missing["survey"] = "no survey microdata file linked" + _hint(hints, "survey")
        else:
            from mmsis.data.survey.read import read_survey

            frame = read_survey(survey.path)
            inputs.waves = _waves(survey, frame, surveys)
            inputs.wave = str(survey.path)
            sources["survey"] = _("file %(path)s (%(rows)s rows; %(origin)s)") % {
                "path": survey.path, "rows": fmt.count(len(frame)), "origin": survey.origin}
            if frame.empty:
                missing["survey"] = f"the survey file {survey.path} has no rows"
        if rollout is None:
            missing["rollout"] = "no MMS start month per district linked" + _hint(hints,
                                                                                  "rollout")
        else:
            inputs.rollout = read_rollout(rollout)
            known = set(inputs.org_units["id"].astype(str))
            ids = inputs.rollout["district_id"]
            sources["rollout"] = _("file %(path)s (%(districts)s districts, %(known)s of them "
                                   "in the store; %(origin)s)") % {
                "path": rollout.path, "districts": fmt.count(len(ids)),
                "known": fmt.count(int(ids.isin(known).sum())), "origin": rollout.origin}
        if scenario is None:
            missing["scenario"] = "no forecast scenario linked" + _hint(hints, "scenario")
        else:
            inputs.scenario = read_scenario(scenario)
            sources["scenario"] = _("file %(path)s (%(origin)s)") % {
                "path": scenario.path, "origin": scenario.origin}
            if inputs.rollout is None:  # the scenario's planned start months stand in
                from mmsis.report.inputs import rollout_from_scenario

                inputs.rollout = rollout_from_scenario(inputs.scenario, inputs.org_units)
                if inputs.rollout is not None:
                    missing.pop("rollout", None)
                    sources["rollout"] = _(
                        "the start months of rollout.districts in %(path)s (%(districts)s "
                        "districts of the store; %(origin)s)") % {
                        "path": scenario.path, "districts": fmt.count(len(inputs.rollout)),
                        "origin": scenario.origin}
    except BaseException:
        inputs.close()
        raise
    if not name:
        top = inputs.org_units[inputs.org_units["level"] == 1]["name"]
        country["name"] = str(top.iloc[0]) if len(top) else "the country"
    return inputs


def _waves(chosen: Link, frame: pd.DataFrame, listed: Sequence[Link]) -> list[SurveyWave]:
    """The survey waves, in the order listed (the chosen one read, the others when used);
    the chosen file alone when the plan does not list it (given on the command line)."""
    from mmsis.data.survey.read import read_survey

    links = list(listed) if any(w.path == chosen.path for w in listed) else [chosen]
    return [SurveyWave(name=str(w.path), file=w.path.name, frame=frame) if w.path == chosen.path
            else SurveyWave(name=str(w.path), file=w.path.name,
                            load=functools.partial(read_survey, w.path))
            for w in links]


def _hint(hints: dict[str, str], part: str) -> str:
    return f": {hints[part]}" if part in hints else ""


def _read_store(inputs: CountryProgramme, link: Link, hints: dict[str, str]) -> None:
    """Open the store read-only and put its org units, elements, reports, constants in."""
    from mmsis.data.store import Store

    try:
        with link.path.open("rb") as fh:
            magic = fh.read(12)[8:12]
    except OSError as exc:
        raise InputError(f"cannot read the store (linked by {link.origin}): {exc}",
                         file=str(link.path)) from exc
    if magic != b"DUCK":
        raise InputError(f"not a DuckDB store (linked by {link.origin}); make one with "
                         "`mmsis routine import FILE --store PATH`", file=str(link.path))
    try:
        store = Store(link.path, read_only=True)
    except InputError as exc:
        raise InputError(f"{exc.message} (linked by {link.origin})", file=str(link.path)) from exc
    try:
        tables = queries.table_names(store)
        lacking = [t for t in _STORE_TABLES if t not in tables]
        if lacking:
            raise InputError(f"not an mmsis store: no table(s) {', '.join(lacking)} (linked by "
                             f"{link.origin}; create it with `mmsis routine import`)",
                             file=str(link.path))
        inputs.store = store
        ous = store.org_units()
        inputs.org_units = ous[[c for c in _ORG_UNIT_COLUMNS if c in ous.columns]]
        inputs.data_elements = store.data_elements()
        reports = store.reports()
        inputs.reports = reports if len(reports) else None
        consts = store.constants()
        inputs.set_constants(consts)
        counts = queries.values_summary(store)
    except BaseException:
        store.close()
        inputs.store = None
        raise
    n = counts.values
    if n == 0:
        inputs.missing["routine"] = (f"the store {link.path} ({link.origin}) holds no data "
                                     "values: import them with `mmsis routine import`")
        return
    inputs.sources["routine"] = _(
        "local store %(path)s (%(origin)s): %(values)s data values, %(units)s org units, "
        "%(elements)s data elements, %(reports)s report rows") % {
        "path": link.path, "origin": link.origin, "values": fmt.count(n),
        "units": fmt.count(counts.org_units), "elements": fmt.count(counts.data_elements),
        "reports": fmt.count(len(reports))} + (
        "" if len(reports) else " " + _("(so completeness and timeliness are not computed)"))


def read_rollout(link: Link) -> pd.DataFrame:
    """The roll-out CSV (district_id, mms_start YYYYMM); every bad row is named."""
    from mmsis.data.csvread import read_user_frame  # encodings, open quotes named by row

    frame = read_user_frame(link.path)
    for col in ("district_id", "mms_start"):
        if col not in frame.columns:
            cols = list(frame.columns)
            raise InputError(f"the roll-out table needs columns district_id and mms_start "
                             f"(YYYYMM); found {cols[:8]}{' ...' if len(cols) > 8 else ''}",
                             file=str(link.path), column=col)
    frame["district_id"] = frame["district_id"].str.strip()
    frame["mms_start"] = frame["mms_start"].str.strip()
    bad = [i + 1 for i, (d, m) in enumerate(zip(frame["district_id"], frame["mms_start"],
                                                strict=True))
           if not d or not _MONTH.match(m)]
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else "")
        raise InputError(f"{len(bad)} row(s) without a district_id or with an mms_start that is "
                         f"not a month YYYYMM (rows {shown})", file=str(link.path),
                         row=bad[0], column="mms_start")
    dup = frame["district_id"][frame["district_id"].duplicated()]
    if len(dup):
        raise InputError(f"district(s) listed twice: {', '.join(sorted(set(dup)))}",
                         file=str(link.path), row=int(dup.index[0]) + 1, column="district_id")
    if frame.empty:
        raise InputError("the roll-out table has no rows", file=str(link.path))
    return frame[["district_id", "mms_start"]].reset_index(drop=True)


def read_scenario(link: Link) -> dict[str, Any]:
    """The scenario mapping, checked as `mmsis forecast --scenario` checks it, with its
    relative file paths made absolute (the report validates it again without a folder)."""
    from mmsis.data.yamlread import load_yaml  # bounded in size, depth and aliases
    from mmsis.forecast.scenario import scenario_from_dict

    data = load_yaml(link.path) or {}
    if not isinstance(data, dict):
        raise InputError("a scenario must be a mapping of fields", file=str(link.path))
    base = link.path.parent
    for key, fields in (("geography", ("file", "store")), ("consumption", ("file", "store"))):
        node = data.get(key)
        if isinstance(node, dict):
            for f in fields:
                where = node.get(f)
                if isinstance(where, str) and not Path(where).is_absolute():
                    node[f] = str(base / where)
    scenario_from_dict(data, base_dir=base, file=str(link.path))
    return data
