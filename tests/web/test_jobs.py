"""Background jobs: recompute from the dashboard, large uploads as jobs (202), job access,
and jobs left running by a dead server."""

from __future__ import annotations

import json
import os
import socket

import pytest
from tests.web.conftest import World


@pytest.fixture(autouse=True)
def _jobs_run_in_the_request():  # type: ignore[no-untyped-def]
    """huey in immediate mode (an in-process `mmsis serve` test may have set a broker)."""
    from mmsis.web import jobs

    jobs.huey.immediate = True
    yield

GOOD = "dataElement,period,orgUnit,value\nANC1,202401,F1,12\nANC1,202401,F2,7\nANC1,202402,F1,3\n"


def _upload(client, wid: int, text: str):  # type: ignore[no-untyped-def]
    return client.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                       files={"file": ("v.csv", text.encode(), "text/csv")})


def test_the_recompute_button_runs_a_job_and_clears_the_notice(world: World) -> None:
    wid = world.workspace_id
    editor = world.client("editor")
    assert _upload(editor, wid, GOOD).status_code == 201
    assert "1 import since the analyses were computed" in editor.get(f"/w/{wid}").text
    page = editor.get(f"/w/{wid}")
    assert f'action="/w/{wid}/analyses/refresh"' in page.text
    r = editor.post(f"/w/{wid}/analyses/refresh", follow_redirects=False)
    assert r.status_code == 303, r.text  # the route the button posts to exists now
    job_id = int(r.headers["location"].split("job=")[1].split("#")[0])
    job = editor.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "done" and job["progress"] == 1.0 and job["kind"] == "recompute"
    assert "since the analyses were computed" not in editor.get(f"/w/{wid}").text
    fragment = editor.get(f"/jobs/{job_id}/fragment").text
    assert 'data-status="done"' in fragment and "every 1s" not in fragment  # polling stops
    assert world.client("viewer").get(f"/api/jobs/{job_id}").status_code == 200
    assert world.client("outsider").get(f"/api/jobs/{job_id}").status_code == 404
    assert world.client("outsider").get(f"/jobs/{job_id}/fragment").status_code == 404
    assert world.client().get(f"/api/jobs/{job_id}").status_code == 401
    assert world.client("viewer").post(f"/w/{wid}/analyses/refresh").status_code == 403


def test_a_file_above_the_threshold_is_imported_by_a_job(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MMSIS_UPLOAD_JOB_BYTES", "40")
    wid = world.workspace_id
    editor = world.client("editor")
    r = _upload(editor, wid, GOOD)
    assert r.status_code == 202, r.text
    job = editor.get(f"/api/jobs/{r.json()['job']}").json()
    assert job["kind"] == "upload" and job["status"] == "done", job["log"]
    assert job["result"]["status"] == "imported" and job["result"]["rows_imported"] == 3
    series = editor.get(f"/api/workspaces/{wid}/indicators",
                        params={"data_element": "ANC1", "org_unit": "C"}).json()
    assert {(s["period"], s["value"]) for s in series} == {("202401", 19.0), ("202402", 3.0)}
    bad = _upload(editor, wid, GOOD + "ANC1,202413,F1,5\n")
    assert bad.status_code == 202
    job = editor.get(f"/api/jobs/{bad.json()['job']}").json()
    assert job["status"] == "done" and job["result"]["status"] == "refused"
    assert [(x["row"], x["column"]) for x in job["result"]["refused"]] == [(4, "period")]
    small = world.client("editor")
    monkeypatch.setenv("MMSIS_UPLOAD_JOB_BYTES", str(20 * 1024 * 1024))
    assert _upload(small, wid, GOOD).status_code == 201  # small files: in the request


def test_jobs_left_running_by_a_dead_process_are_failed_or_resumed(world: World) -> None:
    from mmsis.web import db as dbm
    from mmsis.web import jobs
    from mmsis.web.job_models import Job
    from mmsis.web.models import User, utcnow

    dead = _dead_pid()
    app = world.app
    with dbm.session_scope(app.state.sessions) as db:  # type: ignore[attr-defined]
        owner = db.query(User).filter_by(email=world.emails["owner"]).one().id
        for kind in ("report", "dhis2_sync"):
            db.add(Job(workspace_id=world.workspace_id, kind=kind, status="running",
                       created_by=owner,
                       progress=0.4, log="", params_json=json.dumps({}), worker=
                       f"{socket.gethostname()}:{dead}", created_at=utcnow(),
                       updated_at=utcnow()))
        db.add(Job(workspace_id=world.workspace_id, kind="report", status="running",
                   progress=0.4, log="", params_json="{}", worker="elsewhere:1",
                   created_at=utcnow(), updated_at=utcnow()))
    counts = jobs.recover(app.state.engine, app.state.sessions)  # type: ignore[attr-defined]
    assert counts["failed"] == 1 and counts["resumed"] == 1
    with app.state.sessions() as db:  # type: ignore[attr-defined]
        report, sync, other = db.query(Job).order_by(Job.id).all()
    assert report.status == "failed" and "server stopped" in report.log
    # the sync went back to the queue (immediate mode ran it: no DHIS2 connection here)
    assert sync.status == "failed" and "resumed" in sync.log and "no DHIS2" in sync.log
    assert other.status == "running"  # another machine's worker recovers its own


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_the_uploads_page_sends_a_large_file_to_a_job_and_follows_it(  # type: ignore[no-untyped-def]
    world: World, monkeypatch
) -> None:
    monkeypatch.setenv("MMSIS_UPLOAD_JOB_BYTES", "40")
    wid = world.workspace_id
    editor = world.client("editor")
    r = editor.post(f"/w/{wid}/uploads", data={"kind": "dhis2"},
                    files={"file": ("v.csv", GOOD.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    job_id = int(r.headers["location"].split("job=")[1])
    page = editor.get(r.headers["location"]).text
    assert f'hx-get="/jobs/{job_id}/fragment"' in page
    fragment = editor.get(f"/jobs/{job_id}/fragment").text
    assert 'data-status="done"' in fragment and "3 of 3 rows imported" in fragment
