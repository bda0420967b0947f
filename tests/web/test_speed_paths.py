"""The paths made faster for load keep their behaviour: headers, cache invalidation, writes."""

from __future__ import annotations

import threading

from tests.web.conftest import World


def _upload(c, wid: int, rows: list[str]):  # type: ignore[no-untyped-def]
    body = "\n".join(["dataElement,period,orgUnit,value", *rows]).encode()
    return c.post(
        f"/api/workspaces/{wid}/uploads",
        data={"kind": "dhis2"},
        files={"file": ("values.csv", body, "text/csv")},
    )


def test_security_headers_on_pages_api_and_static(world: World) -> None:
    c = world.client("viewer")
    page = c.get(f"/w/{world.workspace_id}")
    anon_api = world.client().get("/api/workspaces")
    static = c.get("/static/htmx.min.js")
    assert (page.status_code, anon_api.status_code, static.status_code) == (200, 401, 200)
    for r in (page, anon_api, static):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "default-src 'self'" in r.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert anon_api.headers["cache-control"] == "no-store"
    assert static.headers.get("cache-control") != "no-store"


def test_dashboard_fragments_follow_new_data_and_scope(world: World) -> None:
    wid = world.workspace_id
    editor, district = world.client("editor"), world.client("district")
    first = editor.get(f"/w/{wid}")
    assert "No routine data yet" in first.text
    assert _upload(editor, wid, ["ANC1,202401,F1,4321", "ANC1,202401,F2,1234"]).status_code == 201
    page = editor.get(f"/w/{wid}")  # cached fragment replaced: the data version changed
    assert "5,555" in page.text and "No routine data yet" not in page.text
    assert 'name="csrf_token"' in page.text  # the page itself is still per user
    # the district user (scope D1) shares no cached fragment with the national view
    scoped = district.get(f"/w/{wid}")
    assert "4,321" in scoped.text and "5,555" not in scoped.text
    htmx = editor.get(f"/w/{wid}", params={"district": "D2"}, headers={"HX-Request": "true"})
    assert htmx.text.lstrip().startswith('<div id="trend">') and "1,234" in htmx.text
    assert "<html" not in htmx.text
    # a re-import replaces the value, and the dashboard shows the new one
    assert _upload(editor, wid, ["ANC1,202401,F2,1000"]).status_code == 201
    assert "5,321" in editor.get(f"/w/{wid}").text


def test_concurrent_uploads_lose_no_rows_and_stay_all_or_nothing(world: World) -> None:
    wid = world.workspace_id
    results: list[tuple[int, int, int]] = []

    def worker(i: int) -> None:
        c = world.client("editor")
        for month in range(1, 5):
            pe = f"{2030 + i}{month:02d}"  # each worker its own periods: no key is shared
            rows = [f"ANC1,{pe},F1,{month}", f"ANC1,{pe},F2,{i}"]
            if month == 4 and i % 2:
                rows.append(f"ANC1,{pe},NOPE,1")  # refused: nothing of it imported
            results.append((i, month, _upload(c, wid, rows).status_code))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for _, _, code in results) == [201] * 14 + [422] * 2
    c = world.client("editor")
    series = c.get(f"/api/workspaces/{wid}/indicators", params={"data_element": "ANC1"}).json()
    got = {r["period"]: r["value"] for r in series if r["period"] >= "2030"}
    want = {f"{2030 + i}{m:02d}": float(m + i) for i, m, code in results if code == 201}
    assert got == want  # every acknowledged row stored, nothing of the refused uploads

def test_an_upload_through_the_page_refreshes_only_what_it_changed(world: World) -> None:
    wid = world.workspace_id
    editor = world.client("editor")
    assert "No routine data yet" in editor.get(f"/w/{wid}").text
    cache = world.app.state.cache  # type: ignore[attr-defined]
    kept = ("unrelated", wid)
    cache.get_or_compute(kept, lambda: "still here")
    r = editor.post(
        f"/w/{wid}/uploads",
        data={"kind": "dhis2", "csrf_token": editor.headers["X-CSRF-Token"]},
        files={
            "file": ("v.csv", b"dataElement,period,orgUnit,value\nANC1,202401,F1,777\n", "text/csv")
        },
    )
    assert r.status_code == 200 and "imported" in r.text
    assert "777" in editor.get(f"/w/{wid}").text  # the trend follows the new data version
    assert cache.get_or_compute(kept, lambda: "recomputed") == "still here"  # nothing else dropped


def test_dashboard_says_when_imports_are_newer_than_the_analyses(world: World) -> None:
    wid = world.workspace_id
    editor, viewer = world.client("editor"), world.client("viewer")
    assert "since the analyses were computed" not in editor.get(f"/w/{wid}").text
    assert _upload(editor, wid, ["ANC1,202401,F1,5"]).status_code == 201
    assert _upload(editor, wid, ["ANC1,202402,F1,6"]).status_code == 201
    assert "2 imports since the analyses were computed" in editor.get(f"/w/{wid}").text
    assert "An editor can recompute them" in viewer.get(f"/w/{wid}").text
    r = editor.post(f"/api/workspaces/{wid}/analyses/refresh")
    assert r.status_code == 200, r.text
    assert "since the analyses were computed" not in editor.get(f"/w/{wid}").text
