"""Database engine, sessions and Alembic upgrades for the web workspace (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_DATABASE = "sqlite:///mmsis-web.sqlite3"
WRITE_INTENT = "mmsis_write_intent"
WRITE_WAIT_SECONDS = 120.0
_SQLITE_WRITERS = threading.Lock()
_HOLDER: list[Session | None] = [None]
_WRITE_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


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
    if session.info.get("closed"):
        raise RuntimeError("the request ended (client gone); its late write is dropped")
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        # One writer at a time in this process, queued on a Python lock rather than in
        # SQLite's busy handler (which polls and can starve a waiter under load).
        _acquire_writer()
        session.info["write_lock"] = True
        _HOLDER[0] = session
    try:
        session.connection(execution_options={WRITE_INTENT: True})
    except BaseException:
        release_write(session)
        raise
    session.info["write_tx"] = session.get_transaction()


@asynccontextmanager
async def write_turn(session: Session) -> AsyncIterator[None]:
    """Queue a request's write on the event loop (SQLite): a waiting writer holds no thread.

    Without it, writers waiting for SQLite's single write lock each sat in a worker thread;
    a burst of uploads used up the thread pool and readers (the dashboard) queued behind them.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    turn = _WRITE_TURNS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with turn:
        yield


def _acquire_writer() -> None:
    """Wait for the write lock; take it back from a request that ended without releasing it."""
    waited = 0.0
    while not _SQLITE_WRITERS.acquire(timeout=1.0):
        waited += 1.0
        holder = _HOLDER[0]
        if holder is not None and holder.info.get("closed"):
            # a cancelled request's worker thread took the lock after its session was closed
            holder.info.pop("write_lock", None)
            _HOLDER[0] = None
            _SQLITE_WRITERS.release()
        if waited >= WRITE_WAIT_SECONDS:
            raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("write queue timeout"))


def release_write(session: Session) -> None:
    """Let the next writer in (after this session's commit or rollback)."""
    if session.info.pop("write_lock", False):
        if _HOLDER[0] is session:
            _HOLDER[0] = None
        _SQLITE_WRITERS.release()


def close_session(session: Session) -> None:
    """Close a request's session for good: late writes from its threads are refused."""
    session.info["closed"] = True
    session.close()
    release_write(session)


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
