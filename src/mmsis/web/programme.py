"""A workspace's programme store: the one home of its routine values, populations, reporting and
survey waves (a DuckDB file, mmsis.data.store), and the one way uploads get into it.

Concurrency (DuckDB allows one process per file): the server process opens each store once and
hands every request its own cursor of that database. DuckDB's MVCC gives each read the last
committed snapshot, so reads never wait for an import's transaction; writes to one store are
serialised by a lock. With `mmsis serve --workers N` a worker holds the file only while it
uses it (an exclusive file lock ``<store>.lock``), so workers take turns on a store.

Uploads are all or nothing across both databases: the web database first records the upload as
``importing``; its values (or survey wave) are written to the store in one DuckDB transaction
together with a ``batches`` row ``upload:<id>``; then the upload becomes ``imported`` (or
``refused``). After a crash, `recover_uploads` settles every upload left ``importing`` by the
presence of its batch: ``imported`` when the batch committed, ``failed`` when it did not.

Requests and background jobs call `import_upload(db, access, kind, filename, path)`, which
does the three steps; `store_upload` is the store part alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mmsis.data import queries
from mmsis.data.concepts import ConceptMap
from mmsis.data.store import ImportReport, Refusal, Store, share, unshare
from mmsis.errors import InputError
from mmsis.web.models import Upload, Workspace, utcnow

log = logging.getLogger("mmsis.web")
_V = TypeVar("_V")
DATA_DIR_ENV = "MMSIS_DATA_DIR"
"""Directory of the workspaces' stores (default: `mmsis-data` next to a SQLite database, else
./mmsis-data), as mmsis.web.jobs.data_dir_for."""
WORKERS_ENV = "MMSIS_WEB_WORKERS"
"""Set by `mmsis serve --workers N`: stores are then closed when idle, for the other workers."""
UPLOAD_KINDS = ("dhis2", "survey")


@dataclass
class _Open:
    """One store file opened by this process: its connection and how many use it now."""

    store: Store
    users: int = 0


_OPEN: dict[str, _Open] = {}
_REGISTRY = threading.Lock()
WRITE_LOCK = threading.RLock()
"""Held by every writer of a store in this process (imports, org units, syncs)."""
_FILE_LOCKS: dict[str, tuple[Any, int]] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _keep_open() -> bool:
    return int(os.environ.get(WORKERS_ENV, "1") or 1) <= 1


def _acquire(path: str) -> _Open:
    with _REGISTRY:
        entry = _OPEN.get(path)
        if entry is None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _lock_file(path)
            try:
                entry = _Open(share(path))
            except BaseException:
                _unlock_file(path)
                raise
            _OPEN[path] = entry
        entry.users += 1
        return entry


def _release(path: str, entry: _Open) -> None:
    with _REGISTRY:
        entry.users -= 1
        if entry.users == 0 and not _keep_open():
            _OPEN.pop(path, None)
            unshare(path)
            entry.store.close()
            _unlock_file(path)


def _lock_file(path: str) -> None:
    """Take the exclusive lock on ``<store>.lock`` for this process (re-entrant within it):
    other server processes wait until this one releases the store."""
    with _FILE_LOCKS_GUARD:
        held = _FILE_LOCKS.get(path)
        if held is not None:
            _FILE_LOCKS[path] = (held[0], held[1] + 1)
            return
    try:
        import fcntl
    except ImportError:  # not POSIX: one server process only
        fh = None
    else:
        fh = open(f"{path}.lock", "a+b")  # noqa: SIM115 - held until released
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    with _FILE_LOCKS_GUARD:
        held = _FILE_LOCKS.get(path)
        if held is not None:  # another thread of this process took it meanwhile
            _FILE_LOCKS[path] = (held[0], held[1] + 1)
            if fh is not None:
                fh.close()
            return
        _FILE_LOCKS[path] = (fh, 1)


def _unlock_file(path: str) -> None:
    with _FILE_LOCKS_GUARD:
        fh, n = _FILE_LOCKS[path]
        if n > 1:
            _FILE_LOCKS[path] = (fh, n - 1)
            return
        del _FILE_LOCKS[path]
    if fh is not None:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """The store's cross-process lock, re-entrant in this process (what every store user in
    the server takes; see the module doc)."""
    _lock_file(path)
    try:
        yield
    finally:
        _unlock_file(path)


def close(ws: Workspace | str) -> None:
    """Close one store this process holds and is not using (e.g. after seeding it, so that a
    server in another process can open it)."""
    path = path_of(ws)
    with _REGISTRY:
        entry = _OPEN.get(path)
        if entry is None or entry.users:
            return
        del _OPEN[path]
        unshare(path)
        entry.store.close()
        _unlock_file(path)


def close_all() -> None:
    """Close every store this process holds (server shutdown, tests)."""
    with _REGISTRY:
        for path, entry in list(_OPEN.items()):
            unshare(path)
            entry.store.close()
            _unlock_file(path)
        _OPEN.clear()


def path_of(ws: Workspace | str) -> str:
    """The store file of a workspace (or a path given as is)."""
    if isinstance(ws, str):
        return ws
    if not ws.store_path:
        raise InputError("this workspace has no programme store yet", field="store")
    return ws.store_path


@contextlib.contextmanager
def reading(ws: Workspace | str) -> Iterator[Store]:
    """A store for reading: a cursor that sees the last committed snapshot (never waits for a
    running import)."""
    path = path_of(ws)
    entry = _acquire(path)
    cursor = entry.store.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
        _release(path, entry)


@contextlib.contextmanager
def writing(ws: Workspace | str) -> Iterator[Store]:
    """A store for writing (one writer per store at a time in this process)."""
    path = path_of(ws)
    entry = _acquire(path)
    try:
        with WRITE_LOCK:
            cursor = entry.store.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
                _GENERATION[path] = _GENERATION.get(path, 0) + 1  # (after commit or rollback)
    finally:
        _release(path, entry)


def data_dir(db: Session) -> Path:
    """Where new workspaces' stores go: $MMSIS_DATA_DIR, else beside a SQLite database."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    url = db.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "mmsis-data"
    return Path.cwd() / "mmsis-data"


def ensure_store(db: Session, ws: Workspace) -> str:
    """The workspace's store path, given one (in `data_dir`) when it has none yet."""
    if not ws.store_path:
        ws.store_path = str(data_dir(db) / f"workspace-{ws.id}.duckdb")
    return ws.store_path


def store_version(ws: Workspace, data_elements: list[str] | None = None) -> int:
    """Grows with every batch committed to the store (with ``data_elements``: every batch
    that wrote values of them); 0 without a store. Keys the caches of derived results."""
    if not ws.store_path or not _exists(ws.store_path):
        return 0
    path = ws.store_path

    def read() -> int:
        with reading(ws) as st:
            return st.elements_version(data_elements) if data_elements else st.version()

    return _by_stamp(_VERSION_MEMO, (path, tuple(sorted(data_elements or ()))), path, read)


def _store_stamp(path: str, fresh: bool = False) -> tuple[int, ...]:
    """What changes when the store at `path` does: a commit changes the file or its
    write-ahead log (in any process), and every write in this process counts one generation
    (two commits within the file system's clock tick can leave the same size and time)."""
    return (_GENERATION.get(path, 0),
            *(v for p in (path, path + ".wal") for v in _stat(p, fresh=fresh)))


def _by_stamp(memo: dict[Any, tuple[tuple[int, ...], _V]], key: Any, path: str,
              read: Callable[[], _V]) -> _V:
    """`read()` memoised under `key` while the store's stamp (`_store_stamp`) is unchanged:
    while none has changed, the answer has not either, and pages need not open DuckDB to know
    it; the requests that see a new stamp at once wait for one of them to read."""
    stamp = _store_stamp(path)
    memo_entry = memo.get(key)
    if memo_entry is not None and memo_entry[0] == stamp:
        return memo_entry[1]
    with _single_flight((id(memo), key)):
        # the stamp now, not the one this request saw first (`stamps_once`): the memo may hold
        # a newer one already, and storing an older stamp would make the next reader recompute
        stamp = _store_stamp(path, fresh=True)
        memo_entry = memo.get(key)
        if memo_entry is not None and memo_entry[0] == stamp:
            return memo_entry[1]
        value = read()
        if len(memo) > 1000:
            memo.clear()
        memo[key] = (stamp, value)
    return value


@contextlib.contextmanager
def _single_flight(key: tuple[Any, ...]) -> Iterator[None]:
    """Hold the lock of `key`: under load every import changes the store's stamp, and the
    requests that see the new stamp together wait for one of them to read the store (then
    find its answer memoised) instead of each opening the store for the same answer."""
    with _FLIGHTS_LOCK:
        if len(_FLIGHTS) > _FLIGHTS_KEPT and key not in _FLIGHTS:  # bounded, as the memos
            _FLIGHTS.clear()  # (a flight under way keeps its lock; only sharing is lost)
        lock = _FLIGHTS.setdefault(key, threading.Lock())
    with lock:
        yield


_FLIGHTS: dict[tuple[Any, ...], threading.Lock] = {}
_FLIGHTS_LOCK = threading.Lock()
_FLIGHTS_KEPT = 1000
"""Locks kept (one per store and question): every key is a store path with its elements."""


_VERSION_MEMO: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], int]] = {}
_GENERATION: dict[str, int] = {}
"""Writes finished per store path in this process (part of `store_version`'s stamp)."""


def _stat(path: str, fresh: bool = False) -> tuple[int, int]:
    """The file's (mtime, size); inside `stamps_once`, as first read in the block unless
    `fresh` (then read again, and the block's later reads see the new one)."""
    seen = _STAMPS.get()
    if seen is not None and path in seen and not fresh:
        return seen[path]
    try:
        st = os.stat(path)
        found = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        found = (0, 0)
    if seen is not None:
        seen[path] = found
    return found


def _exists(path: str) -> bool:
    """Whether the file exists (inside `stamps_once`, from its one stamp)."""
    if _STAMPS.get() is None:
        return Path(path).exists()
    return _stat(path) != (0, 0)


_STAMPS: contextvars.ContextVar[dict[str, tuple[int, int]] | None] = contextvars.ContextVar(
    "mmsis_store_stamps", default=None)


@contextlib.contextmanager
def stamps_once() -> Iterator[None]:
    """Inside the block, each store file's stamp (`store_version`, `concepts`) is read from the
    file system once: a page that only reads (the dashboard asks ~6 times) sees one state of
    the store, and under load each `os.stat` is one more wait for the interpreter lock. Not
    for code that writes the store inside the block (it would not see its own write)."""
    token = _STAMPS.set({})
    try:
        yield
    finally:
        _STAMPS.reset(token)


# --- imports -------------------------------------------------------------------------------


CRASH_ENV = "MMSIS_CRASH_AT"
"""Fault injection for the crash tests: the server kills itself (SIGKILL) at the named step
of an upload: 'recorded' (upload on record, store untouched), 'store_commit' (inside the
store's transaction, before COMMIT), 'store_written' (store committed, upload not updated);
of a DHIS2 sync job (mmsis.web.job_handlers): 'sync_fetched' (a chunk fetched, store
untouched), 'store_commit', 'sync_committed' (the chunk committed, the job's progress and
checkpoint not yet saved), 'sync_end' (every chunk in, the job not yet done)."""
CRASH_SKIP_ENV = "MMSIS_CRASH_SKIP"
"""How many passes through the crash step to survive first (a sync's third chunk: 2)."""
_CRASH_PASSES: dict[str, int] = {}


def crash_point(step: str) -> None:
    """Die here, as kill -9 would, when MMSIS_CRASH_AT names this step (tests only), after
    MMSIS_CRASH_SKIP earlier passes through it."""
    if os.environ.get(CRASH_ENV) == step:
        passes = _CRASH_PASSES[step] = _CRASH_PASSES.get(step, 0) + 1
        if passes > int(os.environ.get(CRASH_SKIP_ENV) or 0):
            import signal

            os.kill(os.getpid(), signal.SIGKILL)


def batch_id(upload_id: int) -> str:
    """The store batch of an upload."""
    return f"upload:{upload_id}"


def store_upload(ws: Workspace | str, upload_id: int, path: str | Path, kind: str,
                 filename: str, *, scope_path: str | None = None) -> ImportReport:
    """Validate a saved upload file and write it to the workspace's store, all or nothing.

    ``kind`` 'dhis2': DHIS2 data values (dataValueSets JSON/CSV, analytics JSON) checked by the
    store's one validator (full key, every DHIS2 period type, value types, known data elements
    and org units, within ``scope_path``); 'survey': a DHS-style CSV kept as a survey wave. The
    batch ``upload:<upload_id>`` commits in the same transaction. Refused rows come back in the
    report (nothing written). Raises InputError when the file as a whole is unacceptable.
    The web database is not touched (`import_upload` records the upload around it).
    """
    if kind not in UPLOAD_KINDS:
        raise InputError(f"unknown upload kind '{kind}' (use one of {', '.join(UPLOAD_KINDS)})",
                         field="kind")
    from mmsis.data import textio

    with textio.utf8_file(path) as p, writing(ws) as st:
        if kind == "survey":
            return _import_survey(st, upload_id, p, filename, scope_path)
        with st.batch(batch_id(upload_id), kind, filename), st.scoped(scope_path):
            report = st.import_file(p, kinds=("data_values",))
    report.file = filename
    return report


def _import_survey(st: Store, upload_id: int, path: Path, filename: str,
                   scope_path: str | None) -> ImportReport:
    from mmsis.data import textio
    from mmsis.web import parsers

    text = textio.read_text(path)
    ous = queries.org_unit_paths(st)
    parsed = parsers.parse_survey(text, dict(zip(ous["id"], ous["path"], strict=True)),
                                  scope_path)
    refusals = [Refusal(row=r.row or 0, column=r.column or "", reason=r.message)
                for r in parsed.refused]
    report = ImportReport(file=filename, kind="survey", rows=parsed.total, refusals=refusals)
    report.refused = len({r.row for r in refusals})
    if parsed.refused:
        return report
    with st.batch(batch_id(upload_id), "survey", filename):
        st.import_survey_wave(pd.DataFrame.from_records(parsed.rows), batch_id(upload_id),
                              filename)
    report.imported = len(parsed.rows)
    return report


def begin_upload(db: Session, workspace: Workspace, user_id: int | None, kind: str,
                 filename: str) -> Upload:
    """Record an upload as ``importing`` (flushed; the caller commits before importing)."""
    from mmsis.web.db import begin_write

    begin_write(db)
    ensure_store(db, workspace)
    up = Upload(workspace_id=workspace.id, kind=kind, filename=safe_filename(filename),
                status="importing", rows_total=0, rows_imported=0, refused_json="[]",
                uploaded_by=user_id, uploaded_at=utcnow())
    db.add(up)
    db.flush()
    return up


def finish_upload(db: Session, upload_id: int, report: ImportReport | None,
                  error: str | None = None) -> Upload:
    """Record how an upload ended: ``imported``, ``refused`` (with its rows) or ``failed``."""
    from mmsis.web.db import begin_write

    begin_write(db)
    up = db.get(Upload, upload_id)
    if up is None:
        raise InputError(f"no upload {upload_id}", field="upload")
    if report is None:
        up.status = "failed"
        up.refused_json = json.dumps([{"row": None, "column": None,
                                       "message": error or "the import failed"}])
    else:
        up.status = "imported" if report.ok else "refused"
        up.rows_total = report.rows
        up.rows_imported = report.imported + report.updated + report.ignored if report.ok else 0
        up.refused_json = json.dumps(refusals_as_dicts(report.refusals))
    db.flush()
    return up


def import_upload(db: Session, access: Any, kind: str, filename: str,
                  path: str | Path) -> Upload:
    """Import a saved upload file (a request or a background job): record the upload as
    importing (committed), write the store all-or-nothing (`store_upload`), record the outcome
    (imported / refused with its rows / failed) and audit it; the caller commits. Raises
    InputError when the file as a whole is unacceptable (the upload is then 'failed')."""
    from mmsis.web.services import audit

    ws = access.workspace
    up = begin_upload(db, ws, access.user.id, kind, filename)
    db.commit()  # the upload is on record as importing before the store is written
    crash_point("recorded")
    try:
        report = store_upload(ws, up.id, path, kind, up.filename, scope_path=access.scope_path)
        crash_point("store_written")
    except InputError as exc:
        finish_upload(db, up.id, None, error=exc.message)
        audit(db, access, "upload", "upload", up.id, kind=kind, filename=up.filename,
              status="failed", error=exc.message)
        db.commit()
        raise
    except duckdb.Error as exc:
        log.exception("the store refused upload %s", up.id)
        finish_upload(db, up.id, None, error=f"the programme store failed: {exc}")
        audit(db, access, "upload", "upload", up.id, kind=kind, filename=up.filename,
              status="failed")
        return up
    up = finish_upload(db, up.id, report)
    audit(db, access, "upload", "upload", up.id, kind=kind, filename=up.filename,
          status=up.status, rows_total=up.rows_total, rows_imported=up.rows_imported,
          rows_refused=report.refused)
    if report.ok:
        from mmsis.web import warmup

        warmup.after_import()  # the store has the values: dashboards computed ahead
    return up


def recover_uploads(db: Session) -> int:
    """After a restart: settle uploads left ``importing`` by whether their batch committed."""
    from mmsis.web.db import begin_write

    stuck = list(db.scalars(select(Upload).where(Upload.status == "importing")))
    if not stuck:
        return 0
    begin_write(db)
    for up in stuck:
        ws = db.get(Workspace, up.workspace_id)
        landed = None
        if ws is not None and ws.store_path and Path(ws.store_path).exists():
            with reading(ws) as st:
                landed = queries.batch_rows(st, batch_id(up.id))
        if landed is not None:
            up.status = "imported"
            up.rows_total = up.rows_imported = landed
        else:
            up.status = "failed"
            up.refused_json = json.dumps([{"row": None, "column": None, "message":
                                           "the server stopped during the import; nothing of "
                                           "this file is in the store: upload it again"}])
    db.commit()
    return len(stuck)


def safe_filename(filename: str) -> str:
    """The base name of an uploaded file, at most 255 characters."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:255]


def refusals_as_dicts(refused: list[Refusal], limit: int = 500) -> list[dict[str, Any]]:
    """Refusals as JSON-ready dicts (row, column, message, value), the first ``limit``."""
    return [{"row": r.row, "column": r.column, "message": r.reason, "value": r.value}
            for r in refused[:limit]]


# --- reading -------------------------------------------------------------------------------


def survey_waves(ws: Workspace) -> list[dict[str, Any]]:
    """The workspace's survey waves, oldest first (id, name, file, rows, imported_at)."""
    if not ws.store_path or not Path(ws.store_path).exists():
        return []
    with reading(ws) as st:
        return st.survey_waves().to_dict(orient="records")  # type: ignore[no-any-return]


def survey_frame(ws: Workspace, wave: str | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """One survey wave (default: the latest; mmsis.data.survey.waves.pick_wave, as the CLI's
    --wave) and its respondents; InputError if none."""
    from mmsis.data.survey.waves import pick_wave

    if not has_store(ws):
        raise InputError("no survey uploaded to this workspace", field="wave")
    with reading(ws) as st:
        return pick_wave(st, wave)


def wave_rows(ws: Workspace | str, wave: str) -> pd.DataFrame:
    """One survey wave's respondents by id (the workspace or its store path; a wave kept in a
    `mmsis.data.programme.SurveyWave` is read when first used, after the request's session)."""
    with reading(ws) as st:
        return st.survey_wave(wave)


def has_store(ws: Workspace) -> bool:
    """True when the workspace's store file exists."""
    return bool(ws.store_path) and _exists(str(ws.store_path))


def series(db: Session, access: Any, data_elements: list[str], org_unit: str | None = None,
           level: int | None = None) -> list[dict[str, Any]]:
    """The indicators API's rows (mmsis.measure.routine.series.monthly_series): each month's
    value over the subtree of `org_unit` (default: the user's scope root, else the country).
    An org unit outside the user's scope (or unknown) is NotFound."""
    from mmsis.measure.routine.series import monthly_series, roots, series_records
    from mmsis.measure.routine.totals import subtree_series
    from mmsis.web import scope as scopes
    from mmsis.web.deps import NotFound

    ws = access.workspace
    if not has_store(ws):
        if org_unit:
            raise NotFound(f"no org unit '{org_unit}' in your part of the hierarchy")
        return []
    with reading(ws) as st:
        if org_unit:
            place = queries.org_unit_place(st, org_unit)
            if place is None or not scopes.contains(access.scope_path, place[0]):
                raise NotFound(f"no org unit '{org_unit}' in your part of the hierarchy")
        elif access.scope_path:
            org_unit = access.scope_path.rstrip("/").rsplit("/", 1)[-1]
        elif st.count("org_units") == 0:
            return []
        else:
            top = roots(st)
            org_unit = top[0] if len(top) == 1 else None  # (several roots: monthly_series says)
        # the pre-aggregated totals answer a subtree's sums with a lookup (no scan of the
        # values); anything they cannot answer the same way goes through the full roll-up
        fast = (subtree_series(st, data_elements, org_unit)
                if level is None and org_unit else None)
        frame = fast if fast is not None else monthly_series(st, data_elements, org_unit, level)
        return series_records(frame)


def concepts(ws: Workspace) -> ConceptMap | None:
    """The workspace's concept mapping (mmsis.data.concepts: which data elements are ANC1, MMS
    clients... and which level is the district), None without a store. Memoised by the
    store's stamp, so pages need not open DuckDB to learn it."""
    if not has_store(ws):
        return None
    path = str(ws.store_path)

    def read() -> ConceptMap | None:
        with reading(ws) as st:
            return st.concepts()

    return _by_stamp(_CONCEPTS_MEMO, path, path, read)


_CONCEPTS_MEMO: dict[str, tuple[tuple[int, ...], ConceptMap | None]] = {}


def concepts_document(ws: Workspace) -> dict[str, Any]:
    """The mapping as the API shows it (mmsis.data.concepts.to_document), with the catalogue
    of concepts and the hierarchy's levels."""
    from mmsis.data import concepts as cmod

    if not has_store(ws):
        return {"elements": {}, "levels": {"district": None, "region": None},
                "reporting_data_set": None, "saved": False, "catalogue": cmod.catalogue(),
                "depth": None}
    with reading(ws) as st:
        doc = cmod.to_document(st)
        depth = queries.deepest_level(st)
    return {**doc, "catalogue": cmod.catalogue(), "depth": depth}


def save_concepts(db: Session, ws: Workspace, mapping: ConceptMap) -> ConceptMap:
    """Validate and save the workspace's concept mapping in its programme store."""
    ensure_store(db, ws)
    with writing(ws) as st:
        saved = st.set_concepts(mapping)
    _CONCEPTS_MEMO.pop(str(ws.store_path), None)
    return saved


def data_elements(ws: Workspace) -> list[str]:
    """Data elements that have values in the workspace's store."""
    if not has_store(ws):
        return []
    with reading(ws) as st:
        return queries.valued_elements(st)


def store_metadata(db: Session, ws: Workspace, tables: dict[str, pd.DataFrame],
                   file: str = "metadata") -> ImportReport:
    """Upsert org units / data elements into the workspace's store (validated, all or none)."""
    ensure_store(db, ws)
    with writing(ws) as st:
        return st.import_metadata(tables, file=file)
