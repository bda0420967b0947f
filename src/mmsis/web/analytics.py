"""Analyses shown on the dashboard, computed by the analysis packages and cached per workspace.

Routine data for analysis live in the workspace's DuckDB store (mmsis.data.store); the web
database keeps a copy for scoped trends. The quality review and the survey cascade take
seconds on a national dataset, so they are recomputed on demand (after imports, or by the
Recompute button) and the dashboard reads the cached result.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mmsis._cli import to_jsonable
from mmsis.errors import InputError
from mmsis.web.models import AnalysisResult, SurveyRecord, Upload, Workspace, utcnow

_STORE_LOCK = threading.Lock()
_START_LOCK = threading.Lock()  # not _STORE_LOCK: queueing must not wait for a DuckDB write
log = logging.getLogger("mmsis.web")
QUALITY_FLAGS_KEPT = 20000


def save_result(db: Session, workspace_id: int, kind: str, result: Any) -> None:
    """Store (replace) a cached analysis result."""
    from mmsis.web.db import begin_write

    payload = json.dumps(to_jsonable(result))
    begin_write(db)
    row = db.scalar(
        select(AnalysisResult).where(
            AnalysisResult.workspace_id == workspace_id, AnalysisResult.kind == kind
        )
    )
    if row is None:
        row = AnalysisResult(workspace_id=workspace_id, kind=kind, result_json="{}")
        db.add(row)
    row.result_json = payload
    row.computed_at = utcnow()
    db.flush()


def load_result(db: Session, workspace_id: int, kind: str) -> tuple[Any, Any] | None:
    """A cached result and when it was computed, or None."""
    row = db.scalar(
        select(AnalysisResult).where(
            AnalysisResult.workspace_id == workspace_id, AnalysisResult.kind == kind
        )
    )
    return (json.loads(row.result_json), row.computed_at) if row else None


_MIRROR_QUEUE: queue.Queue[tuple[str, list[dict[str, Any]], str]] = queue.Queue()
_MIRROR_THREAD: list[threading.Thread] = []
_MIRROR_PROCESS: list[ProcessPoolExecutor] = []


def _exit_with_parent(parent: int) -> None:
    """In the writer process: exit when the server is gone (a stopped server left it behind)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="mmsis-parent-watch", daemon=True).start()


def _store_writer() -> ProcessPoolExecutor:
    """One spawned process that does the DuckDB imports, off the web server's GIL.

    The copy is Python-heavy (pandas, validation); in the server process it competed with
    request threads for the interpreter and stretched the dashboard's latency tail.
    """
    if not _MIRROR_PROCESS:
        ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        _MIRROR_PROCESS.append(
            ProcessPoolExecutor(
                max_workers=1,
                mp_context=ctx,
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        )
    return _MIRROR_PROCESS[0]


MIRROR_BATCH_SECONDS = 0.25
"""The writer waits this long after an upload to copy everything queued meanwhile at once:
each copy opens, validates and checkpoints the store (~45 ms on the example country), so one
copy per upload kept half a core busy under load."""


def _mirror_worker() -> None:
    while True:
        batch = [_MIRROR_QUEUE.get()]
        time.sleep(MIRROR_BATCH_SECONDS)
        while True:  # copy everything queued meanwhile in one import per store
            try:
                batch.append(_MIRROR_QUEUE.get_nowait())
            except queue.Empty:
                break
        by_store: dict[str, dict[tuple[str, str, str], dict[str, Any]]] = {}
        for store_path, rows, _filename in batch:
            latest = by_store.setdefault(store_path, {})
            for r in rows:  # a later upload of the same key replaces the earlier value
                latest[(r["data_element"], r["period"], r["org_unit"])] = r
        for store_path, keyed in by_store.items():
            rows = list(keyed.values())
            try:
                with _STORE_LOCK:  # readers in this process wait while the child writes
                    _store_writer().submit(
                        _write_store, store_path, rows, f"web uploads ({len(rows)} values)"
                    ).result()
            except Exception:  # the web database holds the data; the store is a derived copy
                log.exception("could not copy values into the analytics store %s", store_path)
        for _ in batch:
            _MIRROR_QUEUE.task_done()


def start_store_writer() -> None:
    """Start the DuckDB writer process now (at server start), not at the first upload."""
    _store_writer().submit(int).result()


def mirror_to_store(ws: Workspace, rows: list[dict[str, Any]], filename: str) -> None:
    """Queue imported DHIS2 values for the workspace's DuckDB analytics store (one writer thread).

    Called after the web database has committed the import, so a slow analytics store never
    holds the database's write lock; `wait_for_store()` drains the queue (tests, recompute).
    """
    if not ws.store_path or not rows:
        return
    with _START_LOCK:
        if not _MIRROR_THREAD:
            t = threading.Thread(target=_mirror_worker, name="mmsis-store-writer", daemon=True)
            t.start()
            _MIRROR_THREAD.append(t)
    _MIRROR_QUEUE.put((ws.store_path, rows, filename))


def wait_for_store() -> None:
    """Block until every queued analytics-store write is done."""
    _MIRROR_QUEUE.join()


@contextlib.contextmanager
def store_file_lock(store_path: str) -> Iterator[None]:
    """Exclusive lock on ``<store>.lock`` while a store is open: DuckDB lets one process hold
    a file at a time, and with several server workers there are several writer processes."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one server process only (the in-process lock suffices)
        yield
        return
    with open(f"{store_path}.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_store(store_path: str, rows: list[dict[str, Any]], filename: str) -> None:
    """Upsert DHIS2 values into a DuckDB store (mmsis.data.store)."""
    from mmsis.data.store import Store

    df = pd.DataFrame(
        {
            "dataElement": [r["data_element"] for r in rows],
            "period": [r["period"] for r in rows],
            "orgUnit": [r["org_unit"] for r in rows],
            "categoryOptionCombo": "HllvX50cXC0",
            "attributeOptionCombo": "HllvX50cXC0",
            "value": [repr(float(r["value"])) for r in rows],
        }
    )
    # callers hold _STORE_LOCK (or run in the writer process); the file lock covers the
    # writer processes of other server workers
    with store_file_lock(store_path), Store(store_path) as store:
        known = set(store.data_elements()["id"].astype(str))
        new = sorted(set(df["dataElement"]) - known)
        if new:  # the web accepts any element id; the store needs it declared (DHIS2: SUM)
            store.import_metadata(
                {"data_elements": pd.DataFrame({"id": new, "name": new,
                                                "aggregation_type": "SUM"})},
                file=filename,
            )
        report = store.import_data_values(df, file=filename)
        if not report.ok:
            raise InputError(
                f"the analytics store refused {report.refused} of {len(df)} values "
                f"(first: {report.refusals[0].reason})",
                file=filename,
            )


def compute_quality(store_path: str) -> dict[str, Any]:
    """The WHO data-quality review (mmsis.measure.routine) at district level, flags only."""
    from mmsis.data.store import Store
    from mmsis.measure.routine import quality_review

    with _STORE_LOCK, store_file_lock(store_path), Store(store_path, read_only=True) as store:
        review = quality_review(store, level=3)
    flags = review.table[review.table["flag"]].head(QUALITY_FLAGS_KEPT)
    return {"score": review.score, "summary": review.summary, "flags": flags}


def latest_survey(db: Session, workspace_id: int) -> tuple[Upload, pd.DataFrame] | None:
    """The latest imported survey upload and its rows (numbers parsed; text stays text)."""
    up = db.scalar(
        select(Upload)
        .where(
            Upload.workspace_id == workspace_id,
            Upload.kind == "survey",
            Upload.status == "imported",
        )
        .order_by(Upload.id.desc())
        .limit(1)
    )
    if up is None:
        return None
    records = [
        json.loads(t)
        for t in db.scalars(select(SurveyRecord.data_json).where(SurveyRecord.upload_id == up.id))
    ]
    df = pd.DataFrame.from_records(records)
    for col in df.columns:
        if col != "caseid":
            with contextlib.suppress(ValueError, TypeError):  # a text column stays text
                df[col] = pd.to_numeric(df[col])
    return up, df


def compute_cascade(db: Session, workspace_id: int) -> dict[str, Any] | None:
    """The MMS coverage cascade (mmsis.measure.survey) of the latest imported survey."""
    from mmsis.data.survey import load_profile, recode
    from mmsis.measure.survey.cascade import cascade

    found = latest_survey(db, workspace_id)
    if found is None:
        return None
    up, df = found
    rec = recode(df, load_profile("dhs"), supplement="any", file=up.filename)
    table = cascade(rec)
    return {"survey": up.filename, "upload_id": up.id, "table": table.drop(columns=["method"])}


def refresh(db: Session, ws: Workspace) -> dict[str, str]:
    """Recompute every cached analysis the workspace has data for; returns what was done."""
    done: dict[str, str] = {}
    wait_for_store()
    if ws.store_path and Path(ws.store_path).exists():
        save_result(db, ws.id, "quality", compute_quality(ws.store_path))
        done["quality"] = "computed"
    cas = compute_cascade(db, ws.id)
    if cas is not None:
        save_result(db, ws.id, "cascade", cas)
        done["cascade"] = "computed"
    save_result(db, ws.id, "refreshed", done)  # when the analyses last saw the data
    return done
