"""What the workspace report is built from: the workspace's own data, read from its database.

Every workspace gives a `mmsis.data.programme.CountryProgramme` made of its org units, DHIS2
values (its programme store), its survey waves (one chosen, default the latest), saved
scenario and the team's statuses (as on its pages), limited to the user's subtree;
one seeded from the bundled example country is marked synthetic (the report's notice) and,
untouched, gives the numbers of `mmsis report`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mmsis.data import queries
from mmsis.data.programme import CountryProgramme, SurveyWave
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.report.inputs import rollout_from_scenario
from mmsis.web import analytics, programme
from mmsis.web import scope as scopes
from mmsis.web.deps import Access
from mmsis.web.models import OrgUnit, Upload

if TYPE_CHECKING:
    from mmsis.data.programme import CountryFacts
    from mmsis.data.store import Store


def report_country(db: Session, access: Access, wave: str | None = None,
                   stack: contextlib.ExitStack[Any] | None = None
                   ) -> CountryProgramme:
    """The workspace's programme (survey `wave`, default the latest; with `stack`, the store
    itself, see workspace_inputs) with the team's statuses, evidence and decisions saved on
    the web (`mmsis.web.dashboard.programme`); a workspace seeded from the example country is
    marked synthetic (the report keeps its notice) but is built from its own data like any
    other."""
    from mmsis.web.dashboard import programme as team_programme

    inputs = workspace_inputs(db, access, wave, stack)
    inputs.statuses = team_programme(db, access)
    found = analytics.load_result(db, access.workspace.id, "source")
    if found and "example_country_seed" in found[0]:  # its own data, the notice kept
        inputs.country["status"] = _(
            "synthetic (assumption): the example country (seed %(seed)s) seeded by mmsis "
            "demo, with this workspace's own changes") % {
                "seed": int(found[0]["example_country_seed"])}
    return inputs


def workspace_inputs(db: Session, access: Access, wave: str | None = None,
                     stack: contextlib.ExitStack[Any] | None = None) -> CountryProgramme:
    """The workspace's programme (its store, a survey wave, its scenario), scoped to the user's
    org-unit subtree.

    A user who sees the whole country gets the store itself (opened for reading on `stack`,
    kept open until the stack closes): the report then measures exactly what the dashboard
    and `mmsis plan assess --store` measure. A user scoped to a subtree gets a copy of the
    subtree's values.
    """
    ws = access.workspace
    scope = access.scope_path
    where = _(" in your part of the hierarchy") if scope else ""
    org_units = _org_units(db, ws.id, scope)
    store = None
    if stack is not None and not scope and programme.has_store(ws):
        store = stack.enter_context(programme.reading(ws))
        values, routine_src = _store_summary(db, store)
    else:
        values, routine_src = _routine(db, ws.id, scope)
    waves, survey_src = _waves(db, ws.id, scope, wave)
    scenario = analytics.load_result(db, ws.id, "scenario")
    scen = scenario[0] if scenario else None
    mapping = programme.concepts(ws)  # the workspace's districts
    rollout = rollout_from_scenario(scen, org_units,
                                    mapping.district_level if mapping is not None else None)
    name = ws.country or ws.name
    country: CountryFacts = {"name": name}
    if values is not None:
        country["start_period"] = str(values["period"].min())
        country["end_period"] = str(values["period"].max())
    return CountryProgramme(
        country=country,
        org_units=org_units,
        data_values=values if store is None else None,
        store=store,
        concepts=programme.concepts(ws) if store is None else None,
        waves=waves,
        wave=wave,
        rollout=rollout,
        scenario=scen,
        sources={
            "routine": routine_src,
            "survey": survey_src,
            "rollout": _("the roll-out (planned start month per district) of the scenario "
                         "saved on the scenario page of workspace '%(name)s'") % {
                             "name": ws.name},
            "scenario": _("saved on the scenario page of workspace '%(name)s'") % {
                "name": ws.name},
        },
        missing={
            "routine": _("no DHIS2 data values uploaded to this workspace%(where)s") % {
                "where": where},
            "survey": _("no survey microdata uploaded to this workspace%(where)s") % {
                "where": where},
            "rollout": _("no MMS start month per district: save a scenario whose "
                         "rollout.districts name this workspace's districts on the scenario "
                         "page"),
            "scenario": _("no scenario saved on this workspace's scenario page"),
        },
        origin="this workspace",
    )


def _org_units(db: Session, workspace_id: int, scope: str | None) -> pd.DataFrame:
    """Org units of the user's subtree and its ancestors (these without population, so
    coverage denominators sum the visible units only)."""
    rows = db.execute(
        select(
            OrgUnit.id,
            OrgUnit.name,
            OrgUnit.level,
            OrgUnit.parent_id,
            OrgUnit.path,
            OrgUnit.population,
        ).where(OrgUnit.workspace_id == workspace_id)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "name", "level", "parent_id", "path", "population"])
    if scope and len(frame):
        inside = scopes.series_contains(frame["path"], scope)
        above = frame["path"].map(lambda p: scopes.is_above(str(p), scope))
        frame.loc[above, "population"] = None
        frame = frame[inside | above]
    return frame.reset_index(drop=True)


def _routine(db: Session, workspace_id: int, scope: str | None) -> tuple[pd.DataFrame | None, str]:
    """The workspace's DHIS2 values from its programme store (dataValueSets columns, every
    option combo) and a line naming the uploads they came from."""
    from mmsis.web.models import Workspace

    ws = db.get(Workspace, workspace_id)
    if ws is None or not programme.has_store(ws):
        return None, ""
    with programme.reading(ws) as st:
        frame = queries.values_with_paths(st)
    if scope and len(frame):
        frame = frame[scopes.series_contains(frame["path"], scope)]
    if frame.empty:
        return None, ""
    files = _upload_files(db, frame["source"].dropna().unique())
    src = _("DHIS2 values of this workspace (%(files)s): %(values)s values, %(units)s org "
            "units, %(elements)s data elements; no reporting table, so completeness and "
            "timeliness are not computed") % {
                "files": files, "values": fmt.count(len(frame)),
                "units": fmt.count(frame["orgUnit"].nunique()),
                "elements": fmt.count(frame["dataElement"].nunique())}
    if scope:
        src += _("; limited to %(place)s") % {"place": _place(db, workspace_id, scope)}
    frame = frame.drop(columns=["source", "path"]).reset_index(drop=True)
    frame["value"] = frame["value"].map(repr)
    return frame, src


def _store_summary(db: Session, store: Store) -> tuple[pd.DataFrame | None, str]:
    """The months the store's values span (as a two-row frame of periods) and a line naming
    the uploads they came from (the store itself is the report's routine data)."""
    summary = queries.values_summary(store)
    if not summary.values:
        return None, ""
    files = _upload_files(db, queries.value_sources(store))
    src = _("DHIS2 values of this workspace (%(files)s), read from its programme store: "
            "%(values)s values, %(units)s org units, %(elements)s data elements") % {
                "files": files, "values": fmt.count(summary.values),
                "units": fmt.count(summary.org_units),
                "elements": fmt.count(summary.data_elements)}
    return pd.DataFrame({"period": [str(summary.first), str(summary.last)]}), src


def _upload_files(db: Session, sources: Any) -> str:
    """The file names of the uploads among the store's value sources ("upload:<id>"), oldest
    first, for the report's source line."""
    ids = sorted({int(str(b).split(":", 1)[1]) for b in sources
                  if str(b).startswith("upload:") and str(b).split(":", 1)[1].isdigit()})
    names = (list(db.scalars(select(Upload.filename).where(Upload.id.in_(ids))
                             .order_by(Upload.id))) if ids else [])
    return ", ".join(names) if names else _("the workspace's programme store")


def _place(db: Session, workspace_id: int, scope: str) -> str:
    """The name of the org unit at path `scope` (labels, not ids; the path if none has it)."""
    name = db.scalar(select(OrgUnit.name).where(OrgUnit.workspace_id == workspace_id,
                                                OrgUnit.path == scope).limit(1))
    return str(name) if name else scope


def _waves(db: Session, workspace_id: int, scope: str | None,
           wave: str | None = None) -> tuple[list[SurveyWave], str]:
    """The workspace's survey waves, oldest first (`wave`, default the latest, read now; the
    others when used), each limited to the user's subtree, and a line naming the chosen one.
    A chosen wave with no respondents in the subtree gives no waves (the survey is missing)."""
    from mmsis.web.models import Workspace

    ws = db.get(Workspace, workspace_id)
    listed = programme.survey_waves(ws) if ws is not None else []
    if ws is None or not listed:
        return [], ""
    info, frame = programme.survey_frame(ws, wave)  # an unknown wave: InputError naming them
    note = ""
    keep = _in_scope(db, workspace_id, scope)
    if scope:
        frame = keep(frame)
        note = _("; respondents of districts in %(place)s only") % {
            "place": _place(db, workspace_id, scope)}
    if frame.empty:
        return [], ""
    path = programme.path_of(ws)

    def reader(wave_id: str) -> Callable[[], pd.DataFrame]:
        return lambda: keep(programme.wave_rows(path, wave_id))

    waves = [SurveyWave(name=str(w["id"]), file=str(w["file"]), frame=frame)
             if str(w["id"]) == str(info["id"]) else
             SurveyWave(name=str(w["id"]), file=str(w["file"]), load=reader(str(w["id"])))
             for w in listed]
    at = info.get("imported_at")
    uploaded = fmt.day(str(at)[:10]) if at is not None else _("date unknown")
    n = int(info.get("n_waves", 1))
    which = (_("the only wave") if n == 1 else
             _("the latest of %(n)s waves") % {"n": n} if info.get("latest") else
             _("chosen from %(n)s waves") % {"n": n})
    return waves, _("survey wave %(id)s (%(file)s, %(n)s respondents used, uploaded "
                    "%(uploaded)s; %(which)s)") % {
        "id": info["id"], "file": info["file"], "n": fmt.count(len(frame)),
        "uploaded": uploaded, "which": which} + note


def _in_scope(db: Session, workspace_id: int,
              scope: str | None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A filter keeping a wave's respondents of districts in `scope` (all without a scope)."""
    if not scope:
        return lambda frame: frame
    paths = dict(db.execute(select(OrgUnit.id, OrgUnit.path).where(
        OrgUnit.workspace_id == workspace_id)).all())

    def keep(frame: pd.DataFrame) -> pd.DataFrame:  # the dashboard's rule too, one function
        from mmsis.measure.survey.programme import respondents_within

        return respondents_within(frame, paths, scope)

    return keep
