"""Jobs and country setup: the JSON API and the "Set up the country" page.

API: GET /api/jobs/{id} (members of the job's workspace; others 404), its report download;
POST /api/workspaces/{id}/org-units | /populations (multipart `file`), PATCH
/api/workspaces/{id} (phase), GET/PUT/DELETE /api/workspaces/{id}/dhis2, POST .../dhis2/test,
POST .../dhis2/sync (202 {"job": id}), POST .../report-jobs (202 {"job": id}),
GET/PUT /api/workspaces/{id}/concepts (the country's concept mapping; members read, owners of
the whole country and admins change it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mmsis.errors import InputError
from mmsis.i18n import current_language
from mmsis.web import jobs, onboarding
from mmsis.web.app import render
from mmsis.web.deps import (
    DB,
    Access,
    Auth,
    Forbidden,
    NotFound,
    UploadAccess,
    current_auth,
    editor,
    owner,
    upload_access,
    viewer,
)
from mmsis.web.downloads import attachment
from mmsis.web.job_models import Job

api = APIRouter(prefix="/api", tags=["jobs and setup"])
pages = APIRouter(include_in_schema=False)
FILE_FORM = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}},
        }}},
    }
}
"""OpenAPI text for the multipart `file` the route reads itself (after the role check)."""


def _secret(request: Request) -> str:
    return str(jobs.runtime(request.app.state.jobs_key).secret)


def _data_dir(request: Request) -> Path:
    return jobs.runtime(request.app.state.jobs_key).data_dir


def _job_for(db: Session, auth: Auth, job_id: int) -> Job:
    """A job the user may see: a member of its workspace (anyone else: 404)."""
    from mmsis.web.deps import _access

    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("no such job")
    try:
        _access(job.workspace_id, auth, db, "viewer")
    except (Forbidden, NotFound):
        raise NotFound("no such job") from None
    return job


def _may_download(db: Session, auth: Auth, job: Job) -> bool:
    """A report job's file shows the subtree it was built for (its submitter's scope when it
    ran): the submitter, or a member whose own scope holds that subtree, may download it; a
    district-limited member never gets a national file another member asked for."""
    from mmsis.web import scope as scopes
    from mmsis.web.deps import _access

    reader = _access(job.workspace_id, auth, db, "viewer")
    if job.created_by == auth.user.id or reader.scope_path is None:
        return True
    result = json.loads(job.result_json or "{}")
    built_for = result.get("scope") if isinstance(result, dict) else None
    # a file built before the scope was recorded, or for the whole country: national only
    return isinstance(built_for, str) and bool(built_for) and scopes.contains(
        reader.scope_path, built_for)


def refused_response(exc: onboarding.FileRefused) -> JSONResponse:
    """422 with every refused row (row, column, message), nothing imported."""
    return JSONResponse(
        {"type": "about:blank", "title": "Upload refused", "status": 422, "detail": exc.message,
         "imported": 0, "refused": exc.refused},
        status_code=422,
        media_type="application/problem+json",
    )


# --- jobs -------------------------------------------------------------------------------------


@api.get("/jobs/{job_id}")
def get_job(job_id: int, auth: Auth = Depends(current_auth), db: Session = DB) -> dict[str, Any]:
    """A background job: status queued|running|done|failed, progress 0..1, result, log."""
    return jobs.job_out(_job_for(db, auth, job_id))


@api.get("/jobs/{job_id}/download")
def job_download(
    request: Request, job_id: int, auth: Auth = Depends(current_auth), db: Session = DB
) -> Response:
    """The file a finished report job built."""
    from mmsis.web.job_handlers import REPORT_FORMATS, report_file, report_format

    job = _job_for(db, auth, job_id)
    fmt = report_format(json.loads(job.params_json or "{}")) if job.kind == "report" else "zip"
    path = report_file(_data_dir(request), job.id, fmt)
    if (job.kind != "report" or job.status != "done" or not path.exists()
            or not _may_download(db, auth, job)):
        raise NotFound("this job has no file to download")
    name = "deck" if fmt == "pptx" else "report"
    return FileResponse(path, media_type=REPORT_FORMATS[fmt],
                        headers=attachment(f"mms-{name}-{job.workspace_id}.{fmt}"))


@api.get("/workspaces/{workspace_id}/jobs")
def list_jobs(access: Access = Depends(editor), db: Session = DB) -> list[dict[str, Any]]:
    """The workspace's latest jobs, newest first."""
    return [jobs.job_out(j) for j in jobs.recent_jobs(db, access.workspace.id)]


@api.post("/workspaces/{workspace_id}/report-jobs", status_code=202)
def post_report_job(access: Access = Depends(editor), db: Session = DB) -> dict[str, Any]:
    """Build the country report as a job; download it from /api/jobs/{id}/download."""
    job = jobs.submit(db, access.workspace.id, "report", {"lang": current_language()},
                      access.user.id)
    return {"job": job.id}


@api.post("/workspaces/{workspace_id}/analyses/recompute", status_code=202)
def post_recompute_job(access: Access = Depends(editor), db: Session = DB) -> dict[str, Any]:
    """Recompute the cached analyses as a job."""
    job = jobs.submit(db, access.workspace.id, "recompute", {}, access.user.id)
    return {"job": job.id}


# --- country setup: API -----------------------------------------------------------------------


def _metadata_cap(request: Request) -> int:
    return min(onboarding.MAX_METADATA_BYTES, int(request.app.state.max_upload_bytes))


metadata_upload = upload_access("owner", _metadata_cap, check=onboarding.require_national_owner)
"""Org-unit and population files: national owners only, checked before the body is read,
then streamed to disk up to the metadata cap (not the small default body budget)."""


async def _received(upload: UploadAccess) -> tuple[str, bytes]:
    """The uploaded file's clean name and content (the file on disk is removed)."""
    received = upload.form.file
    assert received is not None
    return _name(received.filename), await received.take_bytes()


async def _import_file(request: Request, upload: UploadAccess, db: Session,
                       importer: Any) -> Response:
    """National owners' org-unit or population file, all or nothing: 201 with the count."""
    name, content = await _received(upload)
    try:
        n = await run_in_threadpool(importer, db, upload.access, name, content,
                                    _data_dir(request))
    except onboarding.FileRefused as exc:
        db.rollback()
        return refused_response(exc)
    return JSONResponse({"imported": n}, status_code=201)


@api.post("/workspaces/{workspace_id}/org-units", status_code=201, openapi_extra=FILE_FORM)
async def post_org_units(
    request: Request, upload: UploadAccess = Depends(metadata_upload), db: Session = DB,
) -> Response:
    """Import org units (DHIS2 metadata JSON or CSV id,name,parent): all or nothing."""
    return await _import_file(request, upload, db, onboarding.import_org_units)


@api.post("/workspaces/{workspace_id}/populations", status_code=201, openapi_extra=FILE_FORM)
async def post_populations(
    request: Request, upload: UploadAccess = Depends(metadata_upload), db: Session = DB,
) -> Response:
    """Import yearly populations (CSV orgUnit,year,population): all or nothing."""
    return await _import_file(request, upload, db, onboarding.import_populations)


def _name(filename: str | None) -> str:
    return (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]


class WorkspacePatch(BaseModel):
    """A change to a workspace's phase (one of the framework's phases)."""

    phase: str | None = Field(default=None, max_length=100)


@api.patch("/workspaces/{workspace_id}")
def patch_workspace(
    body: WorkspacePatch, access: Access = Depends(owner), db: Session = DB
) -> dict[str, Any]:
    """Set the workspace's phase (owners of the whole country, admins)."""
    if body.phase is not None:
        onboarding.set_phase(db, access, body.phase)
    ws = access.workspace
    return {"id": ws.id, "name": ws.name, "country": ws.country, "phase": ws.phase,
            "role": access.role}


class Dhis2In(BaseModel):
    """A DHIS2 instance: base URL and (new) personal access token."""

    url: str = Field(max_length=500)
    token: str | None = Field(default=None, max_length=1000)


class SyncIn(BaseModel):
    """What to pull: DHIS2 data-element ids and periods (ranges 'A:B' allowed)."""

    data_elements: list[str] = Field(max_length=200)
    periods: list[str] = Field(max_length=600)
    org_unit: str | None = None
    level: int | None = None
    chunk_periods: int = Field(default=12, ge=1, le=60)


@api.get("/workspaces/{workspace_id}/dhis2")
def get_dhis2(access: Access = Depends(owner), db: Session = DB) -> dict[str, Any]:
    """The DHIS2 URL and whether a token is saved (the token is never shown)."""
    return onboarding.connection_out(onboarding.dhis2_connection(db, access.workspace.id))


@api.put("/workspaces/{workspace_id}/dhis2")
def put_dhis2(
    request: Request, body: Dhis2In, access: Access = Depends(owner), db: Session = DB
) -> dict[str, Any]:
    """Save the DHIS2 URL and token (encrypted; an empty token keeps the saved one)."""
    conn = onboarding.save_dhis2_connection(db, access, body.url, body.token, _secret(request))
    return onboarding.connection_out(conn)


@api.delete("/workspaces/{workspace_id}/dhis2", status_code=204)
def delete_dhis2(access: Access = Depends(owner), db: Session = DB) -> Response:
    """Forget the DHIS2 connection and its token."""
    onboarding.delete_dhis2_connection(db, access)
    return Response(status_code=204)


@api.post("/workspaces/{workspace_id}/dhis2/test", response_model=None)
def test_dhis2(request: Request, access: Access = Depends(owner),
               db: Session = DB) -> dict[str, Any]:
    """Check the saved connection with DHIS2's /api/system/info."""
    return onboarding.test_dhis2(db, access, _secret(request))


@api.post("/workspaces/{workspace_id}/dhis2/sync", status_code=202, response_model=None)
def post_sync(body: SyncIn, access: Access = Depends(owner),
              db: Session = DB) -> dict[str, int]:
    """Start a DHIS2 sync job (resumable, chunked, 409-split, retried)."""
    params = onboarding.sync_params(db, access, body.data_elements, body.periods,
                                    body.org_unit, body.level)
    params["chunk_periods"] = body.chunk_periods
    job = jobs.submit(db, access.workspace.id, "dhis2_sync", params, access.user.id)
    return {"job": job.id}


Name = Annotated[str, StringConstraints(max_length=100)]
"""A concept, data-element UID or key of the mapping (bounded: an error message echoes it)."""


class ConceptsIn(BaseModel):
    """A concept mapping in its file form (mmsis.data.concepts.from_document): elements
    (concept: UID, or {data_element, aggregation_type}), levels {district, region} and the
    reporting data set. An unknown key is refused, not dropped: a misspelt "elements" would
    otherwise save an empty mapping over the team's. The read-only keys of the GET answer
    (saved, catalogue, depth) are dropped, so a GET can be edited and PUT back."""

    elements: dict[Name, Name | dict[Name, Name]] = Field(default_factory=dict, max_length=100)
    levels: dict[Name, int | None] = Field(default_factory=dict, max_length=10)
    reporting_data_set: str | None = Field(default=None, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        """Refuse keys that are neither fields nor read-only keys of the GET answer."""
        if not isinstance(data, dict):
            return data
        unknown = sorted(set(data) - set(cls.model_fields) - {"saved", "catalogue", "depth"})
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(map(str, unknown))}: expected "
                             "elements, levels, reporting_data_set")
        return {k: v for k, v in data.items() if k in cls.model_fields}


def _save_concepts(db: Session, access: Access, doc: dict[str, Any]) -> dict[str, Any]:
    """Validate and save a mapping (national owners and admins), with an audit entry."""
    from mmsis.data.concepts import from_document
    from mmsis.web import programme, services

    onboarding.require_national_owner(access)
    mapping = from_document(doc, file="concept mapping")
    programme.save_concepts(db, access.workspace, mapping)
    services.audit(db, access, "update", "concepts", access.workspace.id,
                   elements=mapping.elements, district_level=mapping.district_level,
                   region_level=mapping.region_level,
                   reporting_data_set=mapping.reporting_data_set)
    db.commit()
    return programme.concepts_document(access.workspace)


@api.get("/workspaces/{workspace_id}/concepts")
def get_concepts(access: Access = Depends(viewer)) -> dict[str, Any]:
    """The workspace's concept mapping: each concept's data element (UID, name, aggregation
    type), the district and region levels, the reporting data set, whether it was saved."""
    from mmsis.web import programme

    return programme.concepts_document(access.workspace)


@api.put("/workspaces/{workspace_id}/concepts")
def put_concepts(body: ConceptsIn, access: Access = Depends(owner), db: Session = DB
                 ) -> dict[str, Any]:
    """Replace the concept mapping (validated: unknown data elements and levels outside the
    hierarchy are refused, naming them)."""
    return _save_concepts(db, access, body.model_dump(exclude_none=True))


# --- pages ------------------------------------------------------------------------------------


def _job_template_ctx(job: Job) -> dict[str, Any]:
    from mmsis.web.job_handlers import job_params_summary

    return {"job": job, "out": jobs.job_out(job), "summary": job_params_summary(job.params_json)}


@pages.get("/jobs/{job_id}/fragment")
def job_fragment(
    request: Request, job_id: int, auth: Auth = Depends(current_auth), db: Session = DB
) -> Response:
    """A job's status, progress bar and log (polled by HTMX while it runs)."""
    job = _job_for(db, auth, job_id)
    return render(request, "_job.html", {**_job_template_ctx(job),
                                         "can_download": _may_download(db, auth, job)})


def _element_choices(access: Access) -> list[tuple[str, str]]:
    """The workspace's data elements (id, "name (id)") for the concept form."""
    from mmsis.data import queries
    from mmsis.web import programme

    if not programme.has_store(access.workspace):
        return []
    with programme.reading(access.workspace) as st:
        rows = queries.element_choices(st)
    return [(i, f"{n} ({i})" if n != i else i) for i, n in rows]


def _setup_ctx(request: Request, db: Session, access: Access, **extra: Any) -> dict[str, Any]:
    from mmsis.framework import load_framework
    from mmsis.web import programme, services

    units = services.org_units(db, access)
    levels: dict[int, int] = {}
    for u in units:
        levels[u.level] = levels.get(u.level, 0) + 1
    return {
        "ws": access.workspace,
        "access": access,
        "page": "setup",
        "phases": load_framework().phases,
        "n_units": len(units),
        "levels": sorted(levels.items()),
        "dhis2": onboarding.connection_out(onboarding.dhis2_connection(db, access.workspace.id)),
        "concepts": programme.concepts_document(access.workspace),
        "element_choices": _element_choices(access),
        "jobs": [_job_template_ctx(j) for j in jobs.recent_jobs(db, access.workspace.id, 10)],
        "message": "",
        "error": "",
        "refused": [],
        "form": {},
        **extra,
    }


@pages.get("/w/{workspace_id}/setup")
def setup_page(request: Request, access: Access = Depends(owner), db: Session = DB) -> Response:
    """Set up the country: org units, populations, phase, DHIS2 connection and sync."""
    return render(request, "setup.html", _setup_ctx(request, db, access))


async def _file_step(request: Request, db: Session, upload: UploadAccess, what: str) -> Response:
    access = upload.access
    name, content = await _received(upload)
    fn = onboarding.import_org_units if what == "org units" else onboarding.import_populations
    try:
        n = await run_in_threadpool(fn, db, access, name, content, _data_dir(request))
    except onboarding.FileRefused as exc:
        db.rollback()
        ctx = _setup_ctx(request, db, access, error=exc.message, refused=exc.refused)
        return render(request, "setup.html", ctx, 422)
    db.commit()
    ctx = _setup_ctx(request, db, access, message=f"{n:,} {what} imported from {name}.")
    return render(request, "setup.html", ctx)


@pages.post("/w/{workspace_id}/setup/org-units")
async def setup_org_units(
    request: Request, upload: UploadAccess = Depends(metadata_upload), db: Session = DB,
) -> Response:
    """Import org units from the setup page."""
    return await _file_step(request, db, upload, "org units")


@pages.post("/w/{workspace_id}/setup/populations")
async def setup_populations(
    request: Request, upload: UploadAccess = Depends(metadata_upload), db: Session = DB,
) -> Response:
    """Import populations from the setup page."""
    return await _file_step(request, db, upload, "population rows")


@pages.post("/w/{workspace_id}/setup/phase")
def setup_phase(
    request: Request, phase: str = Form(""), access: Access = Depends(owner), db: Session = DB
) -> Response:
    """Set the phase from the setup page."""
    try:
        onboarding.set_phase(db, access, phase)
    except InputError as exc:
        db.rollback()
        return render(request, "setup.html", _setup_ctx(request, db, access, error=exc.message),
                      422)
    db.commit()
    from mmsis.framework import load_framework

    names = {p.id: p.name for p in load_framework().phases}
    label = names.get(phase, phase) if phase else "not set"
    return render(request, "setup.html",
                  _setup_ctx(request, db, access, message=f"Phase set to {label}."))


@pages.post("/w/{workspace_id}/setup/dhis2")
def setup_dhis2(
    request: Request, url: str = Form(""), token: str = Form(""),
    access: Access = Depends(owner), db: Session = DB,
) -> Response:
    """Save the DHIS2 connection (and check it with /api/system/info)."""
    try:
        onboarding.save_dhis2_connection(db, access, url, token, _secret(request))
        db.commit()
        info = onboarding.test_dhis2(db, access, _secret(request))
    except InputError as exc:
        db.rollback()
        ctx = _setup_ctx(request, db, access, error=exc.message, form={"url": url})
        return render(request, "setup.html", ctx, 422)
    msg = f"Connected to {info.get('system_name') or 'DHIS2'} {info.get('version') or ''}."
    return render(request, "setup.html", _setup_ctx(request, db, access, message=msg.strip()))


@pages.post("/w/{workspace_id}/setup/sync")
def setup_sync(
    request: Request, data_elements: str = Form(""), periods: str = Form(""),
    access: Access = Depends(owner), db: Session = DB,
) -> Response:
    """Start a DHIS2 sync job from the setup page."""
    des = [d for d in data_elements.replace(",", " ").split() if d]
    pes = [p for p in periods.replace(",", " ").split() if p]
    try:
        params = onboarding.sync_params(db, access, des, pes, None, None)
    except InputError as exc:
        db.rollback()
        ctx = _setup_ctx(request, db, access, error=exc.message,
                         form={"data_elements": data_elements, "periods": periods})
        return render(request, "setup.html", ctx, 422)
    job = jobs.submit(db, access.workspace.id, "dhis2_sync", params, access.user.id)
    return RedirectResponse(f"/w/{access.workspace.id}/setup#job-{job.id}", status_code=303)


@pages.post("/w/{workspace_id}/analyses/refresh")
def recompute_page(request: Request, access: Access = Depends(editor), db: Session = DB
                   ) -> Response:
    """The dashboard's "Recompute analyses" button: start a recompute job."""
    job = jobs.submit(db, access.workspace.id, "recompute", {}, access.user.id)
    return RedirectResponse(f"/w/{access.workspace.id}?job={job.id}#jobs", status_code=303)


@pages.post("/w/{workspace_id}/report/build")
def report_build_page(request: Request, access: Access = Depends(editor), db: Session = DB
                      ) -> Response:
    """Build the report as a job; the report page follows it and links the download."""
    job = jobs.submit(db, access.workspace.id, "report", {"lang": current_language()},
                      access.user.id)
    return RedirectResponse(f"/w/{access.workspace.id}/report?job={job.id}", status_code=303)


def _check_like_the_api(doc: dict[str, Any]) -> None:
    """The page's mapping meets the API's bounds (ConceptsIn: 100 characters a name), the first
    problem as an InputError naming the field."""
    try:
        ConceptsIn.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x)[:100] for x in first.get("loc", ())) or None
        raise InputError(f"{where + ': ' if where else ''}{first.get('msg', 'invalid')}",
                         field=where) from None


@pages.post("/w/{workspace_id}/setup/concepts")
async def setup_concepts(request: Request, access: Access = Depends(owner), db: Session = DB
                         ) -> Response:
    """Save the concept mapping from the setup page's form (one select per concept, the
    district and region levels, the reporting data set)."""
    from mmsis.data.concepts import CONCEPTS

    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    levels: dict[str, int | None] = {}
    try:
        for name in ("district", "region"):
            raw = text(f"level_{name}")
            # ASCII digits only ('²'.isdigit() is True) and few of them (int() of 4,300 digits
            # raises): a level is a small whole number
            if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
                raise InputError(f"the {name} level is a whole number (1 = the top of the "
                                 f"hierarchy), not {raw[:30]!r}", field=f"level_{name}")
            levels[name] = int(raw) if raw else None
        doc = {"elements": {c: text(f"element_{c}") for c in CONCEPTS if text(f"element_{c}")},
               "levels": levels, "reporting_data_set": text("reporting_data_set") or None}
        _check_like_the_api(doc)
        await run_in_threadpool(_save_concepts, db, access, doc)
    except InputError as exc:
        db.rollback()
        return render(request, "setup.html", _setup_ctx(request, db, access, error=exc.message),
                      422)
    return render(request, "setup.html", _setup_ctx(
        request, db, access, message="Data elements and levels saved."))
