"""No 500 from out-of-range ids, over-long fields or deeply nested bodies (SQLite, PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.dependencies.utils import get_flat_params

from mmsis.web import bounds
from mmsis.web.app import iter_routes

BAD_IDS = [str(2**63), str(2**64 + 5), "9" * 40, "9" * 5000, str(-(2**63) - 1), "-1"]


def _int_path_routes(app: Any) -> list[tuple[str, str, list[str]]]:
    out = []
    for route in iter_routes(app.routes):
        ints = [
            p.name
            for p in get_flat_params(route.dependant)
            if type(p.field_info).__name__ == "Path" and p.field_info.annotation is int
        ]
        if ints:
            for method in sorted(route.methods - {"HEAD"}):
                out.append((method, route.path, ints))
    return out


def _fill(path: str, ints: list[str], bad: str, name: str, wid: int) -> str:
    for p in ints:
        path = path.replace("{" + p + "}", bad if p == name else str(wid))
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_integer_id_in_a_path_out_of_range_is_404(world) -> None:  # type: ignore[no-untyped-def]
    routes = _int_path_routes(world.app)
    assert len(routes) >= 40  # the walk found the app's routes
    names = {n for _, _, ints in routes for n in ints}
    assert {"workspace_id", "evidence_id", "item_id", "user_id", "job_id"} <= names
    c = world.client("admin")
    checked = 0
    for method, path, ints in routes:
        for name in ints:
            for bad in BAD_IDS:
                url = _fill(path, ints, bad, name, world.workspace_id)
                r = c.request(method, url, follow_redirects=False)
                assert r.status_code == 404, (method, url[:120], r.status_code, r.text[:200])
                checked += 1
    assert checked >= 200


def test_out_of_range_query_integer_is_404_and_in_range_still_works(world) -> None:  # type: ignore[no-untyped-def]
    assert "level" in bounds.int_query_names(world.app.routes)
    c = world.client("viewer")
    url = f"/api/workspaces/{world.workspace_id}/org-units"
    assert c.get(url, params={"level": str(2**63)}).status_code == 404
    ok = c.get(url, params={"level": "3"})
    assert ok.status_code == 200 and {o["id"] for o in ok.json()} == {"D1", "D2"}


@pytest.mark.parametrize(
    ("text", "ok"),
    [("0", True), ("1", True), (str(2**63 - 1), True), (str(2**63), False), ("-1", False),
     ("-0", True), ("abc", True), ("9" * 5000, False), ("007", True)],
)
def test_id_in_range(text: str, ok: bool) -> None:
    assert bounds.id_in_range(text) is ok


def test_over_long_workspace_fields_are_422_naming_the_field(world_any) -> None:  # type: ignore[no-untyped-def]
    c = world_any.client("admin")
    r = c.post("/api/workspaces", json={"name": "New", "country": "C" * 201})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "country"
    r = c.post("/api/workspaces", json={"name": "New", "phase": "p" * 101})
    assert r.status_code == 422 and r.json()["field"] == "phase", r.text
    ok = c.post("/api/workspaces", json={"name": "New", "country": "C" * 200})
    assert ok.status_code in (200, 201), ok.text
    wid = world_any.workspace_id
    r = c.patch(f"/api/workspaces/{wid}", json={"phase": "ሪ" * 101})
    assert r.status_code == 422, r.text
    page = c.post("/workspaces", data={"name": "Page", "country": "C" * 300,
                                       "csrf_token": c.headers["X-CSRF-Token"]},
                  follow_redirects=False)
    assert page.status_code == 422 and "country" in page.text


def test_over_long_emails_and_ids_are_4xx(world_any) -> None:  # type: ignore[no-untyped-def]
    c = world_any.client("owner")
    wid = world_any.workspace_id
    email = "a" * 120 + "@example.org"  # 132 characters, longer than the audit's 100
    r = c.post(f"/api/workspaces/{wid}/members", json={"email": email, "role": "viewer"})
    assert 400 <= r.status_code < 500, r.text
    r = c.post(f"/api/workspaces/{wid}/members", json={"email": "b" * 300 + "@x.org",
                                                        "role": "viewer"})
    assert 400 <= r.status_code < 500, r.text
    r = c.post(f"/api/workspaces/{wid}/agenda",
               json={"kind": "question", "text": "Q?", "ref_id": "r" * 101})
    assert r.status_code == 422 and r.json()["field"] == "ref_id", r.text
    anon = world_any.client()
    page = anon.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = anon.post("/login", data={"email": "e" * 5000 + "@x.org", "password": "x" * 20,
                                  "csrf_token": token.group(1), "next": "/"},
                  follow_redirects=False)
    assert 400 <= r.status_code < 500, r.status_code


@pytest.mark.parametrize("depth", [100_000])
def test_a_deeply_nested_json_body_is_4xx(world, depth: int) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    wid = world.workspace_id
    deep = "[" * depth + "]" * depth
    r = c.post(f"/api/workspaces/{wid}/agenda", content=deep,
               headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.status_code
    obj = '{"a":' * depth + "1" + "}" * depth
    r = c.put(f"/api/workspaces/{wid}/scenario", content=obj,
              headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.status_code
    up = c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                files={"file": ("deep.json", deep.encode(), "application/json")})
    assert 400 <= up.status_code < 500, up.text[:300]
    org = c.post(f"/api/workspaces/{wid}/org-units",
                 files={"file": ("deep.json", obj.encode(), "application/json")})
    assert 400 <= org.status_code < 500, org.text[:300]


_VALID = {"kind": "question", "decision": "proposed", "status": "met", "role": "viewer",
          "email": "viewer@example.org", "name": "N", "text": "T", "url": "https://x.org",
          "question": "q", "criterion": "answerability", "scenario": "name: x"}


def _stress(annotation: str) -> list[Any]:
    if "int" in annotation:
        return [2**70, -(2**70), 2**31]
    if "float" in annotation:
        return [1e308, -1e308]
    if "list" in annotation:
        return [["x" * 5000]]
    if "str" in annotation:
        return ["x" * 5000, "ሪ" * 300]
    return []


def test_every_json_body_field_out_of_bounds_is_never_5xx(world_any) -> None:  # type: ignore[no-untyped-def]
    """Each field of each /api body, one at a time, too long or too large: 4xx (or accepted
    where the column is unbounded text), on SQLite and PostgreSQL."""
    from fastapi.testclient import TestClient
    from tests.web.conftest import login

    from mmsis.framework import load_framework

    c = TestClient(world_any.app, raise_server_exceptions=False)
    login(c, world_any.emails["admin"])
    wid = world_any.workspace_id
    kr = load_framework().key_results[0].id
    item = c.post(f"/api/workspaces/{wid}/agenda", json={"kind": "question", "text": "Q?"})
    checked = 0
    for route in iter_routes(world_any.app.routes):
        model = getattr(route.body_field, "field_info", None)
        model = getattr(model, "annotation", None)
        if not route.path.startswith("/api/") or not hasattr(model, "model_fields"):
            continue
        assert model is not None
        path = (route.path.replace("{workspace_id}", str(wid)).replace("{key_result_id}", kr)
                .replace("{item_id}", str(item.json()["id"])))
        path = re.sub(r"\{[^}]+\}", "1", path)
        fields = model.model_fields
        base = {n: _VALID.get(n, "x") for n, f in fields.items() if f.is_required()}
        for method in sorted(route.methods):
            for name, info in fields.items():
                for bad in _stress(str(info.annotation)):
                    r = c.request(method, path, json={**base, name: bad})
                    assert r.status_code < 500, (method, path, name, r.text[:200])
                    checked += 1
    assert checked >= 30
