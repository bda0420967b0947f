"""Workspace operations shared by the pages and the JSON API (one place for rules and audit)."""

from __future__ import annotations

import functools
import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from mmsis.data.workspace import KR_STATUSES as _PLAN_STATUSES
from mmsis.errors import InputError
from mmsis.web import bounds, parsers
from mmsis.web import scope as scopes
from mmsis.web.db import begin_write
from mmsis.web.deps import Access, NotFound
from mmsis.web.models import (
    AgendaItemRow,
    AuditEntry,
    EvidenceRow,
    KeyResultStatusRow,
    Membership,
    OrgUnit,
    StrategySpecRow,
    Upload,
    User,
    Workspace,
    utcnow,
)
from mmsis.web.security import UserView

if TYPE_CHECKING:
    from mmsis.data.concepts import ConceptMap

KR_STATUSES = ("not_assessed", *_PLAN_STATUSES)
"""Statuses of mmsis.plan (met, partly, not_met, not_applicable) plus not yet assessed."""
DECISIONS = ("proposed", "accepted", "rejected")
AGENDA_KINDS = ("question", "strategy")
_INSERT_CHUNK = 5000


def audit(
    db: Session, access: Access | None, action: str, entity: str, entity_id: Any, **detail: Any
) -> None:
    """Append an audit entry (who, what, when, before/after) in the same transaction."""
    db.add(
        AuditEntry(
            workspace_id=access.workspace.id if access else None,
            user_id=access.user.id if access else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id)[:100],
            detail_json=json.dumps(detail, default=str),
            at=utcnow(),
        )
    )


def visible_workspaces(db: Session, user: UserView) -> list[tuple[Workspace, str]]:
    """Workspaces the user may see, with their role (administrators see all as owner)."""
    if user.is_admin:
        return [(w, "owner") for w in db.scalars(select(Workspace).order_by(Workspace.name))]
    rows = db.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user.id)
        .order_by(Workspace.name)
    )
    return [(w, role) for w, role in rows]


def create_workspace(db: Session, name: str, country: str = "", phase: str = "") -> Workspace:
    """Create a workspace; names are unique."""
    begin_write(db)
    name = name.strip()
    if not name:
        raise InputError("a workspace needs a name", field="name")
    if len(name) > 200:
        raise InputError("the name is longer than 200 characters", field="name")
    if db.scalar(select(Workspace).where(Workspace.name == name)) is not None:
        raise InputError(f"a workspace called '{name}' exists already", field="name")
    ws = Workspace(name=name, country=country.strip(), phase=phase.strip())
    db.add(ws)
    db.flush()
    return ws


def set_member(
    db: Session,
    access: Access | None,
    workspace: Workspace,
    user: User,
    role: str,
    org_unit_id: str | None = None,
) -> Membership:
    """Give a user a role in a workspace, optionally limited to an org unit's subtree."""
    from mmsis.web.members import set_member as set_member_

    return set_member_(db, access, workspace, user, role, org_unit_id)


# --- org units -----------------------------------------------------------------------------


def load_org_units(db: Session, workspace: Workspace, org_units: Any) -> int:
    """Replace the org-unit hierarchy from a DataFrame (id, name, level, parent_id, path), and
    give the workspace a new `org_units_version` (in the same transaction: what is cached from
    the org units is keyed by it)."""
    db.execute(delete(OrgUnit).where(OrgUnit.workspace_id == workspace.id))
    # a new stamp, never a count: a stamp seen inside a transaction that is then rolled back
    # is never given again to other org units (a +1 would be, after the rollback)
    db.execute(update(Workspace).where(Workspace.id == workspace.id)
               .values(org_units_version=secrets.randbits(62))
               .execution_options(synchronize_session="fetch"))
    rows = [
        {
            "workspace_id": workspace.id,
            "id": str(r["id"]),
            "name": str(r["name"]),
            "level": int(r["level"]),
            "parent_id": None
            if r.get("parent_id") in (None, "") or r.get("parent_id") != r.get("parent_id")
            else str(r["parent_id"]),
            "path": str(r["path"]),
            "population": float(r["population"]) if r.get("population") is not None else None,
        }
        for r in org_units.to_dict(orient="records")
    ]
    bounds.check_rows(OrgUnit.__table__, rows)
    if rows:
        db.execute(insert(OrgUnit), rows)
    return len(rows)


def org_units(db: Session, access: Access, level: int | None = None) -> list[OrgUnit]:
    """Org units the user may see (their subtree), optionally of one level."""
    q = select(OrgUnit).where(OrgUnit.workspace_id == access.workspace.id)
    if access.scope_path:
        q = q.where(scopes.sql_contains(OrgUnit.path, access.scope_path))
    if level is not None:
        q = q.where(OrgUnit.level == level)
    return list(db.scalars(q.order_by(OrgUnit.level, OrgUnit.name)))


def org_unit_paths(db: Session, workspace_id: int, level: int | None = None) -> dict[str, str]:
    """Map org-unit id -> path for a workspace (all levels, or one)."""
    q = select(OrgUnit.id, OrgUnit.path).where(OrgUnit.workspace_id == workspace_id)
    if level is not None:
        q = q.where(OrgUnit.level == level)
    return {i: p for i, p in db.execute(q)}


# --- key results -----------------------------------------------------------------------------


def key_result_statuses(db: Session, workspace_id: int) -> dict[str, KeyResultStatusRow]:
    """The saved status of each key result in a workspace."""
    rows = db.scalars(select(KeyResultStatusRow)
                      .where(KeyResultStatusRow.workspace_id == workspace_id))
    return {r.key_result_id: r for r in rows}


def set_key_result(
    db: Session, access: Access, key_result_id: str, status: str, note: str
) -> KeyResultStatusRow:
    """Record the group's status and note for a key result, with an audit entry."""
    begin_write(db)
    from mmsis.framework import load_framework

    fw = load_framework()
    if key_result_id not in {k.id for k in fw.key_results}:
        raise NotFound(f"no key result '{key_result_id}'")
    if status not in KR_STATUSES:
        raise InputError(f"status must be one of {', '.join(KR_STATUSES)}", field="status")
    if len(note) > 5000:
        raise InputError("the note is longer than 5000 characters", field="note")
    row = db.scalar(
        select(KeyResultStatusRow).where(
            KeyResultStatusRow.workspace_id == access.workspace.id,
            KeyResultStatusRow.key_result_id == key_result_id,
        )
    )
    before = {"status": row.status, "note": row.note} if row else None
    if row is None:
        row = KeyResultStatusRow(workspace_id=access.workspace.id, key_result_id=key_result_id)
        db.add(row)
    row.status, row.note = status, note.strip()
    row.updated_by, row.updated_at = access.user.id, utcnow()
    db.flush()
    audit(
        db,
        access,
        "update",
        "key_result",
        key_result_id,
        before=before,
        after={"status": status, "note": row.note},
    )
    return row


def add_evidence(
    db: Session, access: Access, key_result_id: str, filename: str, content: bytes
) -> EvidenceRow:
    """Attach an evidence file (type and size checked first) to a key result."""
    begin_write(db)
    from mmsis.framework import load_framework

    if key_result_id not in {k.id for k in load_framework().key_results}:
        raise NotFound(f"no key result '{key_result_id}'")
    ctype = parsers.check_evidence_file(filename, content)
    safe_name = filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
    ev = EvidenceRow(
        workspace_id=access.workspace.id,
        key_result_id=key_result_id,
        filename=safe_name,
        content_type=ctype,
        content=content,
        size=len(content),
        uploaded_by=access.user.id,
        uploaded_at=utcnow(),
    )
    db.add(ev)
    db.flush()
    audit(
        db,
        access,
        "upload",
        "evidence",
        ev.id,
        key_result=key_result_id,
        filename=safe_name,
        size=len(content),
    )
    return ev


def evidence_list(db: Session, workspace_id: int) -> dict[str, list[EvidenceRow]]:
    """Evidence files (without content) per key result."""
    out: dict[str, list[EvidenceRow]] = {}
    rows = db.scalars(
        select(EvidenceRow).where(EvidenceRow.workspace_id == workspace_id).order_by(EvidenceRow.id)
    )
    for ev in rows:
        out.setdefault(ev.key_result_id, []).append(ev)
    return out


# --- agenda --------------------------------------------------------------------------------


def agenda(db: Session, workspace_id: int) -> list[AgendaItemRow]:
    """Agenda items in rank order."""
    return list(
        db.scalars(
            select(AgendaItemRow)
            .where(AgendaItemRow.workspace_id == workspace_id)
            .order_by(AgendaItemRow.rank, AgendaItemRow.id)
        )
    )


def add_agenda_item(
    db: Session, access: Access, kind: str, text: str, ref_id: str | None = None
) -> AgendaItemRow:
    """Add a question or strategy at the bottom of the agenda."""
    begin_write(db)
    if kind not in AGENDA_KINDS:
        raise InputError(f"kind must be one of {', '.join(AGENDA_KINDS)}", field="kind")
    text = text.strip()
    if not text:
        raise InputError("the text is empty", field="text")
    if len(text) > 2000:
        raise InputError("the text is longer than 2000 characters", field="text")
    wid = access.workspace.id
    if ref_id and db.scalar(
        select(AgendaItemRow).where(AgendaItemRow.workspace_id == wid,
                                    AgendaItemRow.ref_id == ref_id)
    ):
        raise InputError(f"'{ref_id}' is on the agenda already", field="ref_id")
    top = db.scalar(select(func.max(AgendaItemRow.rank))
                    .where(AgendaItemRow.workspace_id == wid)) or 0
    item = AgendaItemRow(
        workspace_id=wid,
        kind=kind,
        ref_id=ref_id,
        text=text,
        rank=top + 1,
        decision="proposed",
        updated_at=utcnow(),
    )
    db.add(item)
    db.flush()
    audit(db, access, "add", "agenda_item", item.id, kind=kind, ref_id=ref_id, text=text)
    return item


def _item(db: Session, access: Access, item_id: int) -> AgendaItemRow:
    item = db.get(AgendaItemRow, item_id)
    if item is None or item.workspace_id != access.workspace.id:
        raise NotFound("no such agenda item")
    return item


def decide_agenda_item(db: Session, access: Access, item_id: int, decision: str) -> AgendaItemRow:
    """Accept, reject or re-open an agenda item."""
    begin_write(db)
    if decision not in DECISIONS:
        raise InputError(f"decision must be one of {', '.join(DECISIONS)}", field="decision")
    item = _item(db, access, item_id)
    before = item.decision
    item.decision, item.updated_at = decision, utcnow()
    audit(db, access, "decide", "agenda_item", item.id, before=before, after=decision)
    return item


def move_agenda_item(db: Session, access: Access, item_id: int,
                     new_rank: int) -> list[AgendaItemRow]:
    """Move an item to a 1-based rank, renumbering the others so ranks stay 1..n."""
    begin_write(db)
    item = _item(db, access, item_id)
    items = agenda(db, access.workspace.id)
    if not 1 <= new_rank <= len(items):
        raise InputError(f"rank must be between 1 and {len(items)}", field="rank")
    before = items.index(item) + 1
    items.remove(item)
    items.insert(new_rank - 1, item)
    for i, it in enumerate(items, start=1):
        it.rank = i
    audit(db, access, "rank", "agenda_item", item.id, before=before, after=new_rank)
    return items


def delete_agenda_item(db: Session, access: Access, item_id: int) -> None:
    """Remove an item from the agenda."""
    begin_write(db)
    item = _item(db, access, item_id)
    audit(db, access, "delete", "agenda_item", item.id, text=item.text)
    db.execute(delete(StrategySpecRow).where(StrategySpecRow.item_id == item.id))
    db.delete(item)
    db.flush()
    for i, it in enumerate(agenda(db, access.workspace.id), start=1):
        it.rank = i


STRATEGY_FIELDS = ("actor", "action", "target", "temporality", "dose", "outcome",
                   "justification")


def strategy_specs(db: Session, workspace_id: int) -> dict[int, StrategySpecRow]:
    """The workspace's strategy specifications by agenda item id."""
    rows = db.scalars(select(StrategySpecRow).where(StrategySpecRow.workspace_id == workspace_id))
    return {r.item_id: r for r in rows}


def specify_strategy(
    db: Session, access: Access, item_id: int, fields: dict[str, str]
) -> StrategySpecRow:
    """Record a strategy's seven dimensions (Proctor et al. 2013), replacing earlier ones."""
    begin_write(db)
    item = _item(db, access, item_id)
    if item.kind != "strategy":
        raise InputError("only a strategy can be specified; this item is a research question",
                         field="kind")
    values = {f: str(fields.get(f, "") or "").strip() for f in STRATEGY_FIELDS}
    row = db.scalar(select(StrategySpecRow).where(StrategySpecRow.item_id == item.id))
    before = {f: getattr(row, f) for f in STRATEGY_FIELDS} if row else {}
    if row is None:
        row = StrategySpecRow(workspace_id=access.workspace.id, item_id=item.id)
        db.add(row)
    for f, v in values.items():
        setattr(row, f, v)
    row.updated_at = utcnow()
    db.flush()  # the column lengths are checked here (bounds), naming the field
    audit(db, access, "specify", "agenda_item", item.id, before=before, after=values)
    return row


# --- uploads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedUpload:
    """A data file checked as a whole (kind, extension, size, encoding) and kept at a path of
    its own until `write_upload` has imported it into the workspace's programme store."""

    kind: str
    filename: str
    path: Path


def import_upload(
    db: Session, access: Access, kind: str, filename: str, content: bytes | Path
) -> Upload:
    """Check a data file whole; import all its rows or none, and keep the refused-rows report.

    Raises parsers.UploadRefused (nothing written) when the file itself is unacceptable.
    """
    return write_upload(db, access, prepare_upload(db, access, kind, filename, content))


def prepare_upload(
    db: Session, access: Access, kind: str, filename: str, content: bytes | Path
) -> PreparedUpload:
    """Check a data file (kind, extension, size, encoding), reading only, and keep it at a
    path of its own (bytes saved, a received file hard-linked), so the caller may discard its
    copy; `write_upload` removes it after the import.

    Raises parsers.UploadRefused when the file itself is unacceptable.
    """
    import os
    import shutil
    import tempfile

    parsers.check_data_file(kind, filename, content)
    safe_name = filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
    fd, name = tempfile.mkstemp(suffix=parsers.extension(safe_name), prefix="mmsis-upload-",
                                dir=content.parent if isinstance(content, Path) else None)
    os.close(fd)
    kept = Path(name)
    if isinstance(content, Path):
        kept.unlink()
        try:
            os.link(content, kept)
        except OSError:
            shutil.copyfile(content, kept)
    else:
        kept.write_bytes(content)
    return PreparedUpload(kind=kind, filename=safe_name, path=kept)


def write_upload(db: Session, access: Access, prepared: PreparedUpload) -> Upload:
    """Import a prepared upload into the workspace's programme store, all rows or none, and
    record its outcome (mmsis.web.programme.import_upload); the caller commits."""
    from mmsis.web import programme

    try:
        return programme.import_upload(
            db, access, prepared.kind, prepared.filename, prepared.path
        )
    except InputError as exc:
        raise parsers.UploadRefused(exc.message, 422) from exc
    finally:
        prepared.path.unlink(missing_ok=True)


def bulk_insert(db: Session, model: Any, rows: list[dict[str, Any]]) -> int:
    """Insert many rows through SQLAlchemy Core (bound parameters, executemany; no ORM cost)."""
    conn = db.connection()
    table = model.__table__
    for i in range(0, len(rows), _INSERT_CHUNK):
        conn.execute(insert(table), rows[i : i + _INSERT_CHUNK])
    return len(rows)


def bulk_insert_frame(db: Session, model: Any, frame: Any) -> int:
    """Insert a DataFrame's rows with the driver's executemany and bound parameters (fast path)."""
    conn = db.connection()
    cols = [str(c) for c in frame.columns]
    table = model.__table__
    for c in cols:
        table.c[c]  # noqa: B018 - refuse unknown columns (KeyError) before building SQL
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    rows = list(zip(*(frame[c].tolist() for c in cols), strict=True))
    for i in range(0, len(rows), _INSERT_CHUNK * 4):
        conn.exec_driver_sql(sql, rows[i : i + _INSERT_CHUNK * 4])
    return len(rows)


def uploads(db: Session, workspace_id: int, limit: int = 50) -> list[Upload]:
    """Recent uploads, newest first."""
    return list(
        db.scalars(
            select(Upload)
            .where(Upload.workspace_id == workspace_id)
            .order_by(Upload.id.desc())
            .limit(limit)
        )
    )


def audit_entries(db: Session, workspace_id: int, limit: int = 200) -> list[tuple[AuditEntry, str]]:
    """Recent audit entries with the user's e-mail, newest first."""
    rows = db.execute(
        select(AuditEntry, User.email)
        .join(User, User.id == AuditEntry.user_id, isouter=True)
        .where(AuditEntry.workspace_id == workspace_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [(a, email or "") for a, email in rows]


# --- routine data --------------------------------------------------------------------------


def routine_series(
    db: Session, access: Access, data_elements: list[str], org_unit: str | None = None,
    level: int | None = None,
) -> list[dict[str, Any]]:
    """Monthly values of data elements over the subtree of `org_unit` (default: the user's
    scope root), through mmsis.measure.routine (all combos, each element's aggregation type)."""
    from mmsis.web import programme

    return programme.series(db, access, data_elements, org_unit, level)


def data_version(db: Session, workspace_id: int) -> int:
    """A number that changes with every change to the workspace (every change is audited)."""
    v = db.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.workspace_id == workspace_id))
    return int(v or 0)


def key_results_version(db: Session, workspace_id: int) -> tuple[int, str]:
    """Changes whenever a key-result status changes (what the ranked agenda depends on)."""
    n, last = db.execute(
        select(func.count(), func.max(KeyResultStatusRow.updated_at)).where(
            KeyResultStatusRow.workspace_id == workspace_id
        )
    ).one()
    return int(n or 0), str(last)


def upload_version(db: Session, workspace_id: int) -> int:
    """Changes with every upload (what the routine series depend on)."""
    v = db.scalar(select(func.max(Upload.id)).where(Upload.workspace_id == workspace_id))
    return int(v or 0)


def records_versions(db: Session, workspace_id: int) -> tuple[tuple[int, str], str]:
    """`key_results_version` and `analyses_version` read in one statement (the dashboard's
    panels are keyed by both on every request)."""
    return _records(*db.execute(select(*_records_columns(workspace_id))).one())


def _records(n: int | None, last: Any, computed: Any) -> tuple[tuple[int, str], str]:
    """`_records_columns`' values as versions: (key-result count, newest change), newest
    analysis."""
    return (int(n or 0), str(last)), str(computed)


def _records_columns(workspace_id: Any) -> tuple[Any, Any, Any]:
    """`records_versions` as scalar subqueries: key results (count, newest change) and the
    newest cached analysis."""
    from mmsis.web.models import AnalysisResult

    kr = KeyResultStatusRow
    return (
        select(func.count()).where(kr.workspace_id == workspace_id).scalar_subquery(),
        select(func.max(kr.updated_at)).where(kr.workspace_id == workspace_id)
        .scalar_subquery(),
        select(func.max(AnalysisResult.computed_at))
        .where(AnalysisResult.workspace_id == workspace_id).scalar_subquery(),
    )


def analyses_version(db: Session, workspace_id: int) -> str:
    """Changes whenever a cached analysis is recomputed."""
    from mmsis.web.models import AnalysisResult

    v = db.scalar(
        select(func.max(AnalysisResult.computed_at)).where(
            AnalysisResult.workspace_id == workspace_id
        )
    )
    return str(v)


def _newer_imports(workspace_id: Any) -> Any:
    """The imported uploads newer than the cached analyses (a select of `Upload`)."""
    from mmsis.web.models import AnalysisResult

    last = (
        select(func.max(AnalysisResult.computed_at))
        .where(AnalysisResult.workspace_id == workspace_id,
               AnalysisResult.kind.in_(("quality", "cascade", "refreshed")))
        .scalar_subquery()
    )
    return select(Upload).where(
        Upload.workspace_id == workspace_id, Upload.status == "imported",
        Upload.kind.in_(("dhis2", "survey")),
        # no analyses yet: every import (a timestamp never compares with '' on PostgreSQL)
        or_(last.is_(None), Upload.uploaded_at > last))


def uploads_since_analyses(db: Session, workspace_id: int) -> tuple[int, str | None]:
    """Imported uploads newer than the cached analyses (count, latest file name): the cascade
    and quality review do not include them until an editor recomputes."""
    return _behind(*db.execute(select(*_since_analyses(workspace_id))).one())


def _behind(n: int | None, newest: str | None) -> tuple[int, str | None]:
    """`_since_analyses`' values: (count, newest file name), (0, None) when there is none."""
    return (int(n), newest) if n else (0, None)


def _since_analyses(workspace_id: Any) -> tuple[Any, Any]:
    """`uploads_since_analyses` as two scalar subqueries (count, newest file name), so that a
    page can read them in the statement it already makes."""
    newer = _newer_imports(workspace_id).subquery()
    count = select(func.count()).select_from(newer).scalar_subquery()
    latest = (select(newer.c.filename).order_by(newer.c.id.desc()).limit(1)
              .scalar_subquery())
    return count, latest


@dataclass(frozen=True)
class DashboardFacts:
    """What every dashboard request reads from the web database besides its cached parts,
    in one statement (each statement is a wait for the interpreter lock under load)."""

    records: tuple[tuple[int, str], str]
    """`records_versions`: the key-result statuses' and the cached analyses' versions."""
    behind: tuple[int, str | None]
    """`uploads_since_analyses`."""
    any_overdue: bool
    """Whether `group_work.overdue` has anything to list."""


def dashboard_facts(db: Session, workspace_id: int) -> DashboardFacts:
    """`records_versions`, `uploads_since_analyses` and whether an action is overdue, read in
    one statement."""
    import datetime as dt

    row = db.execute(_facts_statement(), {"wid": workspace_id, "day": dt.date.today()}).one()
    n_kr, last_kr, computed, n_new, newest, late = row
    return DashboardFacts(records=_records(n_kr, last_kr, computed),
                          behind=_behind(n_new, newest), any_overdue=bool(late))


@functools.cache
def _facts_statement() -> Any:
    """`dashboard_facts`'s statement, built once with parameters for the workspace and the
    day (built per request, its construction and cache key cost more than running it)."""
    from sqlalchemy import Date, Integer, bindparam

    from mmsis.web import group_work
    from mmsis.web.models import ActionRecord

    wid, day = bindparam("wid", type_=Integer), bindparam("day", type_=Date)
    count, latest = _since_analyses(wid)
    overdue = select(ActionRecord.id).where(group_work.overdue_filter(wid, day)).exists()
    return select(*_records_columns(wid), count, latest, overdue)


def indicator_rows(cache: Any, db: Session, access: Access, data_elements: list[str],
                   org_unit: str | None) -> list[dict[str, Any]]:
    """The indicators API's rows, cached under the batches that wrote these elements (and this
    process's writes), so the route and the dashboards' warm-up share one entry per question."""
    from mmsis.web import programme

    with programme.stamps_once():  # (reads only: one look at the store's files)
        key = ("series", access.workspace.id, access.scope_path, tuple(sorted(data_elements)),
               org_unit, series_version(db, access.workspace.id, data_elements))
        return cache.get_or_compute(  # type: ignore[no-any-return]
            key, lambda: routine_series(db, access, data_elements, org_unit))


def series_version(db: Session, workspace_id: int, data_elements: list[str]) -> int:
    """Changes when the workspace's store takes a new batch (keys the trend caches)."""
    from mmsis.web import programme

    ws = db.get(Workspace, workspace_id)
    return programme.store_version(ws, data_elements) if ws is not None else 0


def concept_map(ws: Workspace) -> ConceptMap | None:
    """The workspace's concept mapping (mmsis.data.concepts), None without a store."""
    from mmsis.web import programme

    return programme.concepts(ws)


@dataclass(frozen=True)
class DistrictChoice:
    """A district as the pages list it (a copy of its org-unit row, never written back)."""

    id: str
    name: str
    level: int
    parent_id: str | None
    path: str


_DISTRICTS: OrderedDict[tuple[Any, ...], tuple[DistrictChoice, ...]] = OrderedDict()
_DISTRICTS_LOCK = threading.Lock()
_DISTRICTS_KEPT = 256


def districts(db: Session, access: Access) -> list[DistrictChoice]:
    """The org units the user may see at the workspace's district level (its concept
    mapping); none while the workspace has no hierarchy.

    Every dashboard request asks, so the list is kept per (workspace, `org_units_version`,
    scope, level): the version is read with the workspace from the database (each worker sees
    an import at once) and every org-unit import moves it (`load_org_units`)."""
    cm = concept_map(access.workspace)
    if cm is None or cm.district_level is None:
        return []
    ws = access.workspace
    # (the database too: a process may serve several, e.g. in tests, with the same ids)
    bind = db.get_bind()
    key = (bind.engine.url, ws.id, ws.org_units_version, access.scope_path, cm.district_level)
    with _DISTRICTS_LOCK:
        found = _DISTRICTS.get(key)
        if found is not None:
            _DISTRICTS.move_to_end(key)
            return list(found)
    rows = tuple(DistrictChoice(u.id, u.name, u.level, u.parent_id, u.path)
                 for u in org_units(db, access, level=cm.district_level))
    with _DISTRICTS_LOCK:
        _DISTRICTS[key] = rows
        while len(_DISTRICTS) > _DISTRICTS_KEPT:
            _DISTRICTS.popitem(last=False)
    return list(rows)


def trend_elements(ws: Workspace) -> list[str]:
    """The data elements of the dashboard's clients-per-month trend: those the workspace's
    mapping gives ANC1 visits, IFA clients and MMS clients."""
    from mmsis.data.concepts import TREND_CONCEPTS

    cm = concept_map(ws)
    return list(cm.mapped(TREND_CONCEPTS).values()) if cm is not None else []
