"""Dashboard panels and agenda suggestions, computed by the analysis packages' public APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from mmsis.i18n import gettext as _
from mmsis.web import analytics, charts, services
from mmsis.web import scope as scopes
from mmsis.web.deps import Access

if TYPE_CHECKING:
    from mmsis.plan.scorecard import Scorecard
    from mmsis.plan.workspace import Programme

QUALITY_FLAGS_SHOWN = 25


def programme(db: Session, access: Access) -> Programme:
    """The workspace's programme (mmsis.plan) with the key-result statuses saved on the web."""
    from mmsis.plan.workspace import KeyResultStatus, Programme, StatusEvidence

    ws = access.workspace
    if ws.programme_json:
        prog = Programme.model_validate_json(ws.programme_json)
    else:
        prog = Programme(country=ws.country or ws.name, name=ws.name)
    evidence = services.evidence_list(db, ws.id)
    saved = services.key_result_statuses(db, ws.id)
    statuses = []
    for kr_id, row in saved.items():
        if row.status not in ("met", "partly", "not_met", "not_applicable"):
            continue
        files = [StatusEvidence(note=row.note, file=e.filename) for e in evidence.get(kr_id, [])]
        statuses.append(
            KeyResultStatus(
                key_result=kr_id, status=row.status,
                evidence=files or [StatusEvidence(note=row.note)]
            )
        )
    from mmsis.web import group_work

    logged = [d.record for d in group_work.decisions(db, ws.id)]
    tracked = [a.record for a in group_work.actions(db, ws.id)]
    update: dict[str, Any] = {"key_results": statuses}
    if logged:  # the web log replaces the programme file's (it is where the group records)
        update["adaptations"] = logged
    if tracked:
        update["actions"] = tracked
    if ws.phase:  # the phase set on the workspace applies to every pillar
        update["phases"] = {p: ws.phase for p in prog.phases}
    return prog.model_copy(update=update)


def scorecard(db: Session, access: Access, wave: str | None = None,
              measured: dict[str, Any] | None = None) -> Scorecard:
    """The readiness scorecard of the workspace: mmsis.plan.measured.programme_scorecard with
    the values measured from its store and survey wave (default: the latest), as the report
    and `mmsis plan assess --store` compute it (`measured`: as served to a page, see
    `analytics.measured_served`)."""
    from mmsis.framework import load_framework
    from mmsis.plan.measured import programme_scorecard

    if measured is None:
        measured = analytics.measured_for(access.workspace, wave)
    return programme_scorecard(programme(db, access), load_framework(), measured=measured)


_SCORECARD_PANELS: dict[tuple[Any, ...], dict[str, Any]] = {}


def _scorecard_panel(db: Session, access: Access, wave: str | None = None,
                     served: analytics.Served | None = None) -> dict[str, Any]:
    """The scorecard panel, once per language, wave, measurements served and version of the
    records it reads, shared by every district's dashboard (callers must not change it): it
    is the programme's, the same in each, and ~1,000 districts had each judged it again
    after every new measurement."""
    from mmsis.i18n import current_language

    ws = access.workspace
    served = served or analytics.measured_served(ws, wave)
    key = (db.get_bind().engine.url, ws.id, current_language(), wave, served.version,
           served.current, ws.phase, services.records_versions(db, ws.id))
    found = _SCORECARD_PANELS.get(key)
    if found is None:
        found = _judged_panel(db, access, wave, served)
        if len(_SCORECARD_PANELS) > 64:
            _SCORECARD_PANELS.clear()
        _SCORECARD_PANELS[key] = found
    return found


def _judged_panel(db: Session, access: Access, wave: str | None,
                  served: analytics.Served) -> dict[str, Any]:
    from mmsis.framework import load_framework

    fw = load_framework()
    card = scorecard(db, access, wave, served.value or {})
    cells = {(c.phase, c.pillar): c for c in card.cells}
    rows = []
    for ph in sorted(fw.phases, key=lambda p: p.order):
        row = []
        for pi in fw.pillars:
            c = cells.get((ph.id, pi.id))
            share = c.share_met if c else None
            row.append(
                {
                    "share": share,
                    "css": charts.heat_class(share),
                    "current": bool(c and c.current),
                    "n": c.n_applicable if c else 0,
                    "met": c.n_met if c else 0,
                }
            )
        rows.append({"phase": ph, "cells": row})
    from mmsis.present import sentences

    return {"pillars": fw.pillars, "rows": rows, "verdicts": card.verdicts,
            "sentences": [sentences.readiness(v, card.items) for v in card.verdicts],
            # the measured values are older than the store (or not computed yet) while the
            # current ones are computed in the background: said, with when they were computed
            "updating": not served.current, "measured_at": served.computed_at}


def _cascade_panel(db: Session, access: Access, wave: str | None = None) -> dict[str, Any] | None:
    result = analytics.cascade_for(access.workspace, wave, access.scope_path)
    if result is None:
        return None
    table = result["table"]
    steps = ([] if table is None
             else table[table["of"] == "all women"].to_dict(orient="records"))
    from mmsis.data.survey.waves import wave_words
    from mmsis.measure.survey.programme import denominator_words, scope_words
    from mmsis.web.models import OrgUnit

    place = None
    if access.scope_unit:  # the scope's name (labels, not ids)
        unit = db.get(OrgUnit, (access.workspace.id, access.scope_unit))
        place = unit.name if unit is not None else access.scope_unit

    # the words in the request's language (the computed cascade is shared by every language)
    waves = analytics.survey_wave_list(access.workspace)
    info = {"file": result["survey"], "n_waves": len(waves),
            "latest": bool(waves) and waves[-1]["id"] == result["wave"]}
    return {"survey": result["survey"], "wave": result["wave"], "steps": steps,
            "wave_words": wave_words(info), "denominator": denominator_words(),
            "covers": scope_words(place), "respondents": result.get("respondents", 0),
            "waves": waves}


_PATHS: dict[tuple[Any, int, int], dict[str, str]] = {}


def unit_paths(db: Session, ws: Any) -> dict[str, str]:
    """Every org unit's path (`services.org_unit_paths`), read once per workspace and
    org-unit version and shared by every request (callers must not change it): the quality
    panel of each of ~1,000 districts had read all 51,000 paths."""
    key = (db.get_bind().engine.url, int(ws.id), int(ws.org_units_version or 0))
    found = _PATHS.get(key)
    if found is None:
        found = services.org_unit_paths(db, ws.id)
        if len(_PATHS) > 16:
            _PATHS.clear()
        _PATHS[key] = found
    return found


def _quality_panel(db: Session, access: Access, district: str | None) -> dict[str, Any] | None:
    found = analytics.shared_result(db, access.workspace.id, "quality")
    if found is None:
        return None
    result, at = found
    paths = unit_paths(db, access.workspace)
    prefix = access.scope_path
    if district:
        prefix = paths.get(district, prefix)
    flags = [
        f for f in result["flags"] if scopes.contains(prefix, paths.get(f["org_unit"]))
    ]
    by_check: dict[str, int] = {}
    for f in flags:
        by_check[f["check"]] = by_check.get(f["check"], 0) + 1
    return {
        "score": result["score"] if not access.scope_path else None,
        "summary": result["summary"],
        "by_check": sorted(by_check.items()),
        "flags": flags[:QUALITY_FLAGS_SHOWN],
        "n_flags": len(flags),
        "computed_at": at,
    }


def panels(db: Session, access: Access, district: str | None,
           wave: str | None = None) -> dict[str, Any]:
    """The dashboard panels: scorecard heat-map, survey cascade (of `wave`, default the
    latest) and data-quality flags."""
    return {
        "scorecard": _scorecard_panel(db, access, wave),
        "cascade": _cascade_panel(db, access, wave),
        "quality": _quality_panel(db, access, district),
    }


def agenda_suggestions(db: Session, access: Access) -> list[dict[str, Any]]:
    """Questions ranked by mmsis.plan.build_agenda for the programme's current phases."""
    from mmsis.framework import load_framework
    from mmsis.plan.agenda import build_agenda

    fw = load_framework()
    prog = programme(db, access)
    card = scorecard(db, access, None, analytics.measured_served(access.workspace).value or {})
    agenda = build_agenda(prog, fw, card, top=30)
    return [
        {
            "id": it.question,
            "text": it.text,
            "score": it.score,
            "why": "; ".join(it.why),
            "design": it.design_name,
            "sample_size": it.sample_size.summary,
            "pillars": it.pillars,
        }
        for it in agenda.items
    ]


# --- rendered parts, shared by the dashboard route and the warm-up (mmsis.web.warmup) ---------


def _fragment(templates: Any, access: Access, district: str | None, template: str,
              ctx: dict[str, Any]) -> Markup:
    """A panel rendered once per data version: it depends only on the cached data (never on
    the user or the CSRF token)."""
    page = {"ws": access.workspace, "district": district, **ctx}
    return Markup(templates.get_template(template).render(page))  # noqa: S704 - autoescaped


def trend_key(db: Session, access: Access, district: str | None) -> tuple[Any, ...]:
    """The cache key of the routine trend panel (language, scope, district, data version, and
    the org units' version: the title names the district)."""
    from mmsis.i18n import current_language

    wid = access.workspace.id
    elements = services.trend_elements(access.workspace)
    version = services.series_version(db, wid, elements)
    return ("trend", wid, access.scope_path, district, tuple(elements), version,
            current_language(), access.workspace.org_units_version)


def trend_part(templates: Any, cache: Any, db: Session, access: Access, district: str | None,
               districts: list[Any]) -> Markup:
    """The monthly clients chart and table of the scope (or one of its districts), cached."""
    from mmsis.present.labels import default_labels
    from mmsis.web import wording

    name = next((d.name for d in districts if d.id == district), None)
    elements = services.trend_elements(access.workspace)

    def trend() -> Markup:
        rows = services.routine_series(db, access, elements, district)
        title = (_("Clients per month — %(district)s") % {"district": name} if name
                 else _("Clients per month — all districts you can see"))
        labels = wording.workspace_labels(access.workspace)
        chart = wording.trend_chart(rows, title, labels or default_labels())
        return _fragment(templates, access, district, "_trend.html",
                         {"trend": chart, "trend_rows": wording.trend_table(rows[-12:], labels),
                          "unmapped": not elements})

    return cache.get_or_compute(trend_key(db, access, district), trend)  # type: ignore[no-any-return]


def panels_key(db: Session, access: Access, district: str | None, wave: str | None,
               records: tuple[tuple[int, str], str] | None = None,
               served: analytics.Served | None = None) -> tuple[Any, ...]:
    """The cache key of the scorecard, cascade and quality panels: the reader's language, the
    scope, district and wave, and the versions of every record they read (the quality flags
    are filtered by the org units' paths; the measurements `served`, current or not).
    `records`: `services.records_versions` when the caller has read them already
    (`services.dashboard_facts`)."""
    from mmsis.i18n import current_language

    wid = access.workspace.id
    served = served or analytics.measured_served(access.workspace, wave)
    return ("panels", current_language(), wid, access.scope_path, district, wave,
            *(records or services.records_versions(db, wid)),
            analytics.analysis_data_version(access.workspace),  # (not other elements' uploads)
            served.version, served.current,
            access.workspace.phase, access.workspace.org_units_version)


def panel_parts(templates: Any, cache: Any, db: Session, access: Access, district: str | None,
                wave: str | None, records: tuple[tuple[int, str], str] | None = None,
                ) -> dict[str, Markup | None]:
    """The scorecard, cascade and quality panels rendered (`<part>_html`), cached (`records`:
    see `panels_key`)."""

    # (the measurements as served now key the parts; the panels ask again, and get these or,
    # if they have been computed meanwhile, newer ones: a part never claims to be newer
    # than it is)
    served = analytics.measured_served(access.workspace, wave)

    def compute() -> dict[str, Markup | None]:
        found = panels(db, access, district, wave)
        return {
            f"{part}_html": _fragment(templates, access, district, f"_{part}.html", found)
            if found[part] else None
            for part in ("scorecard", "cascade", "quality")
        }

    return cache.get_or_compute(panels_key(db, access, district, wave, records, served),
                                compute)  # type: ignore[no-any-return]
