"""Group work in a workspace: CHNRI scoring by several members, the decision and adaptation
log, and actions on key results (issue #16), stored in the web database.

The methods are mmsis.plan's: scores are aggregated by `mmsis.plan.chnri.prioritise`; decisions
are `mmsis.plan.decisions.Adaptation` and actions `mmsis.plan.decisions.Action` records, so the
report, the deck and `mmsis plan roadmap` read the same things the pages write.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.plan.chnri import ALLOWED_SCORES, CRITERION_LABELS, DEFAULT_CRITERIA, Prioritisation
from mmsis.plan.decisions import ACTION_STATUSES, Action, Adaptation
from mmsis.web.db import begin_write
from mmsis.web.deps import Access, NotFound
from mmsis.web.models import ActionRecord, AgendaItemRow, ChnriScore, DecisionRecord, User, utcnow
from mmsis.web.services import audit

M = TypeVar("M", bound=BaseModel)
SCORE_CHOICES = (("1", N_("yes (1)")), ("0.5", N_("undecided (0.5)")), ("0", N_("no (0)")),
                 ("", N_("don't know")))
"""The answers a member gives on each criterion, as the CHNRI method defines them."""


def validated(model: type[M], data: dict[str, Any]) -> M:
    """The record checked by its pydantic model; the first problem as an InputError naming
    the field (never a traceback)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or None
        raise InputError(f"{where + ': ' if where else ''}{first.get('msg', 'invalid')}",
                         field=where) from None


# --- CHNRI ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaQuestion:
    """A question on the workspace's agenda, as the scoring page lists it."""

    key: str
    text: str


CRITERION_NAMES = {"answerability": N_("Answerability"), "effectiveness": N_("Effectiveness"),
                   "deliverability": N_("Deliverability"), "maximum_impact": N_("Maximum impact"),
                   "equity": N_("Equity")}
"""The CHNRI criteria as words (marked for the catalogs; mmsis.plan.chnri holds the labels)."""


def criteria() -> tuple[str, ...]:
    """The criteria members score (the five CHNRI criteria Rudan et al. use by default)."""
    return DEFAULT_CRITERIA


def criterion_label(name: str) -> str:
    """A criterion as people read it."""
    return _(CRITERION_NAMES.get(name, CRITERION_LABELS.get(name, name.replace("_", " ")
                                                           .capitalize())))


def agenda_questions(db: Session, workspace_id: int) -> list[AgendaQuestion]:
    """The agenda's questions not rejected, in rank order, keyed by framework id (or item-N)."""
    rows = db.scalars(
        select(AgendaItemRow)
        .where(AgendaItemRow.workspace_id == workspace_id, AgendaItemRow.kind == "question",
               AgendaItemRow.decision != "rejected")
        .order_by(AgendaItemRow.rank, AgendaItemRow.id))
    return [AgendaQuestion(r.ref_id or f"item-{r.id}", r.text) for r in rows]


def parse_score(text: str | float | None, question: str, criterion: str) -> float | None:
    """One answer: 1, 0.5, 0 or blank ("don't know"); anything else refused, naming the cell."""
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        value = float("nan")
    if value not in ALLOWED_SCORES:
        raise InputError(f"a CHNRI score is 1, 0.5, 0 or blank (don't know), not {text!r} "
                         f"({question}, {criterion})", field=f"{question}:{criterion}")
    return value


def my_scores(db: Session, workspace_id: int, user_id: int) -> dict[tuple[str, str], float | None]:
    """The user's saved answers: (question, criterion) -> score (None = don't know)."""
    rows = db.scalars(select(ChnriScore).where(ChnriScore.workspace_id == workspace_id,
                                               ChnriScore.user_id == user_id))
    return {(r.question, r.criterion): r.score for r in rows}


def save_scores(db: Session, access: Access,
                answers: dict[tuple[str, str], str | float | None]) -> int:
    """Replace the user's answers for the questions given (all checked before any is saved)."""
    begin_write(db)
    wid = access.workspace.id
    known = {q.key for q in agenda_questions(db, wid)}
    crits = set(criteria())
    parsed: dict[tuple[str, str], float | None] = {}
    for (question, criterion), text in answers.items():
        if question not in known:
            raise InputError(f"'{question}' is not a question on the agenda", field="question")
        if criterion not in crits:
            raise InputError(f"unknown criterion '{criterion}'; the criteria are "
                             f"{', '.join(criteria())}", field="criterion")
        parsed[(question, criterion)] = parse_score(text, question, criterion)
    questions = sorted({q for q, _ in parsed})
    if not questions:
        raise InputError("no scores given", field="scores")
    db.execute(delete(ChnriScore).where(ChnriScore.workspace_id == wid,
                                        ChnriScore.user_id == access.user.id,
                                        ChnriScore.question.in_(questions)))
    now = utcnow()
    db.add_all([ChnriScore(workspace_id=wid, user_id=access.user.id, question=q, criterion=c,
                           score=s, updated_at=now) for (q, c), s in parsed.items()])
    audit(db, access, "score", "chnri", wid, questions=questions, answers=len(parsed))
    return len(parsed)


def scores_frame(db: Session, workspace_id: int) -> pd.DataFrame:
    """Every member's answers as mmsis.plan.chnri reads them: rater, question, criterion, score."""
    rows = db.execute(
        select(User.email, ChnriScore.question, ChnriScore.criterion, ChnriScore.score)
        .join(User, User.id == ChnriScore.user_id)
        .where(ChnriScore.workspace_id == workspace_id)
        .order_by(User.email, ChnriScore.question, ChnriScore.criterion)).all()
    return pd.DataFrame(
        [{"rater": r[0], "question": r[1], "criterion": r[2],
          "score": "" if r[3] is None else repr(float(r[3]))} for r in rows],
        columns=["rater", "question", "criterion", "score"])


def priorities(db: Session, workspace_id: int) -> Prioritisation | None:
    """The group's CHNRI result (criterion scores, RPS, AEA per question), or None if unscored.

    Questions that left the agenda keep their scores but are not ranked."""
    from mmsis.plan.chnri import prioritise

    frame = scores_frame(db, workspace_id)
    on_agenda = {q.key for q in agenda_questions(db, workspace_id)}
    frame = frame[frame["question"].isin(on_agenda)]
    if frame.empty:
        return None
    return prioritise(frame.reset_index(drop=True), criteria=criteria())


def raters(db: Session, workspace_id: int, emails: bool = True) -> list[str]:
    """Who has scored (names, else e-mails; without `emails`, as a viewer reads them: names,
    else "a member"), for the page."""
    rows = db.execute(
        select(User.name, User.email).join(ChnriScore, ChnriScore.user_id == User.id)
        .where(ChnriScore.workspace_id == workspace_id).distinct().order_by(User.email)).all()
    return [name or (email if emails else _("a member")) for name, email in rows]


def shows_emails(access: Access) -> bool:
    """Members' e-mails are shown to editors and owners (who also read the audit log), not to
    viewers: the members list is the owners' and the audit log the editors'."""
    return access.at_least("editor")


# --- decisions and adaptations -------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A logged decision with who recorded it."""

    id: int
    record: Adaptation
    recorded_by: str
    recorded_at: dt.datetime
    recorded_name: str = ""


def _key_result_ids() -> set[str]:
    from mmsis.framework import load_framework

    return {k.id for k in load_framework().key_results}


def add_decision(db: Session, access: Access, data: dict[str, Any]) -> DecisionRecord:
    """Log a decision or adaptation (FRAME-IS fields), audited."""
    begin_write(db)
    record = validated(Adaptation, data)
    if record.key_result and record.key_result not in _key_result_ids():
        raise InputError(f"unknown key result '{record.key_result}'", field="key_result")
    row = DecisionRecord(workspace_id=access.workspace.id, date=record.date,
                         body_json=record.model_dump_json(), created_by=access.user.id,
                         created_at=utcnow())
    db.add(row)
    db.flush()
    audit(db, access, "add", "decision", row.id, date=record.date.isoformat(), what=record.what)
    return row


def decisions(db: Session, workspace_id: int) -> list[Decision]:
    """The decision log, oldest first (the timeline reads down)."""
    rows = db.execute(
        select(DecisionRecord, User.email, User.name)
        .outerjoin(User, User.id == DecisionRecord.created_by)
        .where(DecisionRecord.workspace_id == workspace_id)
        .order_by(DecisionRecord.date, DecisionRecord.id)).all()
    return [Decision(r.id, Adaptation.model_validate_json(r.body_json), email or "",
                     r.created_at, name or "") for r, email, name in rows]


def as_seen_by(d: Decision, access: Access) -> Decision:
    """The decision as this member reads it: a viewer gets the recorder's name, not e-mail."""
    if shows_emails(access) or not d.recorded_by:
        return d
    return replace(d, recorded_by=d.recorded_name or _("a member"))


# --- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedAction:
    """An action with its id and whether it is overdue today."""

    id: int
    record: Action
    overdue: bool


def _action_row(db: Session, access: Access, action_id: int) -> ActionRecord:
    row = db.get(ActionRecord, action_id)
    if row is None or row.workspace_id != access.workspace.id:
        raise NotFound("no such action")
    return row


def add_action(db: Session, access: Access, data: dict[str, Any]) -> ActionRecord:
    """Add an action on a key result (owner, start, due date, status), audited."""
    begin_write(db)
    record = validated(Action, data)
    if record.key_result not in _key_result_ids():
        raise InputError(f"unknown key result '{record.key_result}'", field="key_result")
    row = ActionRecord(workspace_id=access.workspace.id, due=record.due, status=record.status,
                       body_json=record.model_dump_json(), updated_by=access.user.id,
                       updated_at=utcnow())
    db.add(row)
    db.flush()
    audit(db, access, "add", "action", row.id, key_result=record.key_result,
          text=record.action, owner=record.owner)
    return row


def set_action_status(db: Session, access: Access, action_id: int, status: str) -> ActionRecord:
    """Change an action's status (done, blocked...), audited with before and after."""
    begin_write(db)
    if status not in ACTION_STATUSES:
        raise InputError(f"status must be one of {', '.join(ACTION_STATUSES)}", field="status")
    row = _action_row(db, access, action_id)
    record = Action.model_validate_json(row.body_json)
    before = record.status
    record = record.model_copy(update={"status": status})
    row.status, row.body_json = status, record.model_dump_json()
    row.updated_by, row.updated_at = access.user.id, utcnow()
    audit(db, access, "update", "action", row.id, before=before, after=status)
    return row


def actions(db: Session, workspace_id: int, today: dt.date | None = None) -> list[TrackedAction]:
    """The workspace's actions by due date (undated last), each flagged if overdue."""
    day = today or dt.date.today()
    rows = db.scalars(select(ActionRecord).where(ActionRecord.workspace_id == workspace_id)
                      .order_by(ActionRecord.due.is_(None), ActionRecord.due, ActionRecord.id))
    out = []
    for r in rows:
        record = Action.model_validate_json(r.body_json)
        out.append(TrackedAction(r.id, record, record.overdue(day)))
    return out


def overdue(db: Session, workspace_id: int, today: dt.date | None = None) -> list[TrackedAction]:
    """Open actions past their due date, the most overdue first (the dashboard's list).

    Every dashboard request asks: only the rows whose due date and status columns (written
    with the record) say overdue are read and parsed, then checked as `actions` checks them."""
    day = today or dt.date.today()
    rows = db.scalars(select(ActionRecord).where(overdue_filter(workspace_id, day))
                      .order_by(ActionRecord.due, ActionRecord.id))
    out = []
    for r in rows:
        record = Action.model_validate_json(r.body_json)
        if record.overdue(day):
            out.append(TrackedAction(r.id, record, True))
    return out


def overdue_filter(workspace_id: Any, day: Any) -> ColumnElement[bool]:
    """The rows of `action_records` that are overdue on `day` by their due date and status
    columns (kept with the record by `add_action` and `set_action_status`); the workspace id
    and the day may be values or bound parameters."""
    from sqlalchemy import and_

    from mmsis.data.workspace import OPEN_STATUSES

    return and_(ActionRecord.workspace_id == workspace_id, ActionRecord.due.is_not(None),
                ActionRecord.due < day, ActionRecord.status.in_(OPEN_STATUSES))


def action_out(a: TrackedAction) -> dict[str, Any]:
    """An action as the API answers it."""
    return {"id": a.id, **json.loads(a.record.model_dump_json()), "overdue": a.overdue}


def decision_out(d: Decision) -> dict[str, Any]:
    """A decision as the API answers it."""
    return {"id": d.id, **json.loads(d.record.model_dump_json()), "recorded_by": d.recorded_by}
