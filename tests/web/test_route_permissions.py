"""Every route is enumerated: anonymous users and viewers are refused where they must be."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from mmsis.web import deps
from mmsis.web.app import iter_routes

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz")}
ANY_USER_UNSAFE = {("POST", "/logout"), ("POST", "/api/me/password"), ("POST", "/account/password"),
                   ("POST", "/language")}


def _guard(route: APIRoute) -> str | None:
    """The access rule a route declares through its dependencies (None = no guard at all)."""
    found: list[str] = []

    def walk(dep: Any) -> None:
        call = dep.call
        if getattr(call, "min_role", None):
            found.append(call.min_role)
        elif call is deps.require_admin:
            found.append("admin")
        elif call is deps.current_auth:
            found.append("user")
        for sub in dep.dependencies:
            walk(sub)

    walk(route.dependant)
    order = ["user", "viewer", "editor", "owner", "admin"]
    return max(found, key=order.index) if found else None


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    out = []
    for r in iter_routes(app.routes):
        for m in sorted(r.methods - {"HEAD"}):
            out.append((m, r.path, r))
    return out


def _concrete(path: str, wid: int) -> str:
    return (
        path.replace("{workspace_id}", str(wid))
        .replace("{key_result_id}", "KR-X")
        .replace("{item_id}", "1")
        .replace("{evidence_id}", "1")
        .replace("{kind}", "quality")
        .replace("{user_id}", "1")
    )


def test_every_route_declares_a_guard(world) -> None:  # type: ignore[no-untyped-def]
    routes = _routes(world.app)
    assert len(routes) >= 30
    for method, path, route in routes:
        guard = _guard(route)
        if (method, path) in PUBLIC:
            assert guard is None
            continue
        assert guard is not None, f"{method} {path} has no access rule"
        if method not in deps.SAFE_METHODS and (method, path) not in ANY_USER_UNSAFE:
            assert guard in ("editor", "owner", "admin"), (
                f"{method} {path} lets viewers change data"
            )


def test_anonymous_is_refused_everywhere_but_login(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client()
    checked = 0
    for method, path, _ in _routes(world.app):
        if (method, path) in PUBLIC:
            continue
        r = c.request(method, _concrete(path, world.workspace_id), follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (
                method,
                path,
                r.status_code,
            )
        checked += 1
    assert checked >= 30


def test_viewer_cannot_change_anything(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("viewer")
    checked = 0
    for method, path, route in _routes(world.app):
        if (method, path) in PUBLIC or (method, path) in ANY_USER_UNSAFE:
            continue
        guard = _guard(route)
        if method in deps.SAFE_METHODS and guard in ("user", "viewer"):
            continue
        r = c.request(method, _concrete(path, world.workspace_id), follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
        checked += 1
    assert checked >= 15


def test_non_member_cannot_see_the_workspace(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("outsider")
    checked = 0
    for method, path, _ in _routes(world.app):
        if "{workspace_id}" not in path:
            continue
        r = c.request(method, _concrete(path, world.workspace_id), follow_redirects=False)
        assert r.status_code == 404, (method, path, r.status_code)
        checked += 1
    assert checked >= 20
