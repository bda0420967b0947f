"""Analyses shown on the dashboard, computed by the analysis packages and cached per workspace.

Routine data and survey waves live in the workspace's DuckDB store only (mmsis.data.store,
opened through mmsis.web.programme); cached results here are derived from it. The quality
review and the survey cascade take seconds on a national dataset, so they are recomputed on
demand (after imports, or by the Recompute button) and the dashboard reads the cached result.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mmsis.serialize import to_jsonable
from mmsis.web.models import AnalysisResult, Workspace, utcnow
from mmsis.web.programme import WRITE_LOCK as _STORE_LOCK  # noqa: F401 - the store writers' lock

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


_SHARED: dict[tuple[int, str], tuple[Any, Any]] = {}
_SHARED_LOCK = threading.Lock()


def shared_result(db: Session, workspace_id: int, kind: str) -> tuple[Any, Any] | None:
    """`load_result` parsed once per computation and shared by every request (callers must not
    change it): the dashboard's panels read a quality review of up to 20,000 flags for each
    district, and parsing it per request made a cold dashboard slow."""
    at = db.scalar(
        select(AnalysisResult.computed_at).where(
            AnalysisResult.workspace_id == workspace_id, AnalysisResult.kind == kind
        )
    )
    if at is None:
        return None
    with _SHARED_LOCK:
        memo = _SHARED.get((workspace_id, kind))
    if memo is not None and memo[1] == at:
        return memo
    found = load_result(db, workspace_id, kind)
    if found is not None:
        with _SHARED_LOCK:
            _SHARED[(workspace_id, kind)] = found
    return found


def start_store_writer() -> None:
    """Kept for callers of the old mirror: the store is written by the import itself now."""


def wait_for_store() -> None:
    """Kept for callers of the old mirror: imports are in the store when they return."""


def store_file_lock(store_path: str) -> contextlib.AbstractContextManager[None]:
    """The store's cross-process lock, re-entrant in this process (mmsis.web.programme)."""
    from mmsis.web import programme

    return programme.file_lock(store_path)


def compute_quality(store_path: str, level: int | None = None) -> dict[str, Any]:
    """The WHO data-quality review (mmsis.measure.routine) at the district level, flags only."""
    from mmsis.measure.routine import quality_review
    from mmsis.web import programme

    with programme.reading(store_path) as store:
        if level is None:
            level = district_level(store)
        review = quality_review(store, level=level)
    flags = review.table[review.table["flag"]].head(QUALITY_FLAGS_KEPT)
    return {"score": review.score, "summary": review.summary, "flags": flags}


def district_level(store: Any) -> int:
    """The org-unit level the workspace calls district (its concept mapping, mmsis.data.concepts;
    without a saved one, the level above the deepest), 1 without org units."""
    return int(store.concepts().district_level or 1)


def compute_cascade(ws: Workspace, wave: str | None = None,
                    scope: str | None = None) -> dict[str, Any] | None:
    """The programme's MMS coverage cascade (mmsis.measure.survey.programme, the report's and
    the CLI's too) of a survey wave (default: the latest), with its denominator in words; for
    a user limited to the subtree at path `scope`, of the respondents of its districts (as
    their report). None without a survey; 'table' None when no respondent is in the scope."""
    from mmsis.data import queries
    from mmsis.data.survey.waves import wave_words
    from mmsis.measure.survey.programme import (
        denominator_words,
        programme_cascade,
        respondents_within,
    )
    from mmsis.web import programme

    if not programme.survey_waves(ws):
        return None
    info, df = programme.survey_frame(ws, wave)
    found = {"survey": info["file"], "wave": info["id"], "wave_words": wave_words(info),
             "denominator": denominator_words(), "scope": scope, "respondents": len(df)}
    if scope:
        with programme.reading(ws) as st:
            paths = queries.org_unit_paths(st)
        df = respondents_within(df, dict(zip(paths["id"], paths["path"], strict=True)), scope)
        found["respondents"] = len(df)
        if df.empty:
            return {**found, "table": None}
    table = programme_cascade(df, file=str(info["file"]))
    return {**found, "table": table.drop(columns=["method"])}


_MEMO: dict[tuple[str, str, str | None, str], Any] = {}
_MEMO_LOCK = threading.Lock()
_COMPUTING: dict[tuple[str, str, str | None, str], threading.Lock] = {}


def _memo(kind: str, ws: Workspace, wave: str | None, compute: Any,
          version: str | None = None) -> Any:
    """`compute()` once per version of the data it reads (`analysis_data_version`, or
    `version` when the caller has read it), kind and wave (derived from the store, so a
    relevant import gives a new key; never a second copy of the data). One caller computes
    while the others wait for its value (a cold dashboard opened by 50 users computed the
    measurements 50 times at once)."""
    key = (str(ws.store_path), kind, wave or None, version or analysis_data_version(ws))
    with _MEMO_LOCK:
        if key in _MEMO:
            return _MEMO[key]
        computing = _COMPUTING.setdefault(key, threading.Lock())
    with computing:
        with _MEMO_LOCK:
            if key in _MEMO:
                return _MEMO[key]
        value = compute()
        with _MEMO_LOCK:
            if len(_MEMO) > 200:
                _MEMO.clear()
            _MEMO[key] = value
            _COMPUTING.pop(key, None)
    return value


_RELEVANT: dict[tuple[str, int, str], str] = {}


def analysis_data_version(ws: Workspace) -> str:
    """Changes with every committed batch that the measured scorecard and the cascade can
    depend on: batches that wrote a data element named by the routine definitions, their
    quality settings or the workspace's concept mapping, and batches without data values
    (survey waves, populations, reports); and with the mapping itself. An upload of other
    elements leaves it, and the analyses cached under it, as they were: under load every
    upload had made each dashboard recompute the measurements (seconds each)."""
    from mmsis.web import programme

    whole = programme.store_version(ws)
    if not whole:
        return "0"
    mapping = programme.concepts(ws)
    names = _mapping_text(mapping)
    key = (str(ws.store_path), whole, names)
    found = _RELEVANT.get(key)
    if found is not None:
        return found
    # every upload moves the store's version: the requests that see it first wait for one
    # of them to read the relevant batches rather than each opening the store for it
    with _RELEVANT_LOCK:
        computing = _RELEVANT_COMPUTING.setdefault(key, threading.Lock())
    with computing:
        found = _RELEVANT.get(key)
        if found is not None:
            return found
        with programme.reading(ws) as st:
            value = f"{_relevant_batches(st, _named_text(names, mapping))}:{len(names)}"
        with _RELEVANT_LOCK:
            if len(_RELEVANT) > 1000:
                _RELEVANT.clear()
            _RELEVANT[key] = value
            _RELEVANT_COMPUTING.pop(key, None)
    return value


_RELEVANT_LOCK = threading.Lock()
_RELEVANT_COMPUTING: dict[tuple[str, int, str], threading.Lock] = {}
_MAPPING_TEXT: list[tuple[Any, str]] = []


def _mapping_text(mapping: Any) -> str:
    """The concept mapping as JSON, written once per mapping object (`programme.concepts`
    returns the same object until the store changes; every dashboard request asks)."""
    if mapping is None:
        return ""
    last = _MAPPING_TEXT[-1] if _MAPPING_TEXT else None
    if last is not None and last[0] is mapping:
        return last[1]
    text = str(mapping.model_dump_json())
    _MAPPING_TEXT[:] = [(mapping, text)]
    return text


_NAMED: dict[str, str] = {}


def _named_text(names: str, mapping: Any) -> str:
    """The routine definitions resolved with the workspace's mapping, as text (once per
    mapping): every data element the measurements can read is named in it."""
    found = _NAMED.get(names)
    if found is None:
        from mmsis.data.concepts import ConceptMap
        from mmsis.measure.routine.definitions import load_definitions

        resolved = load_definitions().resolved(mapping if mapping is not None else ConceptMap())
        # (+ the mapping: mmsis.plan.measured.routine_results reads the element it maps to
        # mms_clients, whatever its UID)
        found = resolved.model_dump_json() + names
        if len(_NAMED) > 100:
            _NAMED.clear()
        _NAMED[names] = found
    return found


def _relevant_batches(store: Any, text: str) -> int:
    """Committed batches that wrote an element named in ``text`` (the definitions and the
    mapping), or no data values at all (an element id found anywhere in the text counts:
    more keys, never a stale one)."""
    from mmsis.data import queries

    named = [i for i in queries.element_ids(store) if i in text]
    return queries.batches_touching(store, named)


def cascade_for(ws: Workspace, wave: str | None = None,
                scope: str | None = None) -> dict[str, Any] | None:
    """The cascade of a wave (default: the latest) for the subtree at path `scope` (None: the
    whole country), computed once per store version, language (its labels and denominator
    are words) and, for a scope, org-unit version (a district moved out of the scope takes
    its respondents with it)."""
    from mmsis.i18n import current_language

    kind = (f"cascade@{scope}|{ws.org_units_version}" if scope else "cascade")
    kind += f"|{current_language()}"
    return _memo(kind, ws, wave, lambda: compute_cascade(ws, wave, scope))  # type: ignore[no-any-return]


def _measure(ws: Workspace, wave: str | None) -> Any:
    """The function computing the measurements of `ws` and `wave` (see `measured_for`)."""

    def compute() -> dict[str, dict[str, Any]]:
        from mmsis.plan.measured import measurements
        from mmsis.web import programme

        if not programme.has_store(ws):
            return {}
        survey = programme.survey_frame(ws, wave)[1] if programme.survey_waves(ws) else None
        with programme.reading(ws) as st:
            return measurements(st, survey)

    return compute


def measured_for(ws: Workspace, wave: str | None = None) -> dict[str, dict[str, Any]]:
    """Indicator values measured from the workspace's store and survey wave
    (mmsis.plan.measured.measurements, as the report and `mmsis plan assess --store`), of the
    store's current data version (waits for it: the report's and the API's one answer)."""
    return _memo("measured", ws, wave, _measure(ws, wave))  # type: ignore[no-any-return]


COMPUTE_WAIT_ENV = "MMSIS_WEB_COMPUTE_WAIT"
"""Seconds a dashboard request waits for a measurement being computed before it is served
the last complete one (default 2; 0: never waits)."""


@dataclass(frozen=True)
class Served:
    """A derived result as a page is served it: `value` computed from the data version
    `version`; `current` False while a newer version is being computed in the background
    (`value` is then the last complete result; None when there has been none yet)."""

    value: Any
    version: str | None
    current: bool
    computed_at: datetime | None = None


_LATEST: dict[tuple[str, str, str | None], tuple[str, Any, datetime]] = {}
_RUNNING: dict[tuple[str, str, str | None], tuple[str, threading.Event, float]] = {}
_LATEST_LOCK = threading.Lock()


def _compute_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(COMPUTE_WAIT_ENV, "2") or 0))
    except ValueError:
        return 2.0


def measured_served(ws: Workspace, wave: str | None = None) -> Served:
    """The measurements for a page (the dashboard's scorecard, the agenda): of the current
    data version when they are computed (or become so within `COMPUTE_WAIT_ENV` seconds),
    else the last complete ones, marked, while one background thread computes the current
    ones (on 100 M values they take ~90 s: every request had waited on them, holding its
    database connection). The cache is derived, never a second source: the same
    `_memo` entry the report and the API read (`measured_for`)."""
    version = analysis_data_version(ws)
    key = (str(ws.store_path), "measured", wave or None)
    with _LATEST_LOCK:
        last = _LATEST.get(key)
        if last is not None and last[0] == version:
            return Served(last[1], version, True, last[2])
        running = _RUNNING.get(key)
        if running is None:  # one computation per store and wave at a time (uploads every
            # few seconds had each started one of ~90 s)
            running = _RUNNING[key] = (version, threading.Event(), time.monotonic())
            # (a copy without its session: the thread outlives the request's)
            copy = Workspace(id=ws.id, store_path=ws.store_path)
            threading.Thread(target=_background, name=f"mmsis-measure-{ws.id}", daemon=True,
                             args=(copy, wave, version, running[1])).start()
    if running[0] == version:  # (only in the first seconds of a computation: not every
        # request during the ~90 s of a national one)
        running[1].wait(max(0.0, running[2] + _compute_wait() - time.monotonic()))
    with _LATEST_LOCK:
        last = _LATEST.get(key)
    if last is None:
        return Served(None, None, False)
    return Served(last[1], last[0], last[0] == version, last[2])


def _background(ws: Workspace, wave: str | None, version: str, done: threading.Event) -> None:
    """Compute the measurements of `version` and make them the ones pages are served (the
    next request after it starts the next version's, if the store has moved on)."""
    key = (str(ws.store_path), "measured", wave or None)
    try:
        value = _memo("measured", ws, wave, _measure(ws, wave), version)
        with _LATEST_LOCK:
            _LATEST[key] = (version, value, utcnow())
        from mmsis.web import warmup

        warmup.after_import()  # the dashboards of the new measurements, computed ahead (the
        # parts rendered with the last ones were otherwise rendered again by the first users)
    except Exception:
        log.exception("computing the measured values failed")
    finally:
        with _LATEST_LOCK:
            _RUNNING.pop(key, None)
        done.set()


_WAVES: dict[tuple[str, int], list[dict[str, Any]]] = {}


def survey_wave_list(ws: Workspace) -> list[dict[str, Any]]:
    """The workspace's survey waves, oldest first, for the wave picker: read once per store
    version and shared by every request (callers must not change it; each dashboard part
    had read the store for them)."""
    from mmsis.web import programme

    key = (str(ws.store_path), programme.store_version(ws))
    found = _WAVES.get(key)
    if found is None:
        found = programme.survey_waves(ws)
        if len(_WAVES) > 64:
            _WAVES.clear()
        _WAVES[key] = found
    return found


def refresh(db: Session, ws: Workspace) -> dict[str, str]:
    """Recompute every cached analysis the workspace has data for; returns what was done."""
    done: dict[str, str] = {}
    if ws.store_path and Path(ws.store_path).exists():
        save_result(db, ws.id, "quality", compute_quality(ws.store_path))
        done["quality"] = "computed"
    cas = compute_cascade(ws)
    if cas is not None:
        save_result(db, ws.id, "cascade", cas)
        done["cascade"] = "computed"
    save_result(db, ws.id, "refreshed", done)  # when the analyses last saw the data
    return done
