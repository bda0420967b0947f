"""The dashboard's district list (and the parts naming or filtering by org units) is cached
under the workspace's org-unit version: every org-unit import gives a new one in the same
transaction, so an import shows at once, on every app reading the same database."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import World, login

from mmsis.web import create_app, services
from mmsis.web import db as dbm
from mmsis.web.models import Workspace


def _workspace(db: Any, wid: int) -> Workspace:
    ws = db.get(Workspace, wid)
    assert ws is not None
    return ws  # type: ignore[no-any-return]


def _version(world: World) -> int:
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        return int(_workspace(db, world.workspace_id).org_units_version)


def _options(html: str) -> dict[str, str]:
    """The dashboard's district filter: option value -> shown name."""
    select = html.split('<select id="district"', 1)[1].split("</select>", 1)[0]
    return {v: n for v, n in re.findall(r'<option value="(\w+)"[^>]*>([^<]+)<', select)}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Every read of the org-unit table by level (what the cached district list saves)."""
    calls: list[int | None] = []
    org_units = services.org_units

    def counted(db: Any, access: Any, level: int | None = None) -> Any:
        calls.append(level)
        return org_units(db, access, level)

    monkeypatch.setattr(services, "org_units", counted)
    return calls


def test_an_org_unit_import_shows_at_once_on_every_app(  # type: ignore[no-untyped-def]
        world_any: World, csv_upload, reads) -> None:
    world = world_any
    wid = world.workspace_id
    text = "dataElement,period,orgUnit,value\nANC1,202401,F1,12\nMMS_CLIENTS,202401,F2,7\n"
    r = world.client("owner").post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                                   files={"file": csv_upload(text)})
    assert r.status_code == 201, r.text
    viewer = world.client("viewer")
    assert _options(viewer.get(f"/w/{wid}").text) == {"D1": "Alpha district",
                                                      "D2": "Beta district"}
    assert "Beta district" in viewer.get(f"/w/{wid}?district=D2").text.split('id="trend"')[1]
    n = len(reads)
    assert _options(viewer.get(f"/w/{wid}?district=D2").text)["D2"] == "Beta district"
    assert len(reads) == n  # the second page read the cached list

    before = _version(world)
    # another app (a second worker) on the same database imports: a rename and a new district
    other = create_app(world.url, secret_key="test-secret", migrate=False)
    admin = login(TestClient(other), world.emails["admin"])  # type: ignore[arg-type]
    r = admin.post(f"/api/workspaces/{wid}/org-units", files={"file": (
        "units.csv", b"id,name,parent\nD2,Gamma district,R2\nD3,Delta district,R1\n",
        "text/csv")})
    assert r.status_code == 201, r.text
    assert _version(world) != before

    page = viewer.get(f"/w/{wid}?district=D2").text  # the first app, told nothing
    assert _options(page) == {"D1": "Alpha district", "D2": "Gamma district",
                              "D3": "Delta district"}
    assert "Gamma district" in page.split('id="trend"', 1)[1]  # the trend's title too
    assert len(reads) > n
    # the district member still sees only their district
    district = world.client("district").get(f"/w/{wid}").text
    assert _options(district) == {"D1": "Alpha district"}


def test_an_import_rolled_back_never_lends_its_version(world: World) -> None:
    """A list cached inside an import's transaction that is then rolled back is never read
    again: the next import gets another version (a stamp, not a count)."""
    from tests.web.conftest import ORG_UNITS

    from mmsis.web.deps import Access
    from mmsis.web.security import LiveSession, UserView

    wid, before = world.workspace_id, _version(world)
    renamed = ORG_UNITS.assign(name=ORG_UNITS["name"].replace("Beta district", "Rolled back"))
    sessions = world.app.state.sessions  # type: ignore[attr-defined]
    db = sessions()
    try:
        ws = _workspace(db, wid)
        services.load_org_units(db, ws, renamed)
        seen = ws.org_units_version
        assert seen != before
        who = UserView(id=0, email="", name="test", is_admin=True)
        live = LiveSession(id="", user_id=0, csrf_token="", expires_at=datetime.now(UTC))
        access = Access(who, live, ws, "viewer", None, None)
        assert "Rolled back" in {d.name for d in services.districts(db, access)}
        db.rollback()
    finally:
        db.close()
    assert _version(world) == before
    viewer = world.client("viewer")
    assert _options(viewer.get(f"/w/{wid}").text)["D2"] == "Beta district"
    with dbm.session_scope(sessions) as db:
        services.load_org_units(db, _workspace(db, wid), ORG_UNITS)
    assert _version(world) not in (before, seen)
    assert _options(viewer.get(f"/w/{wid}").text)["D2"] == "Beta district"


def test_the_warm_up_sees_a_rename(world: World) -> None:
    """The warm-up's "anything changed?" check reads the version (a rename keeps the count of
    org units, which it used to compare)."""
    from tests.web.conftest import ORG_UNITS

    from mmsis.web import warmup

    warmer = warmup.Warmer(world.app)
    assert warmer.run_once() > 0
    assert warmer.run_once() == 0  # nothing changed
    renamed = ORG_UNITS.assign(name=ORG_UNITS["name"].replace("Beta district", "Gamma district"))
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        services.load_org_units(db, _workspace(db, world.workspace_id), renamed)
    assert warmer.run_once() > 0
    page = world.client("viewer").get(f"/w/{world.workspace_id}?district=D2").text
    assert _options(page)["D2"] == "Gamma district"


def test_the_dashboards_one_statement_reads_what_the_separate_ones_read(  # type: ignore[no-untyped-def]
        world_any: World, csv_upload) -> None:
    """`services.dashboard_facts` (one statement per request) answers as
    `records_versions`/`key_results_version`/`analyses_version`, `uploads_since_analyses` and
    `group_work.overdue` do, on SQLite and PostgreSQL, as uploads, statuses and actions come."""
    import datetime as dt

    from mmsis.framework import load_framework
    from mmsis.web import group_work

    world, wid = world_any, world_any.workspace_id

    def same() -> services.DashboardFacts:
        with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
            facts = services.dashboard_facts(db, wid)
            assert facts.records == services.records_versions(db, wid) == (
                services.key_results_version(db, wid), services.analyses_version(db, wid))
            assert facts.behind == services.uploads_since_analyses(db, wid)
            assert facts.any_overdue == bool(group_work.overdue(db, wid))
            return facts

    first = same()
    assert first.behind == (0, None) and not first.any_overdue
    owner = world.client("owner")
    for name in ("one.csv", "two.csv"):
        text = "dataElement,period,orgUnit,value\nANC1,202401,F1,12\n"
        r = owner.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                       files={"file": (name, text.encode(), "text/csv")})
        assert r.status_code == 201, r.text
    assert same().behind == (2, "two.csv")
    page = world.client("viewer").get(f"/w/{wid}").text
    assert "2 imports since the analyses were computed (latest: two.csv)" in page
    kr = load_framework().key_results[0].id
    assert owner.put(f"/api/workspaces/{wid}/key-results/{kr}",
                     json={"status": "met", "note": "x"}).status_code == 200
    assert same().records != first.records
    past = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    r = owner.post(f"/api/workspaces/{wid}/actions",
                   json={"key_result": kr, "action": "Late one", "due": past})
    assert r.status_code == 201, r.text
    assert same().any_overdue
    assert "Overdue actions (1)" in world.client("viewer").get(f"/w/{wid}").text


def test_a_read_looks_at_the_store_files_once_and_still_sees_new_imports(  # type: ignore[no-untyped-def]
        world: World, csv_upload, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside `programme.stamps_once` (the dashboard, the indicators API) the store's files
    are stat'ed once however often the version and the mapping are asked; the next request
    sees an import made in between."""
    import os

    from mmsis.web import programme

    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = _workspace(db, world.workspace_id)
        elements = services.trend_elements(ws)
        path = str(ws.store_path)
        before = programme.store_version(ws, elements)
        looked: list[str] = []
        stat = os.stat

        def counted(p: Any, *args: Any, **kwargs: Any) -> Any:
            if str(p).startswith(path):
                looked.append(str(p))
            return stat(p, *args, **kwargs)

        monkeypatch.setattr(os, "stat", counted)
        with programme.stamps_once():
            for _ in range(3):
                assert programme.has_store(ws) and programme.concepts(ws) is not None
                assert programme.store_version(ws, elements) == before
        assert sorted(looked) == [path, path + ".wal"]
        monkeypatch.setattr(os, "stat", stat)
    text = "dataElement,period,orgUnit,value\nANC1,202402,F1,30\n"
    r = world.client("owner").post(f"/api/workspaces/{world.workspace_id}/uploads",
                                   data={"kind": "dhis2"}, files={"file": csv_upload(text)})
    assert r.status_code == 201, r.text
    sessions = world.app.state.sessions  # type: ignore[attr-defined]
    with dbm.session_scope(sessions) as db, programme.stamps_once():
        assert programme.store_version(_workspace(db, world.workspace_id), elements) != before
