"""Background jobs on huey: large uploads, DHIS2 syncs, report builds and recompute.

The queue is huey's (https://huey.readthedocs.io): a SQLite file next to the web database by
default, consumed by threads that `mmsis serve` starts; Redis (`MMSIS_JOBS_BROKER=redis://...`)
when jobs run on other machines (`mmsis jobs worker` or `huey_consumer mmsis.web.jobs.huey`).
Without a broker configured (tests, an app built by `create_app` alone) huey runs in immediate
mode: a job runs inside the request that submits it.

The web database keeps what people see of a job (the `jobs` table): status, progress 0..1,
log, result. huey removes a task from its queue when a worker takes it, so a job whose worker
died (kill -9, power cut) would stay "running" for ever: `recover()` runs at every consumer
start and fails such jobs, or puts resumable ones (DHIS2 syncs) back in the queue.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from mmsis.errors import MmsisError
from mmsis.serialize import to_jsonable
from mmsis.web import db as dbm
from mmsis.web.deps import Forbidden, NotFound
from mmsis.web.job_models import Job
from mmsis.web.models import utcnow
from mmsis.web.parsers import UploadRefused

log = logging.getLogger("mmsis.web.jobs")
JOB_KINDS = ("upload", "dhis2_sync", "report", "recompute")
RESUMABLE = frozenset({"dhis2_sync"})
LOG_KEPT_CHARS = 20000
CONSUMER_THREADS = 2


def _make_huey() -> Huey:
    """The queue named by MMSIS_JOBS_BROKER (sqlite:///file or redis://host), else immediate."""
    broker = os.environ.get("MMSIS_JOBS_BROKER", "").strip()
    if broker.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("mmsis", url=broker)
    if broker.startswith("sqlite:///"):
        return SqliteHuey("mmsis", filename=broker[len("sqlite:///") :])
    return SqliteHuey("mmsis", immediate=True)  # memory storage until use_broker() is called


huey: Huey = _make_huey()
"""The job queue (`huey_consumer mmsis.web.jobs.huey` runs workers on it)."""


def use_broker(database_url: str) -> str:
    """Point the queue at its broker before consumers start: MMSIS_JOBS_BROKER, or a SQLite
    file next to the web database (its data directory); returns the broker's description."""
    broker = os.environ.get("MMSIS_JOBS_BROKER", "").strip()
    if not broker:
        broker = f"sqlite:///{data_dir_for(database_url) / 'jobs-queue.sqlite3'}"
        os.environ["MMSIS_JOBS_BROKER"] = broker  # server workers and children see the same
    if huey.immediate or not isinstance(huey, RedisHuey):
        if broker.startswith(("redis://", "rediss://", "unix://")):
            globals()["huey"] = _make_huey()
            _register_tasks(huey)
        else:
            huey.storage_kwargs = {"filename": broker[len("sqlite:///") :]}
            if huey.immediate:
                huey.immediate = False  # recreates the storage on the file
            else:
                huey.storage = huey.create_storage()
    return broker.split("@")[-1]


def data_dir_for(database_url: str) -> Path:
    """Where the workspace files (stores, job files) live: MMSIS_DATA_DIR, else a directory
    `mmsis-data` next to a SQLite database, else `./mmsis-data`."""
    env = os.environ.get("MMSIS_DATA_DIR", "").strip()
    if env:
        base = Path(env)
    elif database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        base = Path(database_url[len("sqlite:///") :]).resolve().parent / "mmsis-data"
    else:
        base = Path.cwd() / "mmsis-data"
    base.mkdir(parents=True, exist_ok=True)
    return base


# --- where jobs find the web database ---------------------------------------------------------


@dataclass
class Runtime:
    """What a job needs from the app that submitted it: sessions, secret, data directory."""

    sessions: sessionmaker[Session]
    secret: str
    data_dir: Path


_RUNTIMES: dict[str, Runtime] = {}
_RUNTIME_LOCK = threading.Lock()


def database_key(engine: Engine) -> str:
    """The database's URL without its password: what a queued task carries."""
    return engine.url.render_as_string(hide_password=True)


def register(engine: Engine, sessions: sessionmaker[Session], secret: str) -> str:
    """Make an app's database known to jobs run in this process (create_app calls it)."""
    key = database_key(engine)
    url = engine.url.render_as_string(hide_password=False)
    with _RUNTIME_LOCK:
        _RUNTIMES[key] = Runtime(sessions, secret, data_dir_for(url))
    return key


def runtime(key: str) -> Runtime:
    """The runtime of a database key; a worker on another machine builds it from its
    environment (MMSIS_DATABASE_URL with the password, MMSIS_SECRET_KEY)."""
    with _RUNTIME_LOCK:
        found = _RUNTIMES.get(key)
    if found is not None:
        return found
    url = os.environ.get("MMSIS_DATABASE_URL", "")
    engine = dbm.make_engine(url or key)
    if url and database_key(engine) != key:
        raise RuntimeError(f"this worker's MMSIS_DATABASE_URL is not the job's database {key}")
    secret = os.environ.get("MMSIS_SECRET_KEY", "")
    register(engine, dbm.session_factory(engine), secret)
    return _RUNTIMES[database_key(engine)]


# --- running a job ----------------------------------------------------------------------------


class JobFailed(MmsisError):
    """A job stopped for a reason its user can act on (the message is shown as is)."""


@dataclass
class JobContext:
    """What a job handler gets: its parameters, and ways to report progress and log lines."""

    job_id: int
    workspace_id: int
    created_by: int | None
    params: dict[str, Any]
    rt: Runtime
    _lines: list[str] = field(default_factory=list)

    def progress(self, fraction: float, line: str | None = None) -> None:
        """Record progress (0..1) and optionally a log line, committed at once."""
        fraction = min(1.0, max(0.0, float(fraction)))
        with dbm.session_scope(self.rt.sessions) as db:
            job = db.get(Job, self.job_id)
            if job is None:
                return
            job.progress = max(job.progress, fraction)
            if line:
                job.log = _append(job.log, line)
            job.updated_at = utcnow()

    def log(self, line: str) -> None:
        """Append a log line."""
        with dbm.session_scope(self.rt.sessions) as db:
            job = db.get(Job, self.job_id)
            if job is not None:
                job.log = _append(job.log, line)
                job.updated_at = utcnow()


def _append(text: str, line: str) -> str:
    stamp = utcnow().strftime("%H:%M:%S")
    out = f"{text}{stamp} {line}\n"
    return out[-LOG_KEPT_CHARS:]


Handler = Callable[[JobContext], Any]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of one kind."""
    if kind not in JOB_KINDS:
        raise ValueError(kind)

    def deco(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return deco


def worker_id() -> str:
    """host:pid of this process (recorded on the jobs it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(key: str, job_id: int) -> None:
    """Run one queued job (what the huey task does); a job not queued any more is left."""
    _load_handlers()
    rt = runtime(key)
    with dbm.session_scope(rt.sessions) as db:
        taken = db.execute(  # type: ignore[attr-defined]
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", worker=worker_id(), started_at=utcnow(), updated_at=utcnow())
        ).rowcount
        job = db.get(Job, job_id)
        if not taken or job is None:
            return
        ctx = JobContext(job.id, job.workspace_id, job.created_by, json.loads(job.params_json), rt)
        kind = job.kind
    try:
        result = HANDLERS[kind](ctx)
    except (MmsisError, ValueError) as exc:
        _finish(rt, job_id, "failed", None, str(exc))
        return
    except (Forbidden, NotFound, UploadRefused) as exc:
        _finish(rt, job_id, "failed", None, str(getattr(exc, "detail", None) or exc))
        return
    except Exception:
        log.exception("job %s (%s) crashed", job_id, kind)
        _finish(rt, job_id, "failed", None, "the job stopped on an internal error (logged)")
        return
    _finish(rt, job_id, "done", result, "done")


def _finish(rt: Runtime, job_id: int, status: str, result: Any, line: str) -> None:
    with dbm.session_scope(rt.sessions) as db:
        job = db.get(Job, job_id)
        if job is None:
            return
        job.status = status
        if status == "done":
            job.progress = 1.0
        job.result_json = json.dumps(to_jsonable(result)) if result is not None else None
        job.log = _append(job.log, line)
        job.finished_at = job.updated_at = utcnow()


def _register_tasks(q: Huey) -> None:
    global run_job_task
    run_job_task = q.task(name="mmsis.run_job")(run_job)


run_job_task: Any = None
_register_tasks(huey)


def _load_handlers() -> None:
    """Import the modules that register handlers (kept out of this module's imports)."""
    if len(HANDLERS) < len(JOB_KINDS):
        from mmsis.web import job_handlers  # noqa: F401


# --- submitting and reading -------------------------------------------------------------------


def submit(
    db: Session,
    workspace_id: int,
    kind: str,
    params: dict[str, Any],
    user_id: int | None,
    line: str = "queued",
) -> Job:
    """Record a job and queue it (committing the request's transaction first: the worker
    must find the row)."""
    if kind not in JOB_KINDS:
        raise ValueError(kind)
    dbm.begin_write(db)
    job = Job(
        workspace_id=workspace_id,
        kind=kind,
        status="queued",
        progress=0.0,
        log=_append("", line),
        params_json=json.dumps(params),
        created_by=user_id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.add(job)
    db.flush()
    db.commit()
    enqueue(db.get_bind(), job.id)  # type: ignore[arg-type]
    db.refresh(job)  # immediate mode: the job has run already
    return job


def enqueue(engine: Engine, job_id: int) -> None:
    """Put a recorded job in huey's queue."""
    run_job_task(database_key(engine), job_id)


def job_out(job: Job) -> dict[str, Any]:
    """A job as the API shows it (status, progress 0..1, result, log)."""
    return {
        "id": job.id,
        "workspace_id": job.workspace_id,
        "kind": job.kind,
        "status": job.status,
        "progress": round(float(job.progress), 4),
        "result": json.loads(job.result_json) if job.result_json else None,
        "log": job.log,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def recent_jobs(db: Session, workspace_id: int, limit: int = 20) -> list[Job]:
    """A workspace's latest jobs, newest first."""
    return list(
        db.scalars(
            select(Job).where(Job.workspace_id == workspace_id).order_by(Job.id.desc()).limit(limit)
        )
    )


# --- restart: jobs whose worker died ------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(engine: Engine, sessions: sessionmaker[Session]) -> dict[str, int]:
    """Jobs left 'running' by a dead process of this host: resumable ones go back to the
    queue, the others are marked failed; 'queued' jobs are queued again (a job runs once:
    run_job takes only queued jobs). Returns counts."""
    host = socket.gethostname()
    me = os.getpid()
    counts = {"resumed": 0, "failed": 0, "requeued": 0}
    again: list[int] = []
    with dbm.session_scope(sessions) as db:
        for job in db.scalars(select(Job).where(Job.status.in_(("running", "queued")))):
            if job.status == "queued":
                again.append(job.id)
                counts["requeued"] += 1
                continue
            whost, _, wpid = (job.worker or "").rpartition(":")
            if whost != host or not wpid.isdigit():
                continue  # another machine's worker recovers its own jobs
            pid = int(wpid)
            if pid != me and _alive(pid):
                continue
            if job.kind in RESUMABLE:
                job.status, job.worker = "queued", None
                job.log = _append(job.log, "the server stopped during the job: resumed")
                again.append(job.id)
                counts["resumed"] += 1
            else:
                job.status = "failed"
                job.finished_at = utcnow()
                job.log = _append(job.log, "the server stopped during the job; start it again")
                counts["failed"] += 1
            job.updated_at = utcnow()
    for job_id in again:
        enqueue(engine, job_id)
    return counts


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer inside the web server: threads only, the server keeps its signals."""

    def _set_signal_handlers(self) -> None:
        return None


_CONSUMERS: list[Consumer] = []


def start_consumer(database_url: str, engine: Engine, sessions: sessionmaker[Session],
                   threads: int = CONSUMER_THREADS) -> Consumer:
    """Start huey worker threads in this process (mmsis serve) after recovering dead jobs."""
    use_broker(database_url)
    counts = recover(engine, sessions)
    if counts["resumed"] or counts["failed"]:
        log.warning("jobs after restart: %s", counts)
    consumer = EmbeddedConsumer(huey, workers=threads, worker_type="thread", periodic=False,
                                initial_delay=0.1, max_delay=1.0)
    consumer.start()
    _CONSUMERS.append(consumer)
    return consumer


def start_for_app(app: Any, database_url: str) -> None:
    """Run the embedded job consumer while a served app runs (`mmsis serve` and its workers):
    started by the app's startup, stopped at its shutdown, so nothing runs unless it serves."""
    started: list[Consumer] = []

    def start() -> None:
        started.append(start_consumer(database_url, app.state.engine, app.state.sessions))

    def stop() -> None:
        for consumer in started:
            consumer.stop(graceful=False)
            if consumer in _CONSUMERS:
                _CONSUMERS.remove(consumer)

    app.router.on_startup.append(start)
    app.router.on_shutdown.append(stop)
