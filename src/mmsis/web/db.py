"""Database engine, sessions and Alembic upgrades for the web workspace (SQLite or PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_DATABASE = "sqlite:///mmsis-web.sqlite3"
WRITE_INTENT = "mmsis_write_intent"
WRITE_WAIT_SECONDS = 120.0
_SQLITE_WRITERS = threading.Lock()


def normalise_url(url: str) -> str:
    """Map plain `postgresql://` URLs onto the psycopg 3 driver the project installs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout for concurrent users."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=True,
            pool_size=20,
            max_overflow=30,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # A request that will write takes the write lock up front (BEGIN IMMEDIATE), so it
            # waits its turn instead of failing when a read transaction cannot be upgraded.
            immediate = conn.get_execution_options().get(WRITE_INTENT, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent; run at every start)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def begin_write(session: Session) -> None:
    """Start the write transaction now, in this thread (BEGIN IMMEDIATE on SQLite).

    Reads done before (login, role checks) are committed first, so no lock is held across
    threads and a write never has to upgrade a stale read snapshot.
    """
    tx = session.get_transaction()
    if tx is not None and session.info.get("write_tx") is tx:
        return  # already writing: several changes of one request stay one transaction
    if session.in_transaction():
        session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        # One writer at a time in this process, queued on a Python lock rather than in
        # SQLite's busy handler (which polls and can starve a waiter under load).
        if not _SQLITE_WRITERS.acquire(timeout=WRITE_WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("write queue timeout"))
        session.info["write_lock"] = True
    try:
        session.connection(execution_options={WRITE_INTENT: True})
    except BaseException:
        release_write(session)
        raise
    session.info["write_tx"] = session.get_transaction()


def release_write(session: Session) -> None:
    """Let the next writer in (after this session's commit or rollback)."""
    if session.info.pop("write_lock", False):
        _SQLITE_WRITERS.release()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    release_write(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    release_write(session)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    session = factory()
    session.connection(execution_options={WRITE_INTENT: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        release_write(session)
