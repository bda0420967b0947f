"""kill -9 of `mmsis serve` during a DHIS2 sync job: on restart the job resumes from its last
finished chunk and the store ends with exactly the values of an uninterrupted sync."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from data_dhis2 import loopback_dhis2

pytestmark = [pytest.mark.slow]

PASSWORD = "kill-nine resumes the sync 2024"
EMAIL = "admin@example.org"
PERIODS = [f"2024{m:02d}" for m in range(1, 7)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`mmsis serve` in a child process (the job consumer runs inside it)."""

    def __init__(self, url: str, base: Path) -> None:
        self.url, self.base = url, base
        self.port = _free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "MMSIS_SECRET_KEY": "kill-test-secret",
                    "MMSIS_DHIS2_BACKOFF": "0.05"}
        self.env.pop("MMSIS_JOBS_BROKER", None)

    def start(self, crash: dict[str, str] | None = None) -> None:
        """Start (with MMSIS_CRASH_AT / MMSIS_CRASH_SKIP from `crash`: it kills itself there)."""
        log = (self.base / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mmsis.cli", "serve", "--port", str(self.port),
             "--database", self.url], env={**self.env, **(crash or {})}, stdout=log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.root}/login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError((self.base / "server.log").read_text()[-2000:])

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def client(self) -> httpx.Client:
        c = httpx.Client(base_url=self.root, timeout=30)
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        r = c.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                   "csrf_token": token.group(1), "next": "/"})
        assert r.status_code in (200, 303), r.text
        c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        return c


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    from mmsis.web.accounts import create_user

    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    create_user(url, EMAIL, PASSWORD, name="Admin", is_admin=True)
    srv = Server(url, tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _job(c: httpx.Client, job_id: int) -> dict:  # type: ignore[type-arg]
    return c.get(f"/api/jobs/{job_id}").json()  # type: ignore[no-any-return]


def test_a_sync_killed_midway_resumes_and_ends_with_the_uninterrupted_values(
    server: Server, tmp_path: Path
) -> None:
    from mmsis.data.store import Store

    with loopback_dhis2.serve() as (base, state):
        state.delay = 0.5  # each chunk (one period) takes half a second to answer
        c = server.client()
        wid = c.post("/api/workspaces", json={"name": "Killland"}).json()["id"]
        assert c.put(f"/api/workspaces/{wid}/dhis2",
                     json={"url": base, "token": loopback_dhis2.TOKEN}).status_code == 200
        r = c.post(f"/api/workspaces/{wid}/dhis2/sync",
                   json={"data_elements": ["ANC1", "MMS_CLIENTS"], "periods": PERIODS,
                         "chunk_periods": 1})
        assert r.status_code == 202, r.text
        job_id = r.json()["job"]
        deadline = time.monotonic() + 60
        while _job(c, job_id)["log"].count("done\n") < 2:  # two chunks finished
            assert time.monotonic() < deadline, _job(c, job_id)
            time.sleep(0.1)
        server.kill9()
        c.close()
        server.start()
        c = server.client()
        deadline = time.monotonic() + 60
        while (job := _job(c, job_id))["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        requests = list(state.requests)
    assert job["status"] == "done", job["log"]
    assert "resumed" in job["log"]
    assert job["result"]["chunks_skipped"] >= 2  # finished chunks were not pulled again
    analytics = [q for q in requests if q.startswith("/api/analytics")]
    assert len(analytics) < len(PERIODS) + 2  # at most the chunk running at the kill repeats
    store = c.get(f"/api/workspaces/{wid}").json()
    assert store["id"] == wid
    c.close()
    server.stop()
    path = tmp_path / "mmsis-data" / f"workspace-{wid}.duckdb"
    with Store(str(path), read_only=True) as st:
        got = st.query("SELECT data_element, period, org_unit, value FROM data_values "
                       "ORDER BY 1, 2, 3").values.tolist()
    expected = sorted((de, pe, ou, float(loopback_dhis2.value_of(de, pe, ou)))
                      for de in ("ANC1", "MMS_CLIENTS") for pe in PERIODS
                      for ou in ("F11", "F12", "F21"))
    assert [(a, b, c_, float(v)) for a, b, c_, v in got] == expected


# --- kill -9 at each step of a sync (fault points: mmsis.web.programme.CRASH_ENV) -----------

ELEMENTS = ["ANC1", "MMS_CLIENTS"]
UNITS = ("F11", "F12", "F21")


def _expected() -> list[tuple[str, str, str, float]]:
    return sorted((de, pe, ou, float(loopback_dhis2.value_of(de, pe, ou)))
                  for de in ELEMENTS for pe in PERIODS for ou in UNITS)


def _stored(path: Path) -> list[tuple[str, str, str, float]]:
    from mmsis.data.store import Store

    with Store(str(path), read_only=True) as st:
        got = st.query("SELECT data_element, period, org_unit, value FROM data_values "
                       "ORDER BY 1, 2, 3").values.tolist()
    return [(a, b, c, float(v)) for a, b, c, v in got]


@pytest.mark.parametrize(("step", "skip", "in_store_beyond_checkpoint"), [
    ("sync_fetched", "2", 0),     # the third chunk fetched, its transaction not begun
    ("store_commit", "3", 0),     # inside a store transaction, before COMMIT
    ("sync_committed", "2", 1),   # the third chunk committed, the job's checkpoint not saved
    ("sync_end", "0", 0),         # every chunk in, the job not yet done
])
def test_a_sync_killed_at_each_step_keeps_whole_chunks_and_resumes_to_the_same_values(
    tmp_path: Path, step: str, skip: str, in_store_beyond_checkpoint: int
) -> None:
    """The server kills itself (SIGKILL) at the step; the store then holds whole chunks only
    (a period's six values, or none of them), as many as the checkpoint says are finished
    (plus the one committed before its checkpoint line); after a restart the job is resumed
    (docs/web.md: a sync is resumable) and ends with the values of an uninterrupted sync."""
    from mmsis.web.accounts import create_user

    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    create_user(url, EMAIL, PASSWORD, name="Admin", is_admin=True)
    server = Server(url, tmp_path)
    server.start(crash={"MMSIS_CRASH_AT": step, "MMSIS_CRASH_SKIP": skip})
    try:
        with loopback_dhis2.serve() as (base, _state):
            c = server.client()
            wid = c.post("/api/workspaces", json={"name": "Killland"}).json()["id"]
            assert c.put(f"/api/workspaces/{wid}/dhis2",
                         json={"url": base, "token": loopback_dhis2.TOKEN}).status_code == 200
            r = c.post(f"/api/workspaces/{wid}/dhis2/sync",
                       json={"data_elements": ELEMENTS, "periods": PERIODS, "chunk_periods": 1})
            assert r.status_code == 202, r.text
            job_id = r.json()["job"]
            c.close()
            assert server.proc is not None
            assert server.proc.wait(timeout=120) == -signal.SIGKILL  # it died at the step
            data = tmp_path / "mmsis-data"
            store = data / f"workspace-{wid}.duckdb"
            checkpoint = data / "syncs" / f"sync-job-{job_id}.chunks"
            finished = [x for x in (checkpoint.read_text().splitlines()
                                    if checkpoint.exists() else []) if x.strip()]
            stored = _stored(store) if store.exists() else []
            by_period: dict[str, int] = {}
            for _de, pe, _ou, _v in stored:
                by_period[pe] = by_period.get(pe, 0) + 1
            assert set(by_period.values()) <= {len(ELEMENTS) * len(UNITS)}, by_period
            assert set(stored) <= set(_expected())
            if step == "sync_end":
                assert stored == _expected() and len(finished) == len(PERIODS)
            else:
                assert 0 < len(by_period) < len(PERIODS), by_period  # killed midway
                assert len(by_period) == len(finished) + in_store_beyond_checkpoint
            server.start()  # no fault this time
            c = server.client()
            deadline = time.monotonic() + 120
            while (job := _job(c, job_id))["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, job
                time.sleep(0.2)
            c.close()
    finally:
        server.stop()
    assert job["status"] == "done", job["log"]
    assert "resumed" in job["log"]
    assert job["result"]["chunks_skipped"] == len(finished)  # finished chunks not pulled again
    assert _stored(store) == _expected()
