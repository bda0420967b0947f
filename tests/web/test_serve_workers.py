"""`mmsis serve --workers 2`: sessions, uploads and the analytics store across processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mmsis.datasets import ExampleCountry

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_workers(tmp_path: Path, example_country: ExampleCountry) -> Any:
    from mmsis.demos.web import seed_demo

    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    info = seed_demo(url, tmp_path / "data", country=example_country)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MMSIS_SECRET_KEY"}  # parent makes one
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmsis.cli", "serve", "--workers", "2", "--port", str(port),
         "--database", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{root}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield {"root": root, "url": url, "pid": proc.pid, **info}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _login(root: str, email: str, password: str) -> tuple[httpx.Cookies, str]:
    with httpx.Client(base_url=root, follow_redirects=True, timeout=60) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token
        c.post("/login", data={"email": email, "password": password,
                               "csrf_token": token.group(1), "next": "/"})
        me = c.get("/api/me")
        assert me.status_code == 200, me.text
        return c.cookies, me.json()["csrf_token"]


def test_two_workers_share_sessions_uploads_and_the_store(two_workers: dict[str, Any]) -> None:
    import psutil

    root, wid = two_workers["root"], two_workers["workspace_id"]
    kids = psutil.Process(two_workers["pid"]).children(recursive=True)
    assert sum("mmsis.web.app" in " ".join(p.cmdline()) or "multiprocessing" in " ".join(
        p.cmdline()) for p in kids) >= 2  # the workers (and their store writers) are up
    cookies, csrf = _login(root, two_workers["email"], two_workers["password"])
    # a new connection per request lands on either worker: the session holds on both
    for _ in range(12):
        with httpx.Client(base_url=root, cookies=cookies, timeout=60) as c:
            assert c.get("/api/me").status_code == 200
    facilities = ["FAC0001", "FAC0002", "FAC0003", "FAC0004"]
    acked: list[int] = []

    def uploader(i: int) -> None:
        for month in range(1, 6):
            body = "dataElement,period,orgUnit,value\n" + "\n".join(
                f"ANC4,{2031 + i}{month:02d},{f},{month}" for f in facilities)
            with httpx.Client(base_url=root, cookies=cookies, timeout=120,
                              headers={"X-CSRF-Token": csrf}) as c:
                r = c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                           files={"file": ("w.csv", body.encode(), "text/csv")})
                assert r.status_code == 201, r.text
                acked.append(int(r.json()["rows_imported"]))

    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(acked) == 4 * 5 * len(facilities)
    # every value is in the DuckDB programme store when its 201 comes, whichever worker took it
    from mmsis.data.store import Store
    from mmsis.web.analytics import store_file_lock

    store_path = str(Path(two_workers["url"].removeprefix("sqlite:///")).parent / "data"
                     / f"workspace-{wid}.duckdb")
    # the workers release the store when idle (the file lock is then free for this process)
    with store_file_lock(store_path), Store(store_path, read_only=True) as st:
        copied = int(st.query("SELECT count(*) AS n FROM data_values "
                              "WHERE data_element = 'ANC4' AND period >= '2031'")["n"].iloc[0])
    assert copied == sum(acked)
