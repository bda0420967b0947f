"""The JSON API under /api/: everything the pages do, described by OpenAPI."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mmsis.errors import InputError
from mmsis.serialize import JSONValue, to_jsonable
from mmsis.web import scope as scopes
from mmsis.web import services
from mmsis.web.db import write_turn
from mmsis.web.deps import (
    DB,
    Access,
    Auth,
    NotFound,
    UploadAccess,
    current_auth,
    data_upload,
    editor,
    evidence_upload,
    owner,
    require_admin,
    viewer,
)
from mmsis.web.downloads import attachment
from mmsis.web.models import EvidenceRow, Upload, User

router = APIRouter(prefix="/api", tags=["api"])


def _form_schema(**fields: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI text for a multipart form the route reads itself (after the role check)."""
    schema = {"type": "object", "properties": fields, "required": list(fields)}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


_FILE_FORM = _form_schema(file={"type": "string", "format": "binary"})
_DATA_FORM = _form_schema(
    kind={"type": "string", "enum": ["dhis2", "survey"]},
    file={"type": "string", "format": "binary"},
)


class WorkspaceOut(BaseModel):
    """A workspace as the user sees it."""

    id: int
    name: str
    country: str
    phase: str
    role: str


class WorkspaceIn(BaseModel):
    """A new workspace."""

    name: str = Field(min_length=1, max_length=200)
    country: str = ""
    phase: str = ""


class MemberIn(BaseModel):
    """A role for a user (by e-mail) in a workspace, optionally limited to an org unit."""

    email: str
    role: str
    org_unit: str | None = None


class KeyResultIn(BaseModel):
    """A key result's status and note."""

    status: str
    note: str = ""


class AgendaIn(BaseModel):
    """A new agenda item."""

    kind: str = "question"
    text: str
    ref_id: str | None = None


class AgendaPatch(BaseModel):
    """A change to an agenda item: a decision, a new rank, or both."""

    decision: str | None = None
    rank: int | None = None


def _ws_out(ws: Any, role: str) -> WorkspaceOut:
    return WorkspaceOut(id=ws.id, name=ws.name, country=ws.country, phase=ws.phase, role=role)


def upload_out(up: Upload) -> dict[str, Any]:
    """An upload with its refused-rows report."""
    return {
        "id": up.id,
        "kind": up.kind,
        "filename": up.filename,
        "status": up.status,
        "rows_total": up.rows_total,
        "rows_imported": up.rows_imported,
        "refused": json.loads(up.refused_json),
        "uploaded_at": up.uploaded_at.isoformat(),
    }


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, auth: Auth = Depends(current_auth)) -> JSONResponse:
    """The OpenAPI schema of this API (for logged-in users)."""
    return JSONResponse(request.app.openapi())


@router.get("/me")
def me(auth: Auth = Depends(current_auth)) -> dict[str, Any]:
    """The logged-in user and the CSRF token to send as X-CSRF-Token on changes."""
    return {
        "email": auth.user.email,
        "name": auth.user.name,
        "is_admin": auth.user.is_admin,
        "csrf_token": auth.session.csrf_token,
    }


@router.get("/workspaces")
def list_workspaces(
    auth: Auth = Depends(current_auth), db: Session = DB
) -> list[WorkspaceOut]:
    """Workspaces the user may see, with their role in each."""
    return [_ws_out(w, r) for w, r in services.visible_workspaces(db, auth.user)]


@router.post("/workspaces", status_code=201)
def create_workspace(
    body: WorkspaceIn, auth: Auth = Depends(require_admin), db: Session = DB
) -> WorkspaceOut:
    """Create a workspace (administrators only)."""
    ws = services.create_workspace(db, body.name, body.country, body.phase)
    return _ws_out(ws, "owner")


@router.get("/workspaces/{workspace_id}")
def get_workspace(access: Access = Depends(viewer)) -> WorkspaceOut:
    """One workspace."""
    return _ws_out(access.workspace, access.role)


@router.post("/workspaces/{workspace_id}/members")
def set_member(
    body: MemberIn, access: Access = Depends(owner), db: Session = DB
) -> dict[str, Any]:
    """Give a registered user a role in the workspace (owners only)."""
    user = db.scalar(select(User).where(User.email == body.email.strip().lower()))
    if user is None:
        raise InputError(f"no user with e-mail '{body.email}'", field="email")
    from mmsis.web.members import member_out

    m = services.set_member(db, access, access.workspace, user, body.role, body.org_unit)
    return member_out(db, access.workspace.id, user, m)


@router.get("/workspaces/{workspace_id}/org-units")
def org_units(
    access: Access = Depends(viewer),
    db: Session = DB,
    level: int | None = Query(None, ge=1, le=30),  # any depth (onboarding.MAX_DEPTH)
) -> list[dict[str, Any]]:
    """Org units in the user's part of the hierarchy."""
    return [
        {"id": o.id, "name": o.name, "level": o.level, "parent_id": o.parent_id, "path": o.path}
        for o in services.org_units(db, access, level)
    ]


@router.get("/workspaces/{workspace_id}/key-results")
def key_results(
    access: Access = Depends(viewer), db: Session = DB
) -> list[dict[str, Any]]:
    """Every key result of the framework with this workspace's status, note and evidence."""
    from mmsis.framework import load_framework

    saved = services.key_result_statuses(db, access.workspace.id)
    evidence = services.evidence_list(db, access.workspace.id)
    out = []
    for kr in load_framework().key_results:
        s = saved.get(kr.id)
        out.append(
            {
                "id": kr.id,
                "phase": kr.phase,
                "pillar": kr.pillar,
                "title": kr.title,
                "status": s.status if s else "not_assessed",
                "note": s.note if s else "",
                "evidence": [
                    {"id": e.id, "filename": e.filename, "size": e.size}
                    for e in evidence.get(kr.id, [])
                ],
            }
        )
    return out


@router.put("/workspaces/{workspace_id}/key-results/{key_result_id}")
def put_key_result(
    key_result_id: str,
    body: KeyResultIn,
    access: Access = Depends(editor),
    db: Session = DB,
) -> dict[str, Any]:
    """Set a key result's status and note (audited)."""
    row = services.set_key_result(db, access, key_result_id, body.status, body.note)
    return {"id": key_result_id, "status": row.status, "note": row.note}


@router.post(
    "/workspaces/{workspace_id}/key-results/{key_result_id}/evidence",
    status_code=201,
    openapi_extra=_FILE_FORM,
)
async def post_evidence(
    key_result_id: str, upload: UploadAccess = Depends(evidence_upload), db: Session = DB
) -> dict[str, Any]:
    """Attach an evidence file to a key result (role, then size, then type checked)."""
    received = upload.form.file
    assert received is not None
    content = await received.take_bytes()
    ev = await run_in_threadpool(
        services.add_evidence, db, upload.access, key_result_id, received.filename, content
    )
    return {"id": ev.id, "filename": ev.filename, "size": ev.size}


@router.get("/workspaces/{workspace_id}/evidence/{evidence_id}")
def get_evidence(
    evidence_id: int, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """Download an evidence file."""
    ev = db.get(EvidenceRow, evidence_id)
    if ev is None or ev.workspace_id != access.workspace.id:
        raise NotFound("no such evidence file")
    return Response(ev.content, media_type=ev.content_type, headers=attachment(ev.filename))


@router.get("/workspaces/{workspace_id}/agenda")
def get_agenda(
    access: Access = Depends(viewer), db: Session = DB
) -> list[dict[str, Any]]:
    """The IR agenda in rank order."""
    return [_item_out(i) for i in services.agenda(db, access.workspace.id)]


def _item_out(i: Any) -> dict[str, Any]:
    return {
        "id": i.id,
        "kind": i.kind,
        "ref_id": i.ref_id,
        "text": i.text,
        "rank": i.rank,
        "decision": i.decision,
    }


@router.post("/workspaces/{workspace_id}/agenda", status_code=201)
def post_agenda(
    body: AgendaIn, access: Access = Depends(editor), db: Session = DB
) -> dict[str, Any]:
    """Add a question or strategy to the agenda."""
    return _item_out(services.add_agenda_item(db, access, body.kind, body.text, body.ref_id))


@router.patch("/workspaces/{workspace_id}/agenda/{item_id}")
def patch_agenda(
    item_id: int, body: AgendaPatch, access: Access = Depends(editor), db: Session = DB
) -> dict[str, Any]:
    """Accept/reject an item or move it to a new rank."""
    if body.decision is not None:
        services.decide_agenda_item(db, access, item_id, body.decision)
    if body.rank is not None:
        services.move_agenda_item(db, access, item_id, body.rank)
    return _item_out(services._item(db, access, item_id))


@router.delete("/workspaces/{workspace_id}/agenda/{item_id}", status_code=204)
def delete_agenda(
    item_id: int, access: Access = Depends(editor), db: Session = DB
) -> Response:
    """Remove an item from the agenda."""
    services.delete_agenda_item(db, access, item_id)
    return Response(status_code=204)


@router.get("/workspaces/{workspace_id}/indicators")
def indicators(
    request: Request,
    access: Access = Depends(viewer),
    db: Session = DB,
    data_element: list[str] = Query(default_factory=list),
    org_unit: str | None = None,
) -> list[dict[str, Any]]:
    """Monthly routine totals per data element over the user's subtree or an org unit in it."""
    # cached under the batches that wrote these elements (another element's upload keeps the
    # entry; every write in this process is counted too, so a re-upload is never missed)
    return services.indicator_rows(request.app.state.cache, db, access, data_element, org_unit)


@router.post("/workspaces/{workspace_id}/uploads", status_code=201, openapi_extra=_DATA_FORM)
async def post_upload(
    upload: UploadAccess = Depends(data_upload), db: Session = DB
) -> JSONResponse:
    """Upload DHIS2 data values or a survey file: all rows imported, or none and the refusals.

    The file streams to the workspace's upload directory (up to MMSIS_MAX_UPLOAD_BYTES)
    only after the editor role is checked; it is parsed from there and then deleted.
    """
    access, form = upload.access, upload.form
    received = form.file
    assert received is not None
    from mmsis.web import job_handlers

    if received.size > job_handlers.upload_job_threshold():  # large files import as a job
        try:
            job = await run_in_threadpool(
                job_handlers.queue_upload, db, access, form.fields.get("kind", ""),
                received.filename, received.path,
            )
        finally:
            received.discard()
        return JSONResponse({"job": job.id, "status": job.status}, status_code=202)
    try:
        prepared = await run_in_threadpool(
            services.prepare_upload,
            db,
            access,
            form.fields.get("kind", ""),
            received.filename,
            received.path,
        )
    finally:
        received.discard()
    async with write_turn(db):
        up = await run_in_threadpool(_write_and_commit, db, access, prepared)
    return JSONResponse(upload_out(up), status_code=201 if up.status == "imported" else 422)


def _write_and_commit(db: Session, access: Access, prepared: services.PreparedUpload) -> Upload:
    """Write and commit in one worker thread, inside the request's write turn."""
    up = services.write_upload(db, access, prepared)
    db.commit()
    return up


@router.get("/workspaces/{workspace_id}/uploads")
def list_uploads(
    access: Access = Depends(viewer), db: Session = DB
) -> list[dict[str, Any]]:
    """Recent uploads with their status and refused rows."""
    return [upload_out(u) for u in services.uploads(db, access.workspace.id)]


@router.get("/workspaces/{workspace_id}/audit")
def audit_log(
    access: Access = Depends(editor), db: Session = DB
) -> list[dict[str, Any]]:
    """Who changed key results, the agenda, uploads and members, and when."""
    return [
        {
            "at": a.at.isoformat(),
            "user": email,
            "action": a.action,
            "entity": a.entity,
            "entity_id": a.entity_id,
            "detail": json.loads(a.detail_json),
        }
        for a, email in services.audit_entries(db, access.workspace.id)
    ]


@router.get("/workspaces/{workspace_id}/scorecard")
def scorecard(
    wave: str | None = None, access: Access = Depends(viewer), db: Session = DB
) -> dict[str, Any]:
    """The readiness scorecard (mmsis.plan.measured.programme_scorecard, with the values
    measured from the workspace's store and survey `wave`, default the latest): cells per
    phase x pillar, verdicts, items."""
    from mmsis.web import programme as store
    from mmsis.web.dashboard import scorecard as compute

    if wave:
        store.survey_frame(access.workspace, wave)  # an unknown wave: 422 naming the waves
    card = compute(db, access, wave or None)
    return {
        "cells": [c.model_dump() for c in card.cells],
        "verdicts": [v.model_dump() for v in card.verdicts],
        "items": [i.model_dump() for i in card.items],
    }


@router.get("/workspaces/{workspace_id}/programme")
def programme_file(access: Access = Depends(viewer), db: Session = DB) -> Response:
    """The workspace's programme with its key-result statuses as a plan file (YAML), for
    `mmsis plan assess --file it --store <the workspace's store>`."""
    import yaml

    from mmsis.web.dashboard import programme

    data = programme(db, access).model_dump(mode="json", exclude_none=True)
    text = "# mmsis programme workspace exported from the web workspace.\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100)
    return Response(text, media_type="application/yaml",
                    headers=attachment(f"mmsis-plan-{access.workspace.id}.yaml"))


@router.get("/workspaces/{workspace_id}/analyses/{kind}", response_model=None)
def analysis(
    kind: str, wave: str | None = None, access: Access = Depends(viewer), db: Session = DB
) -> JSONValue:
    """An analysis: 'cascade' (the programme cascade of survey `wave`, default the latest, with
    its denominator in words and the waves to pick from; for a user limited to a part of the
    country, of the respondents of its districts, as their report) or the cached 'quality'
    review (flags limited to the user's subtree)."""
    from mmsis.web import analytics
    from mmsis.web import dashboard as dash

    if kind not in ("cascade", "quality"):
        raise NotFound(f"no analysis '{kind}'")
    if kind == "cascade":
        if wave:
            from mmsis.web import programme as store

            store.survey_frame(access.workspace, wave)  # an unknown wave: 422 naming the waves
        cas = analytics.cascade_for(access.workspace, wave or None, access.scope_path)
        if cas is None:
            raise NotFound("no survey uploaded to this workspace yet")
        if cas["table"] is None:  # a user limited to a part: its districts' respondents only
            raise NotFound("no respondent of this survey wave lives in your part of the "
                           "country (its district_id names none of your districts)")
        # a user limited to a part gets no wave's whole-country count (`rows` None): theirs is
        # `respondents`; the others' would tell how many live outside their part
        waves = [{"id": w["id"], "file": w["file"],
                  "rows": None if access.scope_path else w["rows"]}
                 for w in analytics.survey_wave_list(access.workspace)]
        return to_jsonable({**cas, "waves": waves})
    found = analytics.load_result(db, access.workspace.id, kind)
    if found is None:
        raise NotFound(f"'{kind}' has not been computed for this workspace yet")
    result, at = found
    if kind == "quality" and access.scope_path:
        paths = dash.unit_paths(db, access.workspace)
        scope = access.scope_path
        result = {
            "flags": [
                f for f in result["flags"] if scopes.contains(scope, paths.get(f["org_unit"]))
            ]
        }
    return {"computed_at": at.isoformat(), **result}


@router.post("/workspaces/{workspace_id}/analyses/refresh", response_model=None)
def analyses_refresh(access: Access = Depends(editor), db: Session = DB) -> dict[str, str]:
    """Recompute the cached cascade and quality review."""
    from mmsis.web import analytics

    done = analytics.refresh(db, access.workspace)
    services.audit(db, access, "recompute", "analyses", access.workspace.id, **done)
    return done


@router.get("/design/{kind}")
async def design(
    kind: str, request: Request, auth: Auth = Depends(current_auth)
) -> JSONResponse:
    """Run a study-design calculator (survey, crt, individual) with query parameters; it stops
    at its time budget or as soon as the client disconnects."""
    from mmsis.web import design_calc

    if kind not in design_calc.CALCULATORS:
        raise NotFound(f"no calculator '{kind}'")
    calc = await design_calc.calculate_while_connected(
        kind, dict(request.query_params), request.receive
    )
    body: dict[str, Any] = {
        "kind": kind,
        "inputs": calc.values,
        "errors": calc.errors,
        "result": calc.result,
        "curve": [{"x": a, "y": b} for a, b in calc.curve],
        "curve_x": calc.curve_x,
    }
    if calc.errors:  # an RFC 9457 problem that also keeps the calculator's own keys
        body["type"] = "about:blank"
        body["title"] = "Calculation stopped" if calc.status == 503 else "Invalid input"
        body["status"] = calc.status
        body["detail"] = "; ".join(
            msg if name == "_" else f"{name}: {msg}" for name, msg in calc.errors.items()
        )
        return JSONResponse(to_jsonable(body), status_code=calc.status,
                            media_type="application/problem+json")
    return JSONResponse(to_jsonable(body), status_code=calc.status)


@router.get("/workspaces/{workspace_id}/evaluation/its", response_model=None)
def its(
    data_element: str,
    start: str,
    org_unit: str | None = None,
    family: str = "quasipoisson",
    control: str | None = None,
    access: Access = Depends(viewer),
    db: Session = DB,
) -> JSONValue:
    """Interrupted time series of a routine series (mmsis.evaluate.fit_its); with `control`
    (another org unit), a controlled ITS (effects beyond the control's changes)."""
    from mmsis.web import scenarios

    res = scenarios.run_its(db, access, data_element, start, org_unit, family, control or None)
    return to_jsonable(
        {
            "method": res.method,
            "family": res.family,
            "n": res.n,
            "summary": res.summary,
            "warnings": res.warnings,
        }
    )


class ScenarioIn(BaseModel):
    """A forecast/impact scenario as YAML text (the mmsis.forecast scenario format)."""

    scenario: str


@router.get("/workspaces/{workspace_id}/scenario", response_model=None)
def get_scenario(access: Access = Depends(viewer), db: Session = DB) -> JSONValue:
    """The saved scenario and its forecast and impact results."""
    from mmsis.web import scenarios

    data = scenarios.scenario_dict(db, access.workspace.id)
    if data is None:
        raise NotFound("this workspace has no scenario yet")
    return to_jsonable({"scenario": data, "results": scenarios.run_scenario(data)})


@router.put("/workspaces/{workspace_id}/scenario", response_model=None)
def put_scenario(
    body: ScenarioIn, access: Access = Depends(editor), db: Session = DB
) -> dict[str, Any]:
    """Check and save a scenario (YAML)."""
    from mmsis.web import analytics, scenarios

    data = scenarios.parse_scenario(body.scenario)
    analytics.save_result(db, access.workspace.id, "scenario", data)
    services.audit(db, access, "update", "scenario", access.workspace.id, name=data.get("name"))
    return {"saved": True, "name": data.get("name")}


@router.get("/workspaces/{workspace_id}/report")
def report(
    wave: str | None = None, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """The country report (mmsis.report) as a zip of HTML, XLSX, DOCX and the heat map, built
    from the workspace's store, survey `wave` (default the latest), scenario and statuses."""
    from mmsis.web import scenarios

    data, name = scenarios.report_zip(db, access, wave or None)
    return Response(
        data,
        media_type="application/zip",
        headers=attachment(name),
    )
