"""Issue 12 finding 11: account lifecycle in the API, the pages and `mmsis users`; sessions of
a deactivated user end at once in every server process; `mmsis serve` for HTTPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, World, login
from typer.testing import CliRunner

from mmsis.cli import app as cli
from mmsis.errors import InputError

NEW = "violet canyon ledger"


def _uid(world: World, who: str) -> int:
    from mmsis.web import db as dbm
    from mmsis.web.models import User

    with dbm.session_scope(world.app.state.sessions) as db:
        return int(db.query(User).filter_by(email=world.emails[who]).one().id)


def _second_worker(world: World) -> Any:
    """Another server process on the same database (its own memory, the same secret key)."""
    from mmsis.web import create_app

    return create_app(world.url, secret_key="test-secret", migrate=False)


def test_deactivation_ends_sessions_at_once_in_every_worker(world_any: World) -> None:
    viewer = world_any.client("viewer")
    other = TestClient(_second_worker(world_any))
    other.cookies.update(viewer.cookies)
    other.headers.update(viewer.headers)
    wid = world_any.workspace_id
    assert viewer.get(f"/api/workspaces/{wid}").status_code == 200
    assert other.get(f"/api/workspaces/{wid}").status_code == 200  # warm in worker 2
    admin = world_any.client("admin")
    r = admin.post(f"/api/users/{_uid(world_any, 'viewer')}/deactivate")
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert r.json()["sessions_ended"] >= 1
    assert viewer.get(f"/api/workspaces/{wid}").status_code == 401
    assert other.get(f"/api/workspaces/{wid}").status_code == 401  # the next request, no TTL
    with pytest.raises(AssertionError):  # cannot log in again
        login(world_any.client(), world_any.emails["viewer"])
    assert admin.post(f"/api/users/{_uid(world_any, 'viewer')}/activate").status_code == 200
    login(world_any.client(), world_any.emails["viewer"])


def test_a_session_row_alone_does_not_keep_a_deactivated_user_in(world: World) -> None:
    """Even a session that survived (e.g. written back by a slow request) is refused."""
    from sqlalchemy import update

    from mmsis.web import db as dbm
    from mmsis.web.models import User

    c = world.client("editor")
    with dbm.session_scope(world.app.state.sessions) as db:
        db.execute(update(User).where(User.email == world.emails["editor"]).values(is_active=False))
    assert c.get("/api/me").status_code == 401


def test_administrators_cannot_deactivate_themselves(world: World) -> None:
    admin = world.client("admin")
    r = admin.post(f"/api/users/{_uid(world, 'admin')}/deactivate")
    assert r.status_code == 422
    assert world.client("owner").post(f"/api/users/{_uid(world, 'viewer')}/deactivate") \
        .status_code == 403


def test_change_own_password(world_any: World) -> None:
    c = world_any.client("editor")
    elsewhere = world_any.client("editor")  # the same user on another device
    bad = c.post("/api/me/password",
                 json={"current_password": "not it at all", "new_password": NEW})
    assert bad.status_code == 422 and bad.json()["field"] == "current_password"
    weak = c.post("/api/me/password",
                  json={"current_password": PASSWORD, "new_password": "aaaaaaaaaaaa"})
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"
    huge = c.post("/api/me/password",
                  json={"current_password": PASSWORD, "new_password": "b" * 1025})
    assert huge.status_code in (413, 422)
    ok = c.post("/api/me/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert ok.status_code == 204
    assert c.get("/api/me").status_code == 200  # this session goes on
    assert elsewhere.get("/api/me").status_code == 401  # the others end
    login(world_any.client(), world_any.emails["editor"], NEW)
    with pytest.raises(AssertionError):
        login(world_any.client(), world_any.emails["editor"], PASSWORD)


def test_admin_reset_ends_the_users_sessions(world: World) -> None:
    viewer = world.client("viewer")
    admin = world.client("admin")
    uid = _uid(world, "viewer")
    assert admin.post(f"/api/users/{uid}/password", json={"new_password": "short"}) \
        .status_code == 422
    assert admin.post(f"/api/users/{uid}/password", json={"new_password": NEW}).status_code == 204
    assert viewer.get("/api/me").status_code == 401
    login(world.client(), world.emails["viewer"], NEW)
    assert world.client("owner").post(f"/api/users/{uid}/password",
                                      json={"new_password": NEW}).status_code == 403
    # ending sessions without a reset
    again = login(world.client(), world.emails["viewer"], NEW)
    r = admin.delete(f"/api/users/{uid}/sessions")
    assert r.status_code == 200 and r.json()["sessions_ended"] >= 1
    assert again.get("/api/me").status_code == 401


def test_remove_a_member(world_any: World) -> None:
    owner = world_any.client("owner")
    viewer = world_any.client("viewer")
    wid = world_any.workspace_id
    assert viewer.get(f"/api/workspaces/{wid}").status_code == 200
    members = {m["email"]: m for m in owner.get(f"/api/workspaces/{wid}/members").json()}
    assert members[world_any.emails["district"]]["org_unit"] == "D1"
    assert members[world_any.emails["district"]]["org_unit_path"] == "/C/R1/D1"
    uid = members[world_any.emails["viewer"]]["user_id"]
    assert world_any.client("editor").delete(f"/api/workspaces/{wid}/members/{uid}") \
        .status_code == 403
    assert owner.delete(f"/api/workspaces/{wid}/members/{uid}").status_code == 204
    assert viewer.get(f"/api/workspaces/{wid}").status_code == 404  # at once
    assert owner.delete(f"/api/workspaces/{wid}/members/{uid}").status_code == 404
    assert owner.delete(f"/api/workspaces/{wid}/members/{2**63}").status_code == 404


def test_account_pages(world: World) -> None:
    c = world.client("editor")
    page = c.get("/account")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    token = c.headers["X-CSRF-Token"]
    form = {"csrf_token": token, "current_password": PASSWORD, "new_password": NEW,
            "confirm_password": "something else"}
    r = c.post("/account/password", data=form)
    assert r.status_code == 422 and "differ" in r.text
    r = c.post("/account/password", data={**form, "confirm_password": NEW})
    assert r.status_code == 200 and "password is changed" in r.text

    owner = world.client("owner")
    wid = world.workspace_id
    page = owner.get(f"/w/{wid}/members")
    assert page.status_code == 200 and "Alpha district" in page.text  # labels, not ids
    assert c.get(f"/w/{wid}/members").status_code == 403  # the editor is no owner
    r = owner.post(f"/w/{wid}/members", data={"csrf_token": owner.headers["X-CSRF-Token"],
                                              "email": world.emails["outsider"],
                                              "role": "viewer", "org_unit": "D2"},
                   follow_redirects=False)
    assert r.status_code == 303
    uid = _uid(world, "outsider")
    assert "outsider@example.org" in owner.get(f"/w/{wid}/members").text
    r = owner.post(f"/w/{wid}/members/{uid}/remove",
                   data={"csrf_token": owner.headers["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    assert "outsider@example.org" not in owner.get(f"/w/{wid}/members").text

    admin = world.client("admin")
    assert "viewer@example.org" in admin.get("/users").text
    assert world.client("owner").get("/users").status_code == 403
    viewer = world.client("viewer")
    r = admin.post(f"/users/{_uid(world, 'viewer')}/active",
                   data={"csrf_token": admin.headers["X-CSRF-Token"], "active": "0"},
                   follow_redirects=False)
    assert r.status_code == 303 and viewer.get("/api/me").status_code == 401


# --- mmsis users ... and mmsis serve --------------------------------------------------------


def _cli_world(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    runner = CliRunner()
    for cmd, email in (("create-admin", "chair@tag.org"), ("create", "b@tag.org")):
        r = runner.invoke(cli, ["users", cmd, "--email", email, "--database", url],
                          env={"MMSIS_ADMIN_PASSWORD": "a long enough secret"})
        assert r.exit_code == 0, r.output
    from mmsis.web import db as dbm
    from mmsis.web import services

    engine = dbm.make_engine(url)
    with dbm.session_scope(dbm.session_factory(engine)) as db:
        services.create_workspace(db, "W", "W", "")
    engine.dispose()
    return url


def test_users_cli_lifecycle(tmp_path: Path) -> None:
    url = _cli_world(tmp_path)
    runner = CliRunner()

    def run(*args: str, password: str = "") -> Any:
        return runner.invoke(cli, ["users", *args, "--database", url],
                             env={"MMSIS_ADMIN_PASSWORD": password})

    assert run("grant", "--email", "b@tag.org", "--workspace", "W", "--role", "owner")\
        .exit_code == 0
    last = run("remove", "--email", "b@tag.org", "--workspace", "W")
    assert isinstance(last.exception, InputError) and "last owner" in str(last.exception)
    assert run("grant", "--email", "chair@tag.org", "--workspace", "W", "--role", "owner")\
        .exit_code == 0
    assert run("remove", "--email", "b@tag.org", "--workspace", "W").exit_code == 0
    gone = run("remove", "--email", "b@tag.org", "--workspace", "W")
    assert isinstance(gone.exception, InputError)

    weak = run("reset-password", "--email", "b@tag.org", password="aaaaaaaaaaaa")
    assert isinstance(weak.exception, InputError)
    assert run("reset-password", "--email", "b@tag.org", password=NEW).exit_code == 0
    r = run("deactivate", "--email", "b@tag.org")
    assert r.exit_code == 0 and "deactivated" in r.output
    from sqlalchemy import create_engine, text

    from mmsis.web.security import verify_password

    with create_engine(url).connect() as conn:
        active, pw = conn.execute(text("SELECT is_active, password_hash FROM users "
                                       "WHERE email = 'b@tag.org'")).one()
    assert not active and verify_password(pw, NEW)
    assert run("activate", "--email", "b@tag.org").exit_code == 0
    last_admin = run("deactivate", "--email", "chair@tag.org")
    assert isinstance(last_admin.exception, InputError)


def test_serve_secure_cookies_and_proxy_headers(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    import uvicorn

    import mmsis.web.analytics as analytics

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setattr(analytics, "start_store_writer", lambda: None)
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    r = CliRunner().invoke(cli, ["serve", "--database", url, "--secure-cookies",
                                 "--proxy-headers", "--forwarded-allow-ips", "10.0.0.5"])
    assert r.exit_code == 0, r.output
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.0.0.5"
    assert seen["app"].state.secure_cookies is True
    r = CliRunner().invoke(cli, ["serve", "--database", url])
    assert seen["proxy_headers"] is False and seen["app"].state.secure_cookies is False
    # the flag reaches the cookies
    from mmsis.web import create_app
    from mmsis.web import db as dbm
    from mmsis.web.models import User
    from mmsis.web.security import hash_password

    app = create_app(url, secret_key="k", secure_cookies=True)
    with dbm.session_scope(app.state.sessions) as db:
        db.add(User(email="s@x.org", name="s", password_hash=hash_password(PASSWORD)))
    c = TestClient(app, base_url="https://testserver")
    page = c.get("/login")
    assert "secure" in page.headers["set-cookie"].lower()
    login(c, "s@x.org")
    assert c.get("/api/me").status_code == 200
