"""Login, sessions, CSRF, rate limiting and the /api contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def _login_token(client: TestClient) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert m
    return m.group(1)


def _post_login(client: TestClient, email: str, password: str, next_: str = "/"):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": _login_token(client),
            "next": next_,
        },
        follow_redirects=False,
    )


def test_login_form_and_anonymous_api(world_any) -> None:  # type: ignore[no-untyped-def]
    c = world_any.client()
    page = c.get("/login")
    assert page.status_code == 200
    assert '<label for="email">' in page.text and 'type="password"' in page.text
    r = c.get("/api/workspaces")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401
    assert c.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_workspaces_visible_per_user(world_any) -> None:  # type: ignore[no-untyped-def]
    viewer = world_any.client("viewer").get("/api/workspaces").json()
    assert [(w["name"], w["role"]) for w in viewer] == [("Examplia", "viewer")]
    assert world_any.client("outsider").get("/api/workspaces").json() == []
    assert world_any.client("admin").get("/api/workspaces").json()[0]["role"] == "owner"
    wid = world_any.workspace_id
    assert world_any.client("outsider").get(f"/api/workspaces/{wid}").status_code == 404


def test_wrong_password_then_rate_limit(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client()
    email = world.emails["viewer"]
    for _ in range(5):
        r = _post_login(c, email, "wrong password!")
        assert r.status_code == 401
        assert "Wrong e-mail or password" in r.text
    blocked = _post_login(c, email, PASSWORD)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    # another account from another client is not blocked by these failures
    assert _post_login(world.client(), world.emails["editor"], PASSWORD).status_code == 303


def test_unknown_user_is_refused_like_a_wrong_password(world) -> None:  # type: ignore[no-untyped-def]
    r = _post_login(world.client(), "nobody@example.org", PASSWORD)
    assert r.status_code == 401 and "Wrong e-mail or password" in r.text


def test_login_needs_its_csrf_token(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client()
    c.get("/login")
    r = c.post(
        "/login",
        data={"email": world.emails["viewer"], "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert c.get("/api/me").status_code == 401


def test_no_open_redirect_after_login(world) -> None:  # type: ignore[no-untyped-def]
    r = _post_login(world.client(), world.emails["viewer"], PASSWORD, next_="//evil.example/x")
    assert r.headers["location"] == "/"
    r = _post_login(world.client(), world.emails["viewer"], PASSWORD, next_="/w/1")
    assert r.headers["location"] == "/w/1"


def test_csrf_required_on_changes(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    url = f"/api/workspaces/{world.workspace_id}/agenda"
    token = c.headers.pop("X-CSRF-Token")
    assert c.post(url, json={"kind": "question", "text": "Q?"}).status_code == 403
    c.headers["X-CSRF-Token"] = "not-the-token"
    assert c.post(url, json={"kind": "question", "text": "Q?"}).status_code == 403
    c.headers["X-CSRF-Token"] = token
    assert c.post(url, json={"kind": "question", "text": "Q?"}).status_code == 201
    # a form post carries the token as a field instead
    del c.headers["X-CSRF-Token"]
    page = f"/w/{world.workspace_id}/agenda"
    assert c.post(page, data={"kind": "question", "text": "Q2?"}).status_code == 403
    assert (
        c.post(page, data={"kind": "question", "text": "Q2?", "csrf_token": token}).status_code
        == 200
    )


def test_logout_ends_the_server_session(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("viewer")
    cookie = c.cookies.get("mmsis_session")
    r = c.post(
        "/logout", headers={"X-CSRF-Token": c.headers["X-CSRF-Token"]}, follow_redirects=False
    )
    assert r.status_code == 303
    replay = world.client()
    replay.cookies.set("mmsis_session", cookie)
    assert replay.get("/api/me").status_code == 401


def test_forged_session_cookie_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client()
    c.cookies.set("mmsis_session", "abc.def.ghi")
    assert c.get("/api/workspaces").status_code == 401


def test_security_headers_and_no_stack_traces(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("viewer")
    r = c.get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    bad = c.get(f"/api/workspaces/{world.workspace_id}/org-units?level=abc")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in bad.text
    missing = c.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text


def test_a_session_deleted_in_the_database_ends_on_the_next_request(world) -> None:  # type: ignore[no-untyped-def]
    """No per-process session cache: another process's deletion is honoured at once."""
    from sqlalchemy import delete

    from mmsis.web import db as dbm
    from mmsis.web.models import LoginSession

    c = world.client("viewer")
    assert c.get("/api/me").status_code == 200
    with dbm.session_scope(world.app.state.sessions) as db:  # e.g. an administrator's script
        db.execute(delete(LoginSession))
    assert c.get("/api/me").status_code == 401


