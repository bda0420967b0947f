"""The programme store is the one home of values: the indicators API and `mmsis routine series`
give the same rows over a 5-level hierarchy with several option combos, and an upload killed
(kill -9) at any step is, after a restart, either wholly in the store or not at all, and its
status says which."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

FIVE_LEVELS = pd.DataFrame(
    [
        ("N", "Nation", None), ("R", "Region", "N"), ("D", "District", "R"),
        ("S1", "Sub-district 1", "D"), ("S2", "Sub-district 2", "D"),
        ("F1", "Facility 1", "S1"), ("F2", "Facility 2", "S1"), ("F3", "Facility 3", "S2"),
    ],
    columns=["id", "name", "parent_id"],
)
ELEMENTS = pd.DataFrame(
    [("ANC1", "INTEGER_ZERO_OR_POSITIVE", "SUM"), ("MMS_SOH", "NUMBER", "LAST"),
     ("MMS_ADJ", "INTEGER", "SUM")],
    columns=["id", "value_type", "aggregation_type"],
)
VALUES = (
    "dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value\n"
    "ANC1,202401,F1,under20,,10\nANC1,202401,F1,over20,,15\nANC1,202401,F2,under20,,4\n"
    "ANC1,202401,F3,over20,AOC1,6\nANC1,202402,F3,over20,,2\n"
    "MMS_SOH,2024W1,F1,,,100\nMMS_SOH,2024W3,F1,,,80\nMMS_SOH,202401,F3,,,50\n"
    "MMS_ADJ,202401,F2,,,-30\n"
)


def _world(tmp_path: Path) -> Any:
    from tests.web.conftest import make_world

    from mmsis.web import db as dbm
    from mmsis.web import programme, services
    from mmsis.web.models import Workspace

    world = make_world(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    with dbm.session_scope(world.app.state.sessions) as db:
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        ws.name = "Five levels"
        with programme.writing(ws) as st:  # this workspace's country is the 5-level one
            st.con.execute("DELETE FROM org_units")
        rep = programme.store_metadata(
            db, ws, {"org_units": FIVE_LEVELS, "data_elements": ELEMENTS})
        assert rep.ok, rep.refusals
        with programme.reading(ws) as st:
            frame = st.org_units()
        services.load_org_units(db, ws, frame)
    return world


def test_indicators_api_and_cli_give_the_same_rows(tmp_path: Path) -> None:
    from mmsis.cli import app as cli
    from mmsis.web import db as dbm
    from mmsis.web.models import Workspace

    world = _world(tmp_path)
    c = world.client("editor")
    wid = world.workspace_id
    r = c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
               files={"file": ("v.csv", VALUES.encode(), "text/csv")})
    assert r.status_code == 201, r.text
    with dbm.session_scope(world.app.state.sessions) as db:
        ws = db.get(Workspace, wid)
        assert ws is not None and ws.store_path
        store = ws.store_path
    runner = CliRunner()
    for ou in ("D", "S1", "F1", None):
        params: dict[str, Any] = {"data_element": ["ANC1", "MMS_SOH", "MMS_ADJ"]}
        args = ["routine", "series", "--store", store, "--element", "ANC1", "--element",
                "MMS_SOH", "--element", "MMS_ADJ", "--json"]
        if ou:
            params["org_unit"] = ou
            args += ["--org-unit", ou]
        api = c.get(f"/api/workspaces/{wid}/indicators", params=params)
        assert api.status_code == 200, api.text
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
        assert json.loads(res.output) == api.json()
    rows = {(r["data_element"], r["period"]): r["value"] for r in c.get(
        f"/api/workspaces/{wid}/indicators",
        params={"data_element": ["ANC1", "MMS_SOH", "MMS_ADJ"], "org_unit": "S1"}).json()}
    # every combo and every facility below S1 (F1, F2); not F3 (in S2)
    assert rows[("ANC1", "202401")] == 10 + 15 + 4
    # LAST per facility: the weeks roll up into January with the later week's stock
    assert rows[("MMS_SOH", "202401")] == 80
    assert rows[("MMS_ADJ", "202401")] == -30  # negative adjustments are valid INTEGERs
    national = c.get(f"/api/workspaces/{wid}/indicators",
                     params={"data_element": "ANC1"}).json()
    assert national[0] == {"data_element": "ANC1", "org_unit": "N", "period": "202401",
                           "value": 35.0}
    # --level: one row per sub-district inside the district
    res = runner.invoke(cli, ["routine", "series", "--store", store, "--element", "ANC1",
                              "--org-unit", "D", "--level", "4", "--json"])
    got = {(r["org_unit"], r["period"]): r["value"] for r in json.loads(res.output)}
    assert got == {("S1", "202401"): 29.0, ("S2", "202401"): 6.0, ("S2", "202402"): 2.0}
    # a district user's default is their scope root, and other units are not found
    assert c.get(f"/api/workspaces/{wid}/indicators", params={"org_unit": "NOPE"}
                 ).status_code == 404


# --- kill -9 at each step of an upload -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmsis.cli", "serve", "--port", str(port), "--database", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    root = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{root}/login", timeout=2).status_code == 200:
                return proc, root
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not start")


def _login(root: str, email: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=root, follow_redirects=True, timeout=120)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token
    c.post("/login", data={"email": email, "password": password,
                           "csrf_token": token.group(1), "next": "/"})
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    return c


@pytest.mark.slow
@pytest.mark.parametrize("step", ["recorded", "store_commit", "store_written"])
def test_kill_9_leaves_the_whole_upload_or_none_and_the_status_says_which(
        tmp_path: Path, step: str) -> None:
    from tests.web.conftest import PASSWORD

    from mmsis.data.store import Store
    from mmsis.web import create_app
    from mmsis.web import db as dbm
    from mmsis.web.models import Upload, Workspace

    world = _world(tmp_path)
    with dbm.session_scope(world.app.state.sessions) as db:
        store = db.get(Workspace, world.workspace_id).store_path  # type: ignore[union-attr]
    from mmsis.web import programme

    programme.close(store)  # the server process opens it next
    world.app.state.engine.dispose()
    rows = ["dataElement,period,orgUnit,categoryOptionCombo,value"] + [
        f"ANC1,{2000 + m // 12}{m % 12 + 1:02d},F{1 + i % 3},c{i},{i}"
        for m in range(240) for i in range(60)]
    body = ("\n".join(rows) + "\n").encode()
    env = {**os.environ, "MMSIS_SECRET_KEY": "crash", "MMSIS_CRASH_AT": step}
    proc, root = _serve(world.url, env)
    try:
        c = _login(root, world.emails["editor"], PASSWORD)
        with pytest.raises(httpx.HTTPError):
            c.post(f"/api/workspaces/{world.workspace_id}/uploads", data={"kind": "dhis2"},
                   files={"file": ("big.csv", body, "text/csv")})
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    # restart: the upload left 'importing' is settled by whether its batch committed
    app = create_app(world.url, secret_key="crash")
    with dbm.session_scope(app.state.sessions) as db:
        (up,) = db.query(Upload).all()
        status = up.status
        up_id = up.id
    with Store(store, read_only=True) as st:
        n = st.count("data_values")
        batch = st.has_batch(f"upload:{up_id}")
    programme.close(store)
    if step == "store_written":
        assert status == "imported" and batch and n == len(rows) - 1
    else:
        assert status == "failed" and not batch and n == 0
