"""Group work pages and API: CHNRI scoring by several members, the decision and adaptation
timeline, actions on key results, and the TAG deck as a job (issue #16).

Reading needs the viewer role; scoring, logging and changing need editor, like the agenda.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.i18n import N_, current_language
from mmsis.i18n import gettext as _
from mmsis.plan.decisions import (
    ACTION_STATUSES,
    MODIFIED,
    NATURE,
    REASON_LEVELS,
    Action,
    Adaptation,
)
from mmsis.web import group_work as gw
from mmsis.web import jobs
from mmsis.web.app import render
from mmsis.web.deps import DB, Access, editor, viewer

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["group work"])

SCORE_FIELD = "score|"
NATURE_NAMES = {
    "adding": N_("adding"), "removing": N_("removing"), "tailoring": N_("tailoring"),
    "lengthening": N_("lengthening"), "shortening": N_("shortening"),
    "substituting": N_("substituting"), "reordering": N_("reordering"),
    "integrating": N_("integrating"), "repeating": N_("repeating"),
    "loosening_structure": N_("loosening structure"), "other": N_("other")}
MODIFIED_NAMES = {
    "content": N_("content"), "context": N_("context"), "evaluation": N_("evaluation"),
    "training": N_("training"), "implementation_strategy": N_("implementation strategy"),
    "other": N_("other")}
REASON_NAMES = {"sociopolitical": N_("sociopolitical"), "organisation": N_("organisation"),
                "implementer": N_("implementer"), "recipient": N_("recipient")}
STATUS_NAMES = {"not_started": N_("not started"), "in_progress": N_("in progress"),
                "done": N_("done"), "blocked": N_("blocked"), "dropped": N_("dropped")}
"""FRAME-IS codes and action statuses as words, translated where shown."""


def _words(names: dict[str, str]) -> dict[str, str]:
    return {k: _(v) for k, v in names.items()}


def _nav(access: Access, page: str) -> dict[str, Any]:
    return {"ws": access.workspace, "access": access, "page": page}


def _key_results() -> list[tuple[str, str]]:
    from mmsis.framework import load_framework
    from mmsis.present.labels import label

    return [(k.id, label(k.id, "key_result")) for k in load_framework().key_results]


# --- CHNRI -----------------------------------------------------------------------------------


def priorities_out(db: Session, workspace_id: int, emails: bool = True) -> dict[str, Any]:
    """The group's CHNRI result as the API answers it (rows best first; raters' e-mails only
    with `emails`)."""
    result = gw.priorities(db, workspace_id)
    texts = {q.key: q.text for q in gw.agenda_questions(db, workspace_id)}
    rows = [] if result is None else [
        {"rank": i, "text": texts.get(q.question, ""), **q.to_dict()}
        for i, q in enumerate(result.questions, start=1)]
    return {"criteria": list(gw.criteria()), "raters": gw.raters(db, workspace_id, emails),
            "questions": rows}


def _priorities_ctx(db: Session, access: Access, **extra: Any) -> dict[str, Any]:
    wid = access.workspace.id
    out = priorities_out(db, wid, gw.shows_emails(access))
    mine = gw.my_scores(db, wid, access.user.id)
    shown = {k: ("" if v is None else f"{v:g}") for k, v in mine.items()}
    return {**_nav(access, "priorities"), "questions": gw.agenda_questions(db, wid),
            "criteria": [(c, gw.criterion_label(c)) for c in gw.criteria()],
            "choices": [(v, _(t)) for v, t in gw.SCORE_CHOICES], "mine": shown,
            "scored": bool(mine),
            "result": out["questions"], "raters": out["raters"], "error": "", **extra}


@pages.get("/w/{workspace_id}/priorities")
def priorities_page(request: Request, access: Access = Depends(viewer), db: Session = DB
                    ) -> Response:
    """CHNRI scoring of the agenda's questions: my answers and the group's aggregate."""
    return render(request, "priorities.html", _priorities_ctx(db, access))


@pages.post("/w/{workspace_id}/priorities")
async def priorities_save(request: Request, access: Access = Depends(editor), db: Session = DB
                          ) -> Response:
    """Save the member's answers (every cell of the form; blank = don't know)."""
    form = await request.form()
    answers: dict[tuple[str, str], str | float | None] = {}
    for name, value in form.multi_items():
        if name.startswith(SCORE_FIELD) and isinstance(value, str):
            question, _, criterion = name[len(SCORE_FIELD):].rpartition("|")
            answers[(question, criterion)] = value
    try:
        gw.save_scores(db, access, answers)
    except InputError as exc:
        db.rollback()
        typed = {k: str(v or "") for k, v in answers.items()}
        return render(request, "priorities.html",
                      _priorities_ctx(db, access, error=exc.message, mine=typed), 422)
    return RedirectResponse(f"/w/{access.workspace.id}/priorities#group", 303)


class ScoreIn(BaseModel):
    """One answer: question id, criterion, score 1, 0.5, 0 or null (don't know)."""

    question: str = Field(..., max_length=100)
    criterion: str = Field(..., max_length=50)
    score: float | None = None


class ScoresIn(BaseModel):
    """The caller's answers (replacing theirs for the questions named)."""

    scores: list[ScoreIn] = Field(..., max_length=5000)


@api.get("/workspaces/{workspace_id}/chnri")
def chnri_get(access: Access = Depends(viewer), db: Session = DB) -> dict[str, Any]:
    """The group's CHNRI scores per question: criterion scores, rps (0-100), aea (0-1)."""
    return priorities_out(db, access.workspace.id, gw.shows_emails(access))


@api.put("/workspaces/{workspace_id}/chnri/scores")
def chnri_put(body: ScoresIn, access: Access = Depends(editor), db: Session = DB
              ) -> dict[str, Any]:
    """Save the caller's answers, then answer with the group's result."""
    gw.save_scores(db, access, {(s.question, s.criterion): s.score for s in body.scores})
    return priorities_out(db, access.workspace.id)


# --- decisions -------------------------------------------------------------------------------


def _decisions_ctx(db: Session, access: Access, **extra: Any) -> dict[str, Any]:
    return {**_nav(access, "decisions"), "decisions": [gw.as_seen_by(d, access)
                                                 for d in gw.decisions(db, access.workspace.id)],
            "modified": MODIFIED, "nature": NATURE, "reasons": REASON_LEVELS,
            "nature_names": _words(NATURE_NAMES), "modified_names": _words(MODIFIED_NAMES),
            "reason_names": _words(REASON_NAMES),
            "key_results": _key_results(), "form": {}, "error": "",
            "today": dt.date.today().isoformat(), **extra}


@pages.get("/w/{workspace_id}/decisions")
def decisions_page(request: Request, access: Access = Depends(viewer), db: Session = DB
                   ) -> Response:
    """The decisions and adaptations timeline (FRAME-IS fields) and the form to log one."""
    return render(request, "decisions.html", _decisions_ctx(db, access))


@pages.post("/w/{workspace_id}/decisions")
async def decisions_add(request: Request, access: Access = Depends(editor), db: Session = DB
                        ) -> Response:
    """Log a decision; on an error the form keeps what was typed."""
    form = await request.form()
    text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    data: dict[str, Any] = {
        "date": text.get("date", ""), "what": text.get("what", "").strip(),
        "modified": text.get("modified", "implementation_strategy"),
        "nature": text.get("nature", "tailoring"), "goal": text.get("goal", "").strip(),
        "planned": text.get("planned", "planned") == "planned",
        "decided_by": [p.strip() for p in text.get("decided_by", "").split(",") if p.strip()],
        "reasons": [str(v) for v in form.getlist("reasons")],
        "evidence": text.get("evidence", "").strip(),
        "key_result": text.get("key_result") or None,
    }
    try:
        gw.add_decision(db, access, data)
    except InputError as exc:
        db.rollback()
        return render(request, "decisions.html",
                      _decisions_ctx(db, access, form={**text, "reasons": data["reasons"]},
                                     error=exc.message), 422)
    return RedirectResponse(f"/w/{access.workspace.id}/decisions#timeline", 303)


@api.get("/workspaces/{workspace_id}/decisions")
def decisions_get(access: Access = Depends(viewer), db: Session = DB) -> list[dict[str, Any]]:
    """The decision and adaptation log, oldest first."""
    return [gw.decision_out(gw.as_seen_by(d, access))
            for d in gw.decisions(db, access.workspace.id)]


@api.post("/workspaces/{workspace_id}/decisions", status_code=201)
def decisions_post(body: Adaptation, access: Access = Depends(editor), db: Session = DB
                   ) -> dict[str, Any]:
    """Log a decision or adaptation (FRAME-IS fields)."""
    row = gw.add_decision(db, access, body.model_dump())
    return {"id": row.id, **body.model_dump(mode="json")}


# --- actions ---------------------------------------------------------------------------------


def _actions_ctx(db: Session, access: Access, **extra: Any) -> dict[str, Any]:
    from mmsis.framework import load_framework
    from mmsis.present.labels import label
    from mmsis.web.gantt import PHASES, roadmap_chart

    krs = _key_results()
    tracked = gw.actions(db, access.workspace.id)
    names = _words(STATUS_NAMES)
    road = roadmap_chart(tracked, {k.id: k.phase for k in load_framework().key_results},
                         {p: label(p, "phase") for p in PHASES}, dict(krs), names)
    return {**_nav(access, "actions"), "actions": tracked, "roadmap": road,
            "key_results": krs, "titles": dict(krs), "statuses": ACTION_STATUSES,
            "status_names": names, "form": {}, "error": "", **extra}


@pages.get("/w/{workspace_id}/actions")
def actions_page(request: Request, access: Access = Depends(viewer), db: Session = DB
                 ) -> Response:
    """Actions on key results with owner, due date and status; overdue ones flagged."""
    return render(request, "actions.html", _actions_ctx(db, access))


@pages.post("/w/{workspace_id}/actions")
def actions_add(
    request: Request,
    key_result: str = Form(""),
    action: str = Form(""),
    owner: str = Form(""),
    start: str = Form(""),
    due: str = Form(""),
    status: str = Form("not_started"),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Add an action; on an error the form keeps what was typed."""
    typed = {"key_result": key_result, "action": action.strip(), "owner": owner.strip(),
             "start": start or None, "due": due or None, "status": status}
    try:
        gw.add_action(db, access, typed)
    except InputError as exc:
        db.rollback()
        return render(request, "actions.html",
                      _actions_ctx(db, access, form=typed, error=exc.message), 422)
    return RedirectResponse(f"/w/{access.workspace.id}/actions", 303)


@pages.post("/w/{workspace_id}/actions/{action_id}/status")
def actions_status(
    request: Request,
    action_id: int,
    status: str = Form(""),
    access: Access = Depends(editor),
    db: Session = DB,
) -> Response:
    """Change an action's status from the list."""
    try:
        gw.set_action_status(db, access, action_id, status)
    except InputError as exc:
        db.rollback()
        return render(request, "actions.html", _actions_ctx(db, access, error=exc.message), 422)
    return RedirectResponse(f"/w/{access.workspace.id}/actions#action-{action_id}", 303)


class StatusIn(BaseModel):
    """A new status for an action."""

    status: str


@api.get("/workspaces/{workspace_id}/actions")
def actions_get(access: Access = Depends(viewer), db: Session = DB) -> list[dict[str, Any]]:
    """The workspace's actions by due date, each with `overdue`."""
    return [gw.action_out(a) for a in gw.actions(db, access.workspace.id)]


@api.post("/workspaces/{workspace_id}/actions", status_code=201)
def actions_post(body: Action, access: Access = Depends(editor), db: Session = DB
                 ) -> dict[str, Any]:
    """Add an action on a key result."""
    row = gw.add_action(db, access, body.model_dump())
    return {"id": row.id, **body.model_dump(mode="json")}


@api.patch("/workspaces/{workspace_id}/actions/{action_id}")
def actions_patch(action_id: int, body: StatusIn, access: Access = Depends(editor),
                  db: Session = DB) -> dict[str, Any]:
    """Change an action's status."""
    gw.set_action_status(db, access, action_id, body.status)
    found = [a for a in gw.actions(db, access.workspace.id) if a.id == action_id]
    return gw.action_out(found[0])


# --- the TAG deck ----------------------------------------------------------------------------


@pages.post("/w/{workspace_id}/report/deck")
def deck_build_page(access: Access = Depends(editor), db: Session = DB) -> Response:
    """The report page's "Download deck (PPTX)" button: build the deck as a job."""
    job = jobs.submit(db, access.workspace.id, "report",
                      {"format": "pptx", "lang": current_language()}, access.user.id)
    return RedirectResponse(f"/w/{access.workspace.id}/report?job={job.id}", status_code=303)


@api.post("/workspaces/{workspace_id}/deck-jobs", status_code=202)
def deck_job(access: Access = Depends(editor), db: Session = DB) -> dict[str, Any]:
    """Build the TAG deck (PPTX) as a job; download it from /api/jobs/{id}/download."""
    job = jobs.submit(db, access.workspace.id, "report",
                      {"format": "pptx", "lang": current_language()}, access.user.id)
    return {"job": job.id}
