"""Fixtures for the web workspace: apps on SQLite and on a real PostgreSQL server, users, logins."""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient


def _root_conftest():  # type: ignore[no-untyped-def]
    """tests/conftest.py as a module (it is not a package), for its peer_missing rule."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("mmsis_tests_root_conftest", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peer_missing = _root_conftest().peer_missing

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the 'postgres' system user when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throw-away PostgreSQL server on a loopback port; yields its admin URL (no database)."""
    bindir = _pg_bin()
    if bindir is None:
        peer_missing("PostgreSQL is not installed (apt-get install postgresql)")
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="mmsis-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = _free_port()
    init = subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "mmsis",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        peer_missing(f"initdb failed: {init.stderr.strip()[-300:]}")
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-w",
                "-l",
                str(base / "log"),
                "start",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        peer_missing(f"PostgreSQL did not start: {start.stderr.strip()[-300:]}")
    try:
        yield f"postgresql+psycopg://mmsis@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def _new_pg_database(server: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(
        server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name is generated above, not user input
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database: SQLite file, then a PostgreSQL database on the test server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'web.sqlite3'}"
    # A PostgreSQL workspace's store would go to ./mmsis-data (the working directory), shared by
    # every test and every concurrent run: each test gets its own folder instead.
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("MMSIS_DATA_DIR", str(tmp_path / "mmsis-data"))
    return _new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'web.sqlite3'}"


ORG_UNITS = pd.DataFrame(
    [
        ("C", "Examplia", 1, None, "/C", 1000.0),
        ("R1", "North", 2, "C", "/C/R1", 600.0),
        ("R2", "South", 2, "C", "/C/R2", 400.0),
        ("D1", "Alpha district", 3, "R1", "/C/R1/D1", 600.0),
        ("D2", "Beta district", 3, "R2", "/C/R2/D2", 400.0),
        ("F1", "Alpha clinic", 4, "D1", "/C/R1/D1/F1", 600.0),
        ("F2", "Beta clinic", 4, "D2", "/C/R2/D2/F2", 400.0),
    ],
    columns=["id", "name", "level", "parent_id", "path", "population"],
)


DATA_ELEMENTS = pd.DataFrame(
    [
        ("ANC1", "ANC first visits", "INTEGER_ZERO_OR_POSITIVE", "SUM"),
        ("ANC4", "ANC fourth visits", "INTEGER_ZERO_OR_POSITIVE", "SUM"),
        ("IFA_CLIENTS", "ANC clients given IFA", "INTEGER_ZERO_OR_POSITIVE", "SUM"),
        ("MMS_CLIENTS", "ANC clients given MMS", "INTEGER_ZERO_OR_POSITIVE", "SUM"),
        ("MMS_STOCK_ADJ", "MMS stock adjustment", "INTEGER", "SUM"),
    ],
    columns=["id", "name", "value_type", "aggregation_type"],
)


@dataclass
class World:
    """An app with one workspace and a user per role."""

    app: object
    url: str
    workspace_id: int
    emails: dict[str, str]
    password: str = PASSWORD

    def client(self, who: str | None = None) -> TestClient:
        """A test client, logged in as `who` (admin, owner, editor, viewer, district, outsider)."""
        c = TestClient(self.app)  # type: ignore[arg-type]
        if who is not None:
            login(c, self.emails[who])
        return c


def login(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    """Log in through the real form (with its CSRF cookie) and keep the API CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    me = client.get("/api/me").json()
    client.headers["X-CSRF-Token"] = me["csrf_token"]
    return client


_HASH: list[str] = []


def _password_hash() -> str:
    """One argon2 hash of PASSWORD for every test user (hashing is slow on purpose)."""
    if not _HASH:
        from mmsis.web.security import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def make_world(url: str) -> World:
    """Build an app on `url` with a workspace, its org units and one user per role."""
    from mmsis.web import create_app, programme, services
    from mmsis.web import db as dbm
    from mmsis.web.models import User

    emails = {
        r: f"{r}@example.org"
        for r in ("admin", "owner", "editor", "viewer", "district", "outsider")
    }
    app = create_app(url, secret_key="test-secret")
    with dbm.session_scope(app.state.sessions) as db:
        for role, email in emails.items():
            db.add(
                User(
                    email=email, name=role, password_hash=_password_hash(), is_admin=role == "admin"
                )
            )
    with dbm.session_scope(app.state.sessions) as db:
        ws = services.create_workspace(db, "Examplia", "Examplia", "")
        db.flush()
        # the programme store knows the hierarchy and the data elements (as after a metadata
        # import); the web's org-unit table mirrors the hierarchy for scopes
        assert programme.store_metadata(
            db, ws, {"org_units": ORG_UNITS, "data_elements": DATA_ELEMENTS}
        ).ok
        services.load_org_units(db, ws, ORG_UNITS)
        db.flush()
        users = {u.email: u for u in db.query(User).all()}
        for role in ("owner", "editor", "viewer"):
            services.set_member(db, None, ws, users[emails[role]], role)
        services.set_member(db, None, ws, users[emails["district"]], "editor", "D1")
        wid = ws.id
    return World(app, url, wid, emails)


@pytest.fixture
def world(sqlite_url: str) -> World:
    """A workspace world on SQLite."""
    return make_world(sqlite_url)


@pytest.fixture
def world_any(database_url: str) -> World:
    """A workspace world on each database backend."""
    return make_world(database_url)


@pytest.fixture
def csv_upload() -> Callable[[str], tuple[str, bytes, str]]:
    """Build a (filename, content, type) tuple for a CSV upload."""

    def make(text: str, name: str = "values.csv") -> tuple[str, bytes, str]:
        return (name, text.encode(), "text/csv")

    return make


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll until predicate() is true or the timeout passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False
