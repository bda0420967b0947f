"""What each kind of background job does (registered with mmsis.web.jobs.handler)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.web import db as dbm
from mmsis.web.deps import Access, Auth
from mmsis.web.jobs import JobContext, JobFailed, handler
from mmsis.web.models import User, Workspace, utcnow
from mmsis.web.security import LiveSession, UserView

if TYPE_CHECKING:
    from mmsis.web.job_models import Job


def job_access(db: Session, ctx: JobContext, min_role: str) -> Access:
    """The submitter's access to the workspace now (a user who lost it fails the job)."""
    from mmsis.web.deps import _access

    user = db.get(User, ctx.created_by) if ctx.created_by is not None else None
    if user is None:
        raise JobFailed("the user who started this job no longer exists")
    view = UserView(user.id, user.email, user.name, user.is_admin)
    auth = Auth(user=view, session=LiveSession("job", user.id, "", utcnow()))
    return _access(ctx.workspace_id, auth, db, min_role)


def _session(ctx: JobContext) -> Session:
    return ctx.rt.sessions()


@handler("upload")
def run_upload(ctx: JobContext) -> dict[str, Any]:
    """Import a large data file saved on disk (all rows or none), then delete the file."""
    from mmsis.web.routes.api import upload_out

    path = Path(ctx.params["path"])
    kind, filename = str(ctx.params["kind"]), str(ctx.params["filename"])
    db = _session(ctx)
    try:
        access = job_access(db, ctx, "editor")
        db.commit()
        if not path.exists():
            raise JobFailed(f"the uploaded file {filename} is gone (server restarted?)")
        ctx.progress(0.05, f"importing {filename} ({path.stat().st_size:,} bytes)")
        from mmsis.web import programme

        up = programme.import_upload(db, access, kind, filename, path)
        db.commit()
        for hook in db.info.pop("after_commit", []):
            hook()
        return upload_out(up)
    except BaseException:
        db.rollback()
        raise
    finally:
        dbm.close_session(db)
        with contextlib.suppress(OSError):
            path.unlink()


UPLOAD_JOB_BYTES = 20 * 1024 * 1024


def upload_job_threshold() -> int:
    """Data files above this size (MMSIS_UPLOAD_JOB_BYTES, default 20 MB) import as a job."""
    raw = os.environ.get("MMSIS_UPLOAD_JOB_BYTES", "").strip()
    try:
        return int(raw) if raw else UPLOAD_JOB_BYTES
    except ValueError as exc:
        raise ValueError(f"MMSIS_UPLOAD_JOB_BYTES must be a number of bytes, not {raw!r}") from exc


def queue_upload(db: Session, access: Access, kind: str, filename: str, path: Path) -> Job:
    """Keep a received upload file (renamed beside it) and queue its import as a job."""
    from mmsis.web import jobs

    if kind not in ("dhis2", "survey"):
        raise InputError("kind must be 'dhis2' or 'survey'", field="kind")
    kept = path.with_name(f"{path.name}.job")
    os.replace(path, kept)
    safe = filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
    return jobs.submit(db, access.workspace.id, "upload",
                       {"path": str(kept), "kind": kind, "filename": safe}, access.user.id,
                       line=f"{safe}: {kept.stat().st_size:,} bytes received")


@handler("recompute")
def run_recompute(ctx: JobContext) -> dict[str, Any]:
    """Recompute the cached analyses (cascade, quality review) of a workspace."""
    from mmsis.web import analytics, services

    db = _session(ctx)
    try:
        access = job_access(db, ctx, "editor")
        ctx.progress(0.1, "recomputing the cascade and the quality review")
        done = analytics.refresh(db, access.workspace)
        services.audit(db, access, "recompute", "analyses", access.workspace.id, **done)
        db.commit()
        from mmsis.web import warmup

        warmup.after_import()  # the panels read the new analyses: compute them ahead
        return done
    except BaseException:
        db.rollback()
        raise
    finally:
        dbm.close_session(db)


@handler("report")
def run_report(ctx: JobContext) -> dict[str, Any]:
    """Build the country report zip, or with params format=pptx the TAG deck, into the data
    directory (downloaded from the job)."""
    from mmsis.web import scenarios

    fmt = report_format(ctx.params)
    db = _session(ctx)
    try:
        access = job_access(db, ctx, "viewer")
        scope = access.scope_path  # the subtree the file shows: who may download it (setup.py)
        from mmsis.i18n import language

        with language(ctx.params.get("lang")):  # the language of the page that asked for it
            if fmt == "pptx":
                ctx.progress(0.1, "building the TAG deck (PowerPoint)")
                data, name = scenarios.report_deck(db, access)
            else:
                ctx.progress(0.1, "building the report (HTML, XLSX, DOCX, heat map)")
                data, name = scenarios.report_zip(db, access)
        db.commit()
    finally:
        dbm.close_session(db)
    out = report_file(ctx.rt.data_dir, ctx.job_id, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return {"filename": name, "size": len(data), "download": f"/api/jobs/{ctx.job_id}/download",
            "scope": scope}


REPORT_FORMATS = {"zip": "application/zip",
                  "pptx": "application/vnd.openxmlformats-officedocument.presentationml."
                          "presentation"}


def report_format(params: dict[str, Any]) -> str:
    """The file a report job builds: the report zip (default) or the TAG deck (pptx)."""
    fmt = str(params.get("format") or "zip")
    if fmt not in REPORT_FORMATS:
        raise InputError(f"format must be one of {', '.join(REPORT_FORMATS)}", field="format")
    return fmt


def report_file(data_dir: Path, job_id: int, fmt: str = "zip") -> Path:
    """Where a report job keeps its file (zip, or pptx for the deck)."""
    suffix = fmt if fmt in REPORT_FORMATS else "zip"
    return Path(data_dir) / "reports" / f"report-job-{int(job_id)}.{suffix}"


def sync_checkpoint(data_dir: Path, job_id: int) -> Path:
    """The sync job's record of finished chunks (one line per chunk; a rerun skips them)."""
    return Path(data_dir) / "syncs" / f"sync-job-{int(job_id)}.chunks"


@handler("dhis2_sync")
def run_dhis2_sync(ctx: JobContext) -> dict[str, Any]:
    """Pull chosen data elements and periods from the workspace's DHIS2 into its store,
    chunk by chunk (split on DHIS2's 409 row cap, retried with backoff), resumable."""
    from mmsis.data.dhis2.client import pull
    from mmsis.web import onboarding, programme

    db = _session(ctx)
    try:
        access = job_access(db, ctx, "owner")
        conn = onboarding.dhis2_connection(db, ctx.workspace_id)
        if conn is None:
            raise JobFailed("this workspace has no DHIS2 connection any more")
        ws = db.get(Workspace, ctx.workspace_id)
        assert ws is not None
        store = onboarding.store_path(db, ws, ctx.rt.data_dir)
        db.commit()
        client = onboarding.dhis2_client(conn, ctx.rt.secret, **_client_options())
    finally:
        dbm.close_session(db)
    checkpoint = sync_checkpoint(ctx.rt.data_dir, ctx.job_id)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    if checkpoint.exists():
        done = sum(1 for line in checkpoint.read_text().splitlines() if line.strip())
        ctx.log(f"resuming: {done} chunk(s) done before")
    p = ctx.params

    def on_chunk(key: str, finished: int, remaining: int) -> None:
        ctx.progress(0.05 + 0.9 * finished / max(1, finished + remaining), f"chunk {key} done")

    ctx.progress(0.02, f"pulling from {conn.url}")
    try:
        # one batch for the sync (each chunk's transaction records it), so the caches keyed
        # by the store's batches see the new values
        with onboarding.writable_store(store) as st, st.batch(f"sync:{ctx.job_id}",
                                                              "dhis2_sync", conn.url):
            result = pull(client, st, data_elements=list(p["data_elements"]),
                          periods=list(p["periods"]), org_unit=p.get("org_unit"),
                          level=p.get("level"), checkpoint=checkpoint,
                          chunk_periods=int(p.get("chunk_periods") or 12), on_chunk=on_chunk,
                          on_step=lambda step, key: programme.crash_point(f"sync_{step}"))
    finally:
        client.close()
    programme.crash_point("sync_end")  # (the crash tests: every chunk in, the job not done)
    db = _session(ctx)
    try:
        ws = db.get(Workspace, ctx.workspace_id)
        assert ws is not None
        onboarding.rebuild_org_unit_cache(db, ws)
        from mmsis.web import services

        services.audit(db, access, "sync", "dhis2", ws.id, url=conn.url,
                       values=result.values, chunks=result.chunks_done)
        db.commit()
    finally:
        dbm.close_session(db)
    from mmsis.web import warmup

    warmup.after_import()  # the dashboards of the new values, computed ahead
    return {"url": conn.url, **{k: getattr(result, k) for k in (
        "chunks_done", "chunks_skipped", "splits", "values", "imported", "updated", "ignored")}}


def _client_options() -> dict[str, Any]:
    """Retries and backoff of the DHIS2 client (MMSIS_DHIS2_RETRIES / _BACKOFF for tests)."""
    out: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        out["retries"] = int(os.environ.get("MMSIS_DHIS2_RETRIES", "4"))
        out["backoff"] = float(os.environ.get("MMSIS_DHIS2_BACKOFF", "1.0"))
    return out


def job_params_summary(params_json: str) -> str:
    """A short human summary of a job's parameters (pages)."""
    p = json.loads(params_json or "{}")
    if "filename" in p:
        return str(p["filename"])
    if "data_elements" in p:
        return f"{', '.join(p['data_elements'])} · {', '.join(p['periods'])}"
    return ""


__all__ = ["InputError", "job_access"]
