"""Dashboard panels and agenda suggestions, computed by the analysis packages' public APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

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


def scorecard(db: Session, access: Access, wave: str | None = None) -> Scorecard:
    """The readiness scorecard of the workspace: mmsis.plan.measured.programme_scorecard with
    the values measured from its store and survey wave (default: the latest), as the report
    and `mmsis plan assess --store` compute it."""
    from mmsis.framework import load_framework
    from mmsis.plan.measured import programme_scorecard

    return programme_scorecard(programme(db, access), load_framework(),
                               measured=analytics.measured_for(access.workspace, wave))


def _scorecard_panel(db: Session, access: Access, wave: str | None = None) -> dict[str, Any]:
    from mmsis.framework import load_framework

    fw = load_framework()
    card = scorecard(db, access, wave)
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
            "sentences": [sentences.readiness(v, card.items) for v in card.verdicts]}


def _cascade_panel(db: Session, access: Access, wave: str | None = None) -> dict[str, Any] | None:
    result = analytics.cascade_for(access.workspace, wave)
    if result is None:
        return None
    table = result["table"]
    steps = table[table["of"] == "all women"].to_dict(orient="records")
    return {"survey": result["survey"], "wave": result["wave"], "steps": steps,
            "wave_words": result["wave_words"], "denominator": result["denominator"],
            "waves": analytics.survey_wave_list(access.workspace)}


def _quality_panel(db: Session, access: Access, district: str | None) -> dict[str, Any] | None:
    found = analytics.shared_result(db, access.workspace.id, "quality")
    if found is None:
        return None
    result, at = found
    paths = services.org_unit_paths(db, access.workspace.id)
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
    card = scorecard(db, access)
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
