"""Server-rendered pages (Jinja2 + HTMX) for the whole loop."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mmsis.errors import InputError
from mmsis.web import charts, deps, limits, parsers, programme, services
from mmsis.web.app import render
from mmsis.web.db import write_turn
from mmsis.web.deps import (
    DB,
    Access,
    Auth,
    UploadAccess,
    current_auth,
    editor,
    require_admin,
    viewer,
)
from mmsis.web.downloads import attachment

router = APIRouter(include_in_schema=False)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _nav(access: Access, page: str) -> dict[str, Any]:
    return {"ws": access.workspace, "access": access, "page": page}


@router.get("/")
def workspaces_page(
    request: Request, auth: Auth = Depends(current_auth), db: Session = DB
) -> Response:
    """The workspaces the user may see."""
    return render(
        request,
        "workspaces.html",
        {"workspaces": services.visible_workspaces(db, auth.user), "form": {}, "error": ""},
    )


@router.post("/workspaces")
def create_workspace_page(
    request: Request,
    name: str = Form(""),
    country: str = Form(""),
    auth: Auth = Depends(require_admin),
    db: Session = DB,
) -> Response:
    """Create a workspace from the form (administrators)."""
    try:
        ws = services.create_workspace(db, name, country)
    except InputError as exc:
        db.rollback()
        return render(
            request,
            "workspaces.html",
            {
                "workspaces": services.visible_workspaces(db, auth.user),
                "form": {"name": name, "country": country},
                "error": exc.message,
            },
            422,
        )
    return RedirectResponse(f"/w/{ws.id}", status_code=303)


# --- dashboard -----------------------------------------------------------------------------


@router.get("/w/{workspace_id}")
def dashboard(
    request: Request,
    district: str | None = None,
    wave: str | None = None,
    access: Access = Depends(viewer),
    db: Session = DB,
) -> Response:
    """Scorecard heat-map, cascade (survey wave picker, default the latest), routine trends
    (district filter) and data-quality flags."""
    with programme.stamps_once():  # (the page only reads: one look at the store's files)
        return _dashboard(request, district, wave, access, db)


def _dashboard(request: Request, district: str | None, wave: str | None, access: Access,
               db: Session) -> Response:
    from mmsis.web import analytics, group_work
    from mmsis.web import dashboard as dash

    districts = services.districts(db, access)
    district = district or None
    if district and district not in {d.id for d in districts}:
        district = None
    if wave and wave not in {str(w["id"]) for w in analytics.survey_wave_list(access.workspace)}:
        wave = None  # an unknown wave shows the latest (the picker says which)
    wid, cache = access.workspace.id, request.app.state.cache
    templates = request.app.state.templates
    trend_html = dash.trend_part(templates, cache, db, access, district, districts)
    if _is_htmx(request) and request.headers.get("hx-target") != "wave-panels":
        return HTMLResponse(trend_html)  # the district filter; the wave picker takes the page
    facts = services.dashboard_facts(db, wid)  # one statement for the notices and versions
    context = {
        **_nav(access, "dashboard"),
        "districts": districts,
        "district": district,
        "trend_html": trend_html,
        "behind": facts.behind,
        "overdue": group_work.overdue(db, wid) if facts.any_overdue else [],
        **dash.panel_parts(templates, cache, db, access, district, wave, facts.records),
    }
    return render(request, "dashboard.html", context)


# --- key results ---------------------------------------------------------------------------


def _kr_context(db: Session, access: Access) -> dict[str, Any]:
    from mmsis.framework import load_framework

    fw = load_framework()
    saved = services.key_result_statuses(db, access.workspace.id)
    evidence = services.evidence_list(db, access.workspace.id)
    groups = []
    for ph in sorted(fw.phases, key=lambda p: p.order):
        krs = [k for k in fw.key_results if k.phase == ph.id]
        if krs:
            groups.append({"phase": ph, "krs": krs})
    pillars = {p.id: p.name for p in fw.pillars}
    return {
        **_nav(access, "key_results"),
        "groups": groups,
        "saved": saved,
        "evidence": evidence,
        "pillars": pillars,
        "statuses": services.KR_STATUSES,
        "errors": {},
        "typed": {},
    }


@router.get("/w/{workspace_id}/key-results")
def key_results_page(
    request: Request, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """The key-results editor: status, note and evidence per key result, by phase."""
    return render(request, "key_results.html", _kr_context(db, access))


@router.post("/w/{workspace_id}/key-results/{key_result_id}")
def key_result_save(
    request: Request,
    key_result_id: str,
    status: str = Form(""),
    note: str = Form(""),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Save one key result; on a validation error the form keeps what was typed."""
    try:
        services.set_key_result(db, access, key_result_id, status, note)
    except InputError as exc:
        db.rollback()
        ctx = _kr_context(db, access)
        ctx["errors"] = {key_result_id: exc.message}
        ctx["typed"] = {key_result_id: {"status": status, "note": note}}
        return render(request, "key_results.html", ctx, 422)
    return RedirectResponse(f"/w/{access.workspace.id}/key-results#kr-{key_result_id}", 303)


@router.post("/w/{workspace_id}/key-results/{key_result_id}/evidence")
async def evidence_upload(
    request: Request,
    key_result_id: str,
    upload: UploadAccess = Depends(deps.evidence_upload),
    db: Session = DB,
) -> Response:
    """Attach evidence to a key result from the editor."""
    access, received = upload.access, upload.form.file
    assert received is not None
    try:
        content = await run_in_threadpool(received.read_bytes)
    finally:
        received.discard()
    try:
        await run_in_threadpool(
            services.add_evidence, db, access, key_result_id, received.filename, content
        )
    except parsers.UploadRefused as exc:
        db.rollback()
        ctx = _kr_context(db, access)
        ctx["errors"] = {key_result_id: exc.message}
        return render(request, "key_results.html", ctx, exc.status)
    return RedirectResponse(f"/w/{access.workspace.id}/key-results#kr-{key_result_id}", 303)


# --- agenda --------------------------------------------------------------------------------


def _agenda_context(db: Session, access: Access, cache: Any) -> dict[str, Any]:
    from mmsis.web import analytics
    from mmsis.web import dashboard as dash

    items = services.agenda(db, access.workspace.id)
    on_agenda = {i.ref_id for i in items if i.ref_id}
    from mmsis.i18n import current_language

    key = (
        "suggestions",
        current_language(),  # design names and labels are in the reader's language
        access.workspace.id,
        services.key_results_version(db, access.workspace.id),
        # the ranking reads the scorecard's measured values and the phases: a data upload or
        # a phase change re-ranks (they were missing from the key: stale suggestions)
        analytics.analysis_data_version(access.workspace),
        # (the measurements served: the last complete ones while the current are computed)
        analytics.measured_served(access.workspace).version,
        access.workspace.phase,
    )
    suggestions = cache.get_or_compute(key, lambda: dash.agenda_suggestions(db, access))
    return {
        **_nav(access, "agenda"),
        "items": items,
        "specs": services.strategy_specs(db, access.workspace.id),
        "suggestions": [s for s in suggestions if s["id"] not in on_agenda],
        "form": {},
        "error": "",
    }


def _agenda_response(
    request: Request, db: Session, access: Access, status: int = 200, **extra: Any
) -> Response:
    db.commit()  # end the write transaction before the (slow) ranking: SQLite has one writer
    ctx = {**_agenda_context(db, access, request.app.state.cache), **extra}
    return render(request, "_agenda.html" if _is_htmx(request) else "agenda.html", ctx, status)


@router.get("/w/{workspace_id}/agenda")
def agenda_page(
    request: Request, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """The IR agenda builder: suggested questions, ranking, accept/reject."""
    return _agenda_response(request, db, access)


@router.post("/w/{workspace_id}/agenda")
def agenda_add(
    request: Request,
    kind: str = Form("question"),
    text: str = Form(""),
    ref_id: str = Form(""),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Add a suggested or a typed question/strategy."""
    try:
        services.add_agenda_item(db, access, kind, text, ref_id or None)
    except InputError as exc:
        db.rollback()
        return _agenda_response(
            request, db, access, 422, form={"kind": kind, "text": text}, error=exc.message
        )
    return _agenda_response(request, db, access)


@router.post("/w/{workspace_id}/agenda/{item_id}/decide")
def agenda_decide(
    request: Request,
    item_id: int,
    decision: str = Form(...),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Accept, reject or re-open an item."""
    services.decide_agenda_item(db, access, item_id, decision)
    return _agenda_response(request, db, access)


@router.post("/w/{workspace_id}/agenda/{item_id}/move")
def agenda_move(
    request: Request,
    item_id: int,
    rank: int = Form(...),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Move an item to a new rank (the up/down buttons)."""
    n = len(services.agenda(db, access.workspace.id))
    services.move_agenda_item(db, access, item_id, max(1, min(rank, n)))
    return _agenda_response(request, db, access)


@router.post("/w/{workspace_id}/agenda/{item_id}/spec")
def agenda_specify(
    request: Request,
    item_id: int,
    actor: str = Form(""),
    action: str = Form(""),
    target: str = Form(""),
    temporality: str = Form(""),
    dose: str = Form(""),
    outcome: str = Form(""),
    justification: str = Form(""),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Specify a strategy: actor, action, target, temporality, dose, outcome, justification."""
    fields = {"actor": actor, "action": action, "target": target, "temporality": temporality,
              "dose": dose, "outcome": outcome, "justification": justification}
    try:
        services.specify_strategy(db, access, item_id, fields)
    except InputError as exc:
        db.rollback()
        return _agenda_response(request, db, access, 422, error=str(exc),
                                spec_form={"item_id": item_id, **fields})
    return _agenda_response(request, db, access)


@router.post("/w/{workspace_id}/agenda/{item_id}/delete")
def agenda_delete(
    request: Request, item_id: int, access: Access = Depends(editor), db: Session = DB
) -> Response:
    """Remove an item."""
    services.delete_agenda_item(db, access, item_id)
    return _agenda_response(request, db, access)


# --- study design ------------------------------------------------------------------------


@router.get("/w/{workspace_id}/design")
def design_page(request: Request, kind: str = "crt", access: Access = Depends(viewer)) -> Response:
    """The study-design calculator with its power curve; the form keeps what was typed."""
    from mmsis.web import design_calc

    if kind not in design_calc.CALCULATORS:
        kind = "crt"
    submitted = "submitted" in request.query_params
    calc = design_calc.calculate(kind, dict(request.query_params))
    chart = None
    if calc.curve:
        from mmsis.i18n import N_
        from mmsis.i18n import gettext as _

        is_power = kind != "survey"
        axes = {"margin of error (percentage points)": N_("Margin of error (percentage points)"),
                "clusters per arm": N_("Clusters per arm"), "women per arm": N_("Women per arm")}
        axis = _(axes.get(calc.curve_x, calc.curve_x[:1].upper() + calc.curve_x[1:]))
        chart = charts.line_chart(
            {_("Power") if is_power else _("Women needed"): calc.curve},
            title=(_("Power by %(axis)s") if is_power else _("Sample size by %(axis)s"))
            % {"axis": axis.lower()},
            x_label=axis,
            y_label=_("Power (probability of detecting the effect)") if is_power
            else _("Women to interview (count)"),
            y_min=0,
            y_max=1 if is_power else None,
            y_unit="percent" if is_power else "count",
        )
    return render(
        request,
        "design.html",
        {
            **_nav(access, "design"),
            "calculators": design_calc.CALCULATORS,
            "kind": kind,
            "calc": calc,
            "chart": chart,
            "submitted": submitted,
        },
        calc.status,
    )


# --- evaluation, scenarios, report ---------------------------------------------------------


@router.get("/w/{workspace_id}/evaluation")
def evaluation_page(
    request: Request,
    data_element: str = "",
    start: str = "",
    district: str = "",
    family: str = "quasipoisson",
    control: str = "",
    access: Access = Depends(viewer),
    db: Session = DB,
) -> Response:
    """Interrupted time series of a routine series around a start month (mmsis.evaluate);
    with a control district, a controlled ITS."""
    from mmsis.web import scenarios, wording

    if not data_element:  # default: the element the workspace maps to ANC1 visits
        cm = services.concept_map(access.workspace)
        data_element = (cm.element("anc1") if cm is not None else None) or next(
            iter(programme.data_elements(access.workspace)), "")
    form = {"data_element": data_element, "start": start, "district": district, "family": family,
            "control": control}
    labels = wording.workspace_labels(access.workspace)
    ctx: dict[str, Any] = {
        **_nav(access, "evaluation"),
        "form": form,
        "error": "",
        "result": None,
        "view": None,
        "elements": [(e, labels.label(e, "data_element"))
                     for e in programme.data_elements(access.workspace)],
        "months": wording.months_with_data(db, access, data_element),
        "districts": services.districts(db, access),
        "families": scenarios.ITS_FAMILIES,
    }
    if not start:
        if "start" in request.query_params:  # the form was sent without a month: say so
            ctx["error"] = "Choose the month MMS started (the interruption)."
            return render(request, "evaluation.html", ctx, 422)
        return render(request, "evaluation.html", ctx)
    try:
        res = scenarios.run_its(
            db, access, data_element, start, district or None, family, control or None
        )
    except InputError as exc:
        ctx["error"] = exc.message
        return render(request, "evaluation.html", ctx, 422)
    names = {d.id: d.name for d in ctx["districts"]}
    first = wording.first_period(db, access, data_element, district or None, control or None)
    ctx["result"] = res
    ctx["view"] = wording.its_view(
        res, first, start, labels.label(data_element, "data_element"),
        names.get(district, "all districts you can see"),
        names.get(control, control) if control else None,
    )
    return render(request, "evaluation.html", ctx)


def _scenario_ctx(
    request: Request, db: Session, access: Access, text: str | None = None, error: str = "",
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    import yaml

    from mmsis.web import scenario_form, scenarios, wording

    data = scenarios.scenario_dict(db, access.workspace.id)
    results = None
    if data is not None and not error and not errors:
        from mmsis import i18n

        # per language: the results carry their sentences, written in the request's language
        key = ("scenario", access.workspace.id, services.data_version(db, access.workspace.id),
               i18n.current_language())
        results = request.app.state.cache.get_or_compute(key, lambda: scenarios.run_scenario(data))
    if text is None:
        text = yaml.safe_dump(data, sort_keys=False) if data else ""
    form = None
    if data is not None:
        try:
            sc = scenarios.checked_scenario(data)
        except InputError:
            sc = None
        if sc is not None:
            labels = wording.workspace_labels(access.workspace)  # every district's name
            names = {d.district: labels.label(d.district, "org_unit")
                     for d in sc.rollout.districts}
            form = {"groups": scenario_form.GROUPS, "values": {**scenario_form.values(sc),
                                                               **(typed or {})},
                    "errors": errors or {}, "districts": scenario_form.districts(sc, names)}
    return {**_nav(access, "scenario"), "text": text, "error": error, "results": results,
            "form": form, "say": wording}


@router.get("/w/{workspace_id}/scenario")
def scenario_page(
    request: Request, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """Supply forecast and health impact of the workspace's scenario (mmsis.forecast/impact)."""
    return render(request, "scenario.html", _scenario_ctx(request, db, access))


@router.post("/w/{workspace_id}/scenario")
def scenario_save(
    request: Request,
    scenario: str = Form(""),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Check and save the scenario; on an error the text typed is kept."""
    from mmsis.web import analytics, scenarios

    try:
        data = scenarios.parse_scenario(scenario)
    except InputError as exc:
        return render(
            request, "scenario.html", _scenario_ctx(request, db, access, scenario, str(exc)), 422
        )
    analytics.save_result(db, access.workspace.id, "scenario", data)
    services.audit(db, access, "update", "scenario", access.workspace.id, name=data.get("name"))
    return RedirectResponse(f"/w/{access.workspace.id}/scenario", 303)


@router.get("/w/{workspace_id}/scenario/download")
def scenario_supply_download(
    fmt: str = Query("qat", alias="format"), access: Access = Depends(viewer),
    db: Session = DB,
) -> Response:
    """The scenario's forecast as QAT's data entry templates (zip) or a UNICEF supply forecast
    sheet (format=qat|unicef; mmsis.web.supply_downloads)."""
    from mmsis.web import scenarios, supply_downloads

    data = scenarios.scenario_dict(db, access.workspace.id)
    if fmt not in supply_downloads.FORMATS or data is None:
        raise HTTPException(404)
    body, name, media = supply_downloads.supply_file(data, fmt)
    return Response(body, media_type=media, headers=attachment(name))


@router.post("/w/{workspace_id}/scenario/form")
async def scenario_form_save(
    request: Request, access: Access = Depends(editor), db: Session = DB
) -> Response:
    """Save the scenario from the form; errors are shown next to their field, input kept."""
    from mmsis.web import analytics, scenario_form, scenarios

    typed = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    data = scenarios.scenario_dict(db, access.workspace.id)
    if data is None:
        return RedirectResponse(f"/w/{access.workspace.id}/scenario", 303)
    new, errors = scenario_form.apply(data, typed)
    if errors:
        ctx = _scenario_ctx(request, db, access, typed=typed, errors=errors)
        return render(request, "scenario.html", ctx, 422)
    analytics.save_result(db, access.workspace.id, "scenario", new)
    services.audit(db, access, "update", "scenario", access.workspace.id, name=new.get("name"),
                   via="form")
    return RedirectResponse(f"/w/{access.workspace.id}/scenario", 303)


@router.get("/w/{workspace_id}/report")
def report_page(request: Request, access: Access = Depends(viewer)) -> Response:
    """Download the country report built with the workspace's own key-result statuses (the
    survey wave picked here, default the latest)."""
    from mmsis.web import analytics

    waves = analytics.survey_wave_list(access.workspace)
    return render(request, "report.html", {**_nav(access, "report"), "waves": waves})


@router.get("/w/{workspace_id}/report/download")
def report_download(
    wave: str | None = None, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """The report (HTML, XLSX, DOCX, heat map) as a zip file."""
    from mmsis.web import scenarios

    data, name = scenarios.report_zip(db, access, wave or None)
    return Response(
        data,
        media_type="application/zip",
        headers=attachment(name),
    )


# --- uploads -------------------------------------------------------------------------------


def _uploads_context(db: Session, access: Access) -> dict[str, Any]:
    ups = services.uploads(db, access.workspace.id, limit=20)
    return {
        **_nav(access, "uploads"),
        "uploads": ups,
        "refused": {u.id: json.loads(u.refused_json) for u in ups},
        "result": None,
        "error": "",
        "kind": "dhis2",
        "max_mb": limits.max_upload_bytes() // 1024 // 1024,
        "job_mb": _job_mb(),
    }


@router.get("/w/{workspace_id}/uploads")
def uploads_page(
    request: Request, access: Access = Depends(viewer), db: Session = DB
) -> Response:
    """Upload survey files and DHIS2 exports; see past uploads and their refused rows."""
    return render(request, "uploads.html", _uploads_context(db, access))


@router.post("/w/{workspace_id}/uploads")
async def upload_post(
    request: Request, upload: UploadAccess = Depends(deps.data_upload), db: Session = DB
) -> Response:
    """Import a file all-or-nothing and show the result (with every refused row) on the page."""
    access, received = upload.access, upload.form.file
    kind = upload.form.fields.get("kind", "dhis2")
    assert received is not None
    from mmsis.web import job_handlers

    if received.size > job_handlers.upload_job_threshold():  # large files import as a job
        try:
            job = await run_in_threadpool(
                job_handlers.queue_upload, db, access, kind, received.filename, received.path
            )
        finally:
            received.discard()
        return RedirectResponse(f"/w/{access.workspace.id}/uploads?job={job.id}", 303)
    try:
        prepared = await run_in_threadpool(
            services.prepare_upload, db, access, kind, received.filename, received.path
        )
    except parsers.UploadRefused as exc:
        db.rollback()
        ctx = _uploads_context(db, access)
        ctx.update(error=exc.message, kind=kind)
        return render(request, "uploads.html", ctx, exc.status)
    finally:
        received.discard()
    async with write_turn(db):
        up = await run_in_threadpool(_write_and_commit, db, access, prepared)
    # no cache to clear: every cached result is keyed by the version of the data it reads
    ctx = _uploads_context(db, access)
    ctx.update(result=up, kind=kind)
    return render(request, "uploads.html", ctx, 200 if up.status == "imported" else 422)


def _job_mb() -> int:
    from mmsis.web.job_handlers import upload_job_threshold

    return upload_job_threshold() // 1024 // 1024


def _write_and_commit(db: Session, access: Access, prepared: services.PreparedUpload) -> Any:
    """Write and commit in one worker thread, inside the request's write turn."""
    up = services.write_upload(db, access, prepared)
    db.commit()
    return up


@router.get("/w/{workspace_id}/audit")
def audit_page(
    request: Request, access: Access = Depends(editor), db: Session = DB
) -> Response:
    """The audit log of the workspace."""
    entries = [
        (a, email, json.loads(a.detail_json))
        for a, email in services.audit_entries(db, access.workspace.id)
    ]
    return render(request, "audit.html", {**_nav(access, "audit"), "entries": entries})
