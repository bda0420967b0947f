"""Bring a country in: its org units, populations, phase and DHIS2 connection.

Org units and populations live in the workspace's programme store (mmsis.data.store); the web
database's `org_units` table is a derived cache, rebuilt from the store after every import
(it serves scopes and page lists). A file is checked whole before anything is written: every
refusal names its row and column, and one refusal keeps the whole file out.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.web import parsers, secretbox
from mmsis.web.db import begin_write
from mmsis.web.deps import Access, Forbidden
from mmsis.web.job_models import Dhis2Connection
from mmsis.web.models import Workspace, utcnow

if TYPE_CHECKING:
    from mmsis.data.dhis2.client import Dhis2

MAX_METADATA_BYTES = 200 * 1024 * 1024
MAX_DEPTH = 30
MAX_PATH_CHARS = 500
MAX_ID_CHARS = 50
MAX_NAME_CHARS = 200


def require_national_owner(access: Access) -> None:
    """Org units, populations, phase and DHIS2: owners of the whole country and admins."""
    if access.user.is_admin:
        return
    if access.role != "owner" or access.scope_path:
        raise Forbidden("setting up the country needs the owner role without an org-unit limit")


# --- the programme store of a workspace -----------------------------------------------------


def store_path(db: Session, ws: Workspace, data_dir: Path | None = None) -> str:
    """The workspace's programme store, given a file in the data directory on first use."""
    from mmsis.web import programme

    if not ws.store_path:
        begin_write(db)
        programme.ensure_store(db, ws)
        db.flush()
    return str(ws.store_path)


@contextlib.contextmanager
def writable_store(path: str) -> Iterator[Any]:
    """The store for writing, through the programme store's one writer per store."""
    from mmsis.web import programme

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with programme.writing(path) as store:
        yield store


def rebuild_org_unit_cache(db: Session, ws: Workspace) -> int:
    """Replace the web's org-unit cache with the store's hierarchy (after any import)."""
    from mmsis.web import programme, services

    assert ws.store_path
    with programme.reading(ws.store_path) as st:
        units = st.org_units()
    frame = pd.DataFrame(
        {
            "id": units["id"].astype(str),
            "name": units["name"].fillna(units["id"]).astype(str),
            "level": units["level"].astype(int),
            "parent_id": units["parent_id"].astype(object).where(units["parent_id"].notna(), None),
            "path": units["path"].astype(str),
            "population": units["population"].astype(object).where(units["population"].notna(),
                                                                     None),
        }
    )
    begin_write(db)
    return services.load_org_units(db, ws, frame)


# --- org units --------------------------------------------------------------------------------


@dataclass
class Refusals:
    """Refused rows of one file: (row, column, message, value)."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: int, column: str, message: str, value: Any = None) -> None:
        """Record one refusal."""
        item: dict[str, Any] = {"row": row, "column": column, "message": message}
        if value is not None:
            item["value"] = str(value)[:200]
        self.items.append(item)


class FileRefused(InputError):
    """A setup file refused as a whole or by rows (answered 422 with every refusal)."""

    def __init__(self, message: str, refused: list[dict[str, Any]], file: str = "") -> None:
        super().__init__(message, file=file or None)
        self.refused = refused


@dataclass
class OrgUnitRow:
    """One org unit as the file gives it (1-based data row)."""

    row: int
    id: str
    name: str
    parent: str | None
    path: str | None
    level: int | None
    opening_date: str | None = None


def _text(content: bytes, filename: str) -> str:
    if len(content) > MAX_METADATA_BYTES:
        raise FileRefused(f"{filename}: larger than {MAX_METADATA_BYTES // 1024 // 1024} MB", [])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{filename}: not UTF-8 text (byte {exc.start})", []) from exc


def parse_org_unit_file(
    filename: str, content: bytes
) -> tuple[list[OrgUnitRow], dict[str, list[dict[str, Any]]], Refusals]:
    """Org units (and the DHIS2 `dataElements` and `dataSets` lists) of a metadata JSON or an
    `id,name,parent` CSV."""
    text = _text(content, filename)
    ext = parsers.extension(filename)
    bad = Refusals()
    if ext == ".json" or (ext != ".csv" and text.lstrip().startswith("{")):
        return (*_parse_metadata_json(filename, text, bad), bad)
    if ext not in (".csv", ".txt", ""):
        raise FileRefused(f"{filename}: send DHIS2 metadata JSON or a CSV id,name,parent", [])
    return _parse_org_unit_csv(filename, text, bad), {}, bad


def _parse_metadata_json(
    filename: str, text: str, bad: Refusals
) -> tuple[list[OrgUnitRow], dict[str, list[dict[str, Any]]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRefused(f"{filename}: not JSON (line {exc.lineno}, column {exc.colno})",
                          []) from exc
    except RecursionError as exc:
        raise FileRefused(f"{filename}: nested too deeply", []) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("organisationUnits"), list):
        raise FileRefused(f"{filename}: a DHIS2 metadata file has an 'organisationUnits' list",
                          [])
    rows: list[OrgUnitRow] = []
    for i, ou in enumerate(doc["organisationUnits"], start=1):
        if not isinstance(ou, dict):
            bad.add(i, "organisationUnits", "not an object")
            continue
        parent = ou.get("parent")
        if isinstance(parent, dict):
            parent = parent.get("id")
        level = ou.get("level")
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)):
            bad.add(i, "level", "not a whole number", level)
            level = None
        rows.append(
            OrgUnitRow(
                row=i,
                id=_clean(ou.get("id")),
                name=_clean(ou.get("name") or ou.get("displayName")),
                parent=_clean(parent) or None,
                path=_clean(ou.get("path")) or None,
                level=level,
                opening_date=_clean(ou.get("openingDate"))[:10] or None,
            )
        )
    meta: dict[str, list[dict[str, Any]]] = {}
    for key in ("dataElements", "dataSets"):  # data sets: names of the reporting rates
        objects = doc.get(key) or []
        if not isinstance(objects, list) or not all(isinstance(d, dict) for d in objects):
            bad.add(0, key, "a list of objects")
        elif objects:
            meta[key] = objects
    return rows, meta


def _clean(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ("" if v is None else str(v).strip())


def _parse_org_unit_csv(filename: str, text: str, bad: Refusals) -> list[OrgUnitRow]:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    aliases = {"parent_id": "parent", "parentid": "parent", "uid": "id"}
    header = [aliases.get(h, h) for h in header]
    missing = [c for c in ("id", "name", "parent") if c not in header]
    if missing:
        raise FileRefused(f"{filename}: the CSV needs columns id,name,parent "
                          f"(missing {', '.join(missing)})", [])
    ix = {c: header.index(c) for c in ("id", "name", "parent")}
    rows = []
    for n, rec in enumerate(reader, start=1):
        if not any(x.strip() for x in rec):
            continue
        if len(rec) < len(header):
            bad.add(n, "parent", f"{len(rec)} columns, the header has {len(header)}")
            continue
        rows.append(OrgUnitRow(n, rec[ix["id"]].strip(), rec[ix["name"]].strip(),
                               rec[ix["parent"]].strip() or None, None, None))
    return rows


def plan_org_units(
    rows: list[OrgUnitRow], existing: pd.DataFrame, bad: Refusals
) -> pd.DataFrame:
    """Check the file against itself and the stored hierarchy; the org units to write
    (the file's, plus stored units whose path changes because an ancestor moved)."""
    seen: dict[str, int] = {}
    for r in rows:
        if not r.id:
            bad.add(r.row, "id", "missing id")
        elif len(r.id) > MAX_ID_CHARS or "/" in r.id:
            bad.add(r.row, "id", f"an id has at most {MAX_ID_CHARS} characters and no '/'", r.id)
        elif r.id in seen:
            bad.add(r.row, "id", f"duplicate id (first at row {seen[r.id]})", r.id)
        else:
            seen[r.id] = r.row
        if not r.name:
            bad.add(r.row, "name", "missing name")
        elif len(r.name) > MAX_NAME_CHARS:
            bad.add(r.row, "name", f"longer than {MAX_NAME_CHARS} characters")
        if r.path is not None:
            parts = r.path.strip("/").split("/")
            if not r.path.startswith("/") or parts[-1] != r.id:
                bad.add(r.row, "path", "a path starts with '/' and ends with the unit's id",
                        r.path)
            else:
                from_path = parts[-2] if len(parts) > 1 else None
                if r.parent is None:
                    r.parent = from_path
                elif r.parent != from_path:
                    bad.add(r.row, "parent", f"the path says the parent is '{from_path}'",
                            r.parent)
    stored = {str(i): (str(p) if isinstance(p, str) and p else None)
              for i, p in zip(existing["id"], existing["parent_id"], strict=True)}
    parent = dict(stored)
    for r in rows:
        if r.id and r.id in seen and seen[r.id] == r.row:
            parent[r.id] = r.parent
    for r in rows:
        if r.parent is not None and r.parent not in parent:
            bad.add(r.row, "parent", "unknown parent (not in the file nor in the workspace)",
                    r.parent)
        elif r.parent == r.id and r.id:
            bad.add(r.row, "parent", "a unit cannot be its own parent", r.parent)
    if bad.items:
        return pd.DataFrame()
    paths: dict[str, str] = {}

    def path_of(uid: str, row: int) -> str | None:
        chain: list[str] = []
        cur: str | None = uid
        on_chain: set[str] = set()
        while cur is not None and cur not in paths:
            if cur in on_chain:
                bad.add(row, "parent", "the parents form a cycle", " -> ".join([*chain, cur]))
                return None
            on_chain.add(cur)
            chain.append(cur)
            cur = parent.get(cur)
        base = paths[cur] if cur is not None else ""
        for uid_ in reversed(chain):
            base = f"{base}/{uid_}"
            paths[uid_] = base
        return paths[uid]

    for r in rows:
        path = path_of(r.id, r.row)
        if path is None:
            continue
        depth = path.count("/")
        if depth > MAX_DEPTH or len(path) > MAX_PATH_CHARS:
            bad.add(r.row, "parent", f"deeper than {MAX_DEPTH} levels or a path over "
                    f"{MAX_PATH_CHARS} characters")
        elif r.level is not None and r.level != depth:
            bad.add(r.row, "level", f"the unit is at level {depth} of its hierarchy", r.level)
    if bad.items:
        return pd.DataFrame()
    for uid in stored:
        path_of(uid, 0)
    old = existing.set_index(existing["id"].astype(str)) if len(existing) else existing
    out = []
    for r in rows:
        prev = old.loc[r.id] if r.id in old.index else None
        out.append(_unit(r.id, r.name, parent[r.id], paths[r.id], prev, r.opening_date))
    in_file = set(seen)
    for uid in stored:
        if uid not in in_file and old.loc[uid, "path"] != paths[uid]:
            prev = old.loc[uid]
            out.append(_unit(uid, str(prev["name"]), parent[uid], paths[uid], prev, None))
    return pd.DataFrame.from_records(out)


def _unit(uid: str, name: str, parent: str | None, path: str, prev: Any,
          opening: str | None) -> dict[str, Any]:
    def keep(col: str) -> Any:
        if prev is None:
            return None
        v = prev[col]
        return None if pd.isna(v) else v

    return {"id": uid, "name": name, "level": path.count("/"), "parent_id": parent,
            "path": path, "population": keep("population"),
            "opening_date": opening or keep("opening_date")}


def import_org_units(
    db: Session, access: Access, filename: str, content: bytes, data_dir: Path
) -> int:
    """Import a country's org units (all or nothing); returns how many the file holds."""
    from mmsis.data.dhis2 import formats
    from mmsis.web import services

    require_national_owner(access)
    rows, meta, bad = parse_org_unit_file(filename, content)
    ws = access.workspace
    path = store_path(db, ws, data_dir)
    db.commit()  # the store path is the workspace's even if this file is refused
    with writable_store(path) as store:
        plan = plan_org_units(rows, store.org_units(), bad)
        tables: dict[str, pd.DataFrame] = {}
        if meta:
            tables.update(formats.read_metadata_json(meta, filename))
        if bad.items:
            raise FileRefused(f"{filename}: {len(bad.items):,} row(s) refused",
                              bad.items, filename)
        if len(plan):
            tables["org_units"] = plan
        if tables:
            report = store.import_metadata(tables, file=filename)
            if not report.ok:
                raise FileRefused(
                    f"{filename}: {report.refused:,} row(s) refused",
                    [_store_refusal(r) for r in report.refusals],
                    filename,
                )
    rebuild_org_unit_cache(db, ws)
    services.audit(db, access, "import", "org_units", ws.id, filename=filename,
                   org_units=len(rows), data_elements=len(meta.get("dataElements", [])))
    return len(rows)


def _store_refusal(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"row": r.row, "column": r.column, "message": r.reason}
    if getattr(r, "value", None) is not None:
        out["value"] = str(r.value)[:200]
    return out


# --- populations ------------------------------------------------------------------------------


def import_populations(
    db: Session, access: Access, filename: str, content: bytes, data_dir: Path
) -> int:
    """Import yearly populations (CSV orgUnit,year,population) into the store, all or none."""
    from mmsis.web import services

    require_national_owner(access)
    text = _text(content, filename)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileRefused(f"{filename}: not a CSV file ({exc})", []) from exc
    ws = access.workspace
    path = store_path(db, ws, data_dir)
    db.commit()
    with writable_store(path) as store:
        report = store.import_populations(df, file=filename)
    if not report.ok:
        raise FileRefused(f"{filename}: {report.refused:,} row(s) refused",
                          [_store_refusal(r) for r in report.refusals], filename)
    services.audit(db, access, "import", "populations", ws.id, filename=filename,
                   rows=len(df))
    return len(df)


# --- phase ------------------------------------------------------------------------------------


def set_phase(db: Session, access: Access, phase: str) -> str:
    """Set the workspace's phase (one of the framework's phases, or '' for not set)."""
    from mmsis.framework import load_framework
    from mmsis.web import services

    require_national_owner(access)
    phases = [p.id for p in load_framework().phases]
    phase = phase.strip()
    if phase and phase not in phases:
        raise InputError(f"phase must be one of {', '.join(phases)}", field="phase")
    begin_write(db)
    ws = db.get(Workspace, access.workspace.id)
    assert ws is not None
    before = ws.phase
    ws.phase = phase
    access.workspace.phase = phase
    services.audit(db, access, "update", "workspace", ws.id, phase_before=before, phase=phase)
    return phase


# --- DHIS2 connection -------------------------------------------------------------------------


def check_dhis2_url(url: str) -> str:
    """A DHIS2 base URL: http(s), a host, no credentials, query or fragment."""
    url = url.strip()
    if not url:
        raise InputError("give the DHIS2 address, e.g. https://dhis2.example.org", field="url")
    if len(url) > 500:
        raise InputError("the address is longer than 500 characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a web address: {exc}", field="url") from exc
    if parts.scheme not in ("http", "https"):
        raise InputError("the address must start with https:// or http://", field="url")
    if not parts.hostname:
        raise InputError("the address has no host name", field="url")
    if parts.username or parts.password:
        raise InputError("put the token in the token field, not in the address", field="url")
    if parts.query or parts.fragment:
        raise InputError("the address must not have a ?query or #fragment", field="url")
    del port
    return url.rstrip("/")


def dhis2_connection(db: Session, workspace_id: int) -> Dhis2Connection | None:
    """The workspace's saved DHIS2 connection, if any."""
    return db.get(Dhis2Connection, workspace_id)


def connection_out(conn: Dhis2Connection | None) -> dict[str, Any]:
    """What anyone sees of a connection: the URL and whether a token is saved, never it."""
    if conn is None:
        return {"url": None, "token_set": False, "updated_at": None}
    return {"url": conn.url, "token_set": bool(conn.token_encrypted),
            "updated_at": conn.updated_at.isoformat() if conn.updated_at else None}


def save_dhis2_connection(
    db: Session, access: Access, url: str, token: str | None, secret: str
) -> Dhis2Connection:
    """Save the DHIS2 URL and (when given) a new personal access token, encrypted."""
    from mmsis.web import services

    require_national_owner(access)
    url = check_dhis2_url(url)
    token = (token or "").strip()
    if len(token) > 1000:
        raise InputError("the token is longer than 1000 characters", field="token")
    begin_write(db)
    conn = db.get(Dhis2Connection, access.workspace.id)
    if conn is None:
        if not token:
            raise InputError("give the personal access token (DHIS2: Profile > Personal access "
                             "tokens)", field="token")
        conn = Dhis2Connection(workspace_id=access.workspace.id, url=url)
        db.add(conn)
    conn.url = url
    if token:
        conn.token_encrypted = secretbox.encrypt(secret, token)
    conn.updated_by, conn.updated_at = access.user.id, utcnow()
    db.flush()
    services.audit(db, access, "set", "dhis2_connection", access.workspace.id, url=url,
                   token_changed=bool(token))
    return conn


def delete_dhis2_connection(db: Session, access: Access) -> None:
    """Forget the workspace's DHIS2 connection and its token."""
    from mmsis.web import services

    require_national_owner(access)
    begin_write(db)
    conn = db.get(Dhis2Connection, access.workspace.id)
    if conn is not None:
        db.delete(conn)
        services.audit(db, access, "delete", "dhis2_connection", access.workspace.id)


def dhis2_client(conn: Dhis2Connection, secret: str, **kwargs: Any) -> Dhis2:
    """A DHIS2 client (mmsis.data.dhis2.client) with the decrypted token."""
    from mmsis.data.dhis2.client import Dhis2

    if not conn.token_encrypted:
        raise InputError("no DHIS2 token saved for this workspace", field="token")
    return Dhis2(conn.url, token=secretbox.decrypt(secret, conn.token_encrypted), **kwargs)


def test_dhis2(db: Session, access: Access, secret: str) -> dict[str, Any]:
    """Ask the saved DHIS2 for /api/system/info: its version and name, or a clear error."""
    require_national_owner(access)
    conn = dhis2_connection(db, access.workspace.id)
    if conn is None:
        raise InputError("connect a DHIS2 instance first", field="url")
    client = dhis2_client(conn, secret, retries=1, backoff=0.5, timeout=20.0)
    try:
        info = client.get("/api/system/info")
    finally:
        client.close()
    return {"ok": True, "version": info.get("version"), "system_name": info.get("systemName"),
            "url": conn.url}


SYNC_MAX_ELEMENTS = 200
SYNC_MAX_PERIODS = 600


def sync_params(
    db: Session, access: Access, data_elements: list[str], periods: list[str],
    org_unit: str | None, level: int | None,
) -> dict[str, Any]:
    """Check a sync request (elements, periods, optional root org unit and level)."""
    from mmsis.data.dhis2.client import expand_periods

    require_national_owner(access)
    if dhis2_connection(db, access.workspace.id) is None:
        raise InputError("connect a DHIS2 instance first", field="url")
    des = sorted({d.strip() for d in data_elements if d and d.strip()})
    if not des:
        raise InputError("choose at least one data element (DHIS2 id)", field="data_elements")
    if len(des) > SYNC_MAX_ELEMENTS or any(len(d) > 50 or ";" in d or "," in d for d in des):
        raise InputError(f"at most {SYNC_MAX_ELEMENTS} data-element ids, without ';' or ','",
                         field="data_elements")
    pes = [p.strip() for p in periods if p and p.strip()]
    if not pes:
        raise InputError("give periods, e.g. 202401:202412 or 202401,202402", field="periods")
    try:
        expanded = expand_periods(pes)
    except (InputError, ValueError) as exc:
        raise InputError(f"periods: {exc}", field="periods") from exc
    if not expanded or len(expanded) > SYNC_MAX_PERIODS:
        raise InputError(f"between 1 and {SYNC_MAX_PERIODS} periods", field="periods")
    if level is not None and not 1 <= level <= MAX_DEPTH:
        raise InputError(f"level must be between 1 and {MAX_DEPTH}", field="level")
    if org_unit is not None and (not org_unit.strip() or len(org_unit) > MAX_ID_CHARS):
        raise InputError("not an org-unit id", field="org_unit")
    return {"data_elements": des, "periods": pes, "org_unit": (org_unit or "").strip() or None,
            "level": level}


def jobs_of_kind(db: Session, workspace_id: int, kind: str) -> list[Any]:
    """The workspace's jobs of one kind, newest first."""
    from mmsis.web.job_models import Job

    return list(db.scalars(select(Job).where(Job.workspace_id == workspace_id, Job.kind == kind)
                           .order_by(Job.id.desc()).limit(10)))
