"""Issue 12 findings 2 and 3: scopes are org-unit subtrees compared by whole path segments;
a scoped owner grants only inside its subtree; the last national owner stays; memberships
follow their org unit (by id) when a re-import moves it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from tests.web.conftest import ORG_UNITS, World, make_world

from mmsis.web import scope as scopes

EXTRA = pd.DataFrame(
    [
        ("D10", "Alpha-ten district", 3, "R1", "/C/R1/D10", 50.0),
        ("F10", "Alpha-ten clinic", 4, "D10", "/C/R1/D10/F10", 50.0),
    ],
    columns=ORG_UNITS.columns,
)


def _world(url: str) -> World:
    """The usual world plus D10 (whose path starts with D1's) and a district-scoped owner."""
    from tests.web.conftest import _password_hash

    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import User, Workspace

    w = make_world(url)
    with dbm.session_scope(w.app.state.sessions) as db:
        ws = db.get(Workspace, w.workspace_id)
        assert ws is not None
        services.load_org_units(db, ws, pd.concat([ORG_UNITS, EXTRA], ignore_index=True))
        for who in ("downer", "dviewer"):
            db.add(User(email=f"{who}@example.org", name=who, password_hash=_password_hash()))
        db.flush()
        users = {u.email: u for u in db.query(User).all()}
        services.set_member(db, None, ws, users["downer@example.org"], "owner", "D1")
        services.set_member(db, None, ws, users["dviewer@example.org"], "viewer", "D1")
    w.emails.update(downer="downer@example.org", dviewer="dviewer@example.org")
    return w


@pytest.fixture
def sw(database_url: str) -> World:
    return _world(database_url)


def test_segments_not_prefixes() -> None:
    assert scopes.contains("/C/R1/D1", "/C/R1/D1")
    assert scopes.contains("/C/R1/D1", "/C/R1/D1/F1")
    assert not scopes.contains("/C/R1/D1", "/C/R1/D10")
    assert not scopes.contains("/C/R1/D1", "/C/R1/D10/F10")
    assert not scopes.contains("/C/R1/D1", "/C/R1")
    assert scopes.contains(None, "/anything")
    assert scopes.is_above("/C/R1", "/C/R1/D1") and not scopes.is_above("/C/R1/D", "/C/R1/D1")
    s = scopes.series_contains(pd.Series(["/C/R1/D1", "/C/R1/D10", None, "/C/R1/D1/F1"]),
                               "/C/R1/D1")
    assert s.tolist() == [True, False, False, True]


def test_a_d1_viewer_does_not_see_d10(sw: World) -> None:
    c = sw.client("dviewer")
    wid = sw.workspace_id
    ids = {o["id"] for o in c.get(f"/api/workspaces/{wid}/org-units").json()}
    assert ids == {"D1", "F1"}
    # nor its values: D10 is not "in your part of the hierarchy"
    r = c.get(f"/api/workspaces/{wid}/indicators", params={"data_element": "ANC1",
                                                           "org_unit": "D10"})
    assert r.status_code == 404
    assert c.get(f"/api/workspaces/{wid}/indicators",
                 params={"data_element": "ANC1", "org_unit": "F1"}).status_code == 200


def test_uploads_outside_the_scope_are_refused_by_segment() -> None:
    import pandas as pd

    from mmsis.data.store import Store

    store = Store(":memory:")
    ous = pd.DataFrame({"id": ["C", "R1", "D1", "D10", "F1", "F10"],
                        "parent_id": [None, "C", "R1", "R1", "D1", "D10"]})
    des = pd.DataFrame({"id": ["ANC1"], "aggregation_type": ["SUM"]})
    assert store.import_metadata({"org_units": ous, "data_elements": des}).ok
    values = pd.DataFrame({"dataElement": ["ANC1", "ANC1"], "period": ["202401", "202401"],
                           "orgUnit": ["F1", "F10"], "value": ["5", "700"]})
    with store.scoped("/C/R1/D1"):
        rep = store.import_data_values(values)
    assert [(r.row, r.column) for r in rep.refusals] == [(2, "orgUnit")]
    assert rep.refusals[0].reason == "outside your part of the hierarchy"
    assert store.count("data_values") == 0


def _grant(c: Any, wid: int, email: str, role: str, org_unit: str | None) -> Any:
    return c.post(f"/api/workspaces/{wid}/members",
                  json={"email": email, "role": role, "org_unit": org_unit})


def test_a_district_owner_stays_inside_its_subtree(sw: World) -> None:
    c = sw.client("downer")
    wid = sw.workspace_id
    e = sw.emails
    assert _grant(c, wid, e["downer"], "owner", None).status_code == 403  # widen own scope
    assert _grant(c, wid, e["downer"], "owner", "F1").status_code == 403  # any own change
    assert _grant(c, wid, e["outsider"], "viewer", "D2").status_code == 403  # another district
    assert _grant(c, wid, e["outsider"], "viewer", "D10").status_code == 403  # prefix twin
    assert _grant(c, wid, e["outsider"], "viewer", None).status_code == 403  # national
    assert _grant(c, wid, e["editor"], "viewer", "D1").status_code == 403  # demote national
    assert _grant(c, wid, e["admin"], "viewer", "D1").status_code in (403, 422)  # an admin
    # removing members outside the subtree is refused too
    from mmsis.web import db as dbm
    from mmsis.web.models import Membership, User

    with dbm.session_scope(sw.app.state.sessions) as db:
        ids = {u.email: u.id for u in db.query(User).all()}
    assert c.delete(f"/api/workspaces/{wid}/members/{ids[e['editor']]}").status_code == 403
    assert c.delete(f"/api/workspaces/{wid}/members/{ids[e['downer']]}").status_code == 403
    # inside the subtree it works, and the answer names the unit and its current path
    ok = _grant(c, wid, e["outsider"], "viewer", "F1")
    assert ok.status_code == 200, ok.text
    assert ok.json()["org_unit"] == "F1" and ok.json()["org_unit_path"] == "/C/R1/D1/F1"
    listed = {m["email"] for m in c.get(f"/api/workspaces/{wid}/members").json()}
    assert e["outsider"] in listed and e["editor"] not in listed
    assert c.delete(f"/api/workspaces/{wid}/members/{ids[e['outsider']]}").status_code == 204
    with dbm.session_scope(sw.app.state.sessions) as db:
        m = db.query(Membership).filter_by(user_id=ids[e["editor"]]).one()
        assert (m.role, m.org_unit_id) == ("editor", None)  # untouched


def test_the_last_national_owner_stays(sw: World) -> None:
    admin = sw.client("admin")
    wid = sw.workspace_id
    e = sw.emails
    r = _grant(admin, wid, e["owner"], "editor", None)
    assert r.status_code == 422 and "last owner" in r.json()["detail"]
    assert _grant(admin, wid, e["owner"], "owner", "R1").status_code == 422  # narrowed
    from mmsis.web import db as dbm
    from mmsis.web.models import User

    with dbm.session_scope(sw.app.state.sessions) as db:
        owner_id = db.query(User).filter_by(email=e["owner"]).one().id
    assert admin.delete(f"/api/workspaces/{wid}/members/{owner_id}").status_code == 422
    # the owner cannot leave by itself either
    assert sw.client("owner").delete(f"/api/workspaces/{wid}/members/{owner_id}").status_code == 403
    # with a second national owner, the first may go
    assert _grant(admin, wid, e["editor"], "owner", None).status_code == 200
    assert admin.delete(f"/api/workspaces/{wid}/members/{owner_id}").status_code == 204


def test_a_membership_follows_its_unit_when_it_moves(sw: World) -> None:
    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import Workspace

    moved = pd.concat([ORG_UNITS, EXTRA], ignore_index=True)
    moved.loc[moved["id"] == "D1", ["parent_id", "path"]] = ["R2", "/C/R2/D1"]
    moved.loc[moved["id"] == "F1", "path"] = "/C/R2/D1/F1"
    with dbm.session_scope(sw.app.state.sessions) as db:
        ws = db.get(Workspace, sw.workspace_id)
        services.load_org_units(db, ws, moved)
    c = sw.client("dviewer")
    units = {o["id"]: o["path"] for o in
             c.get(f"/api/workspaces/{sw.workspace_id}/org-units").json()}
    assert units == {"D1": "/C/R2/D1", "F1": "/C/R2/D1/F1"}
    # a unit that leaves the hierarchy takes the access with it (never widens to all)
    with dbm.session_scope(sw.app.state.sessions) as db:
        ws = db.get(Workspace, sw.workspace_id)
        services.load_org_units(db, ws, moved[~moved["id"].isin(["D1", "F1"])])
    assert c.get(f"/api/workspaces/{sw.workspace_id}/org-units").status_code == 403


def test_migration_turns_stored_paths_into_unit_ids(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from mmsis.web import db as dbm

    engine = dbm.make_engine(database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(dbm.MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("INSERT INTO users (id, email, name, password_hash, is_admin, "
                          "created_at) VALUES (1, 'a@x.org', 'a', 'h', false, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO workspaces (id, name, country, phase, created_at) "
                          "VALUES (1, 'W', '', '', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO memberships (workspace_id, user_id, role, org_unit_path) "
                          "VALUES (1, 1, 'viewer', '/C/R1/D1')"))
    dbm.upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT role, org_unit_id FROM memberships")).one()
        active = conn.execute(text("SELECT is_active FROM users")).scalar()
    engine.dispose()
    assert tuple(row) == ("viewer", "D1") and bool(active)
