"""`mmsis jobs worker`: run background jobs on this machine (beside or instead of the server's)."""

from __future__ import annotations

import os

import typer

jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs of the web workspace.")


@jobs_app.command("worker")
def worker(
    database: str | None = typer.Option(
        None, "--database", help="The web database URL (env MMSIS_DATABASE_URL), as the server's."
    ),
    threads: int = typer.Option(2, "--threads", min=1, max=32, help="Jobs run at once."),
) -> None:
    """Consume the job queue (MMSIS_JOBS_BROKER, e.g. redis://host:6379/0) until stopped."""
    from mmsis.web import db as dbm
    from mmsis.web import jobs

    url = database or os.environ.get("MMSIS_DATABASE_URL") or dbm.DEFAULT_DATABASE
    os.environ["MMSIS_DATABASE_URL"] = url
    if not os.environ.get("MMSIS_SECRET_KEY") and not os.environ.get("MMSIS_ENCRYPTION_KEY"):
        typer.echo("warning: without MMSIS_SECRET_KEY (the server's) DHIS2 syncs cannot read "
                   "the saved token", err=True)
    broker = jobs.use_broker(url)
    engine = dbm.make_engine(url)
    dbm.upgrade(engine)  # idempotent: a worker started before the server finds its tables
    sessions = dbm.session_factory(engine)
    jobs.register(engine, sessions, os.environ.get("MMSIS_SECRET_KEY", ""))
    counts = jobs.recover(engine, sessions)
    typer.echo(f"mmsis job worker: {threads} thread(s) on {broker}; after restart {counts}")
    consumer = jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=False)
    consumer.run()  # huey's own loop: SIGINT stops after running jobs, SIGTERM at once
