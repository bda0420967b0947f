"""The dashboards are computed ahead (mmsis.web.warmup): at start and after each import, for
every scope members have and every district filter, under the keys requests use; a request
arriving while a part is computed waits on that computation; /healthz says warm or warming."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mmsis.web import dashboard, warmup


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every computation of the panels and trends, by scope and district."""
    calls: list[tuple[Any, ...]] = []
    panels, series = dashboard.panels, dashboard.services.routine_series

    def count_panels(db: Any, access: Any, district: Any, wave: Any = None) -> Any:
        calls.append(("panels", access.scope_path, district))
        return panels(db, access, district, wave)

    def count_series(db: Any, access: Any, elements: Any, district: Any = None) -> Any:
        calls.append(("trend", access.scope_path, district))
        return series(db, access, elements, district)

    monkeypatch.setattr(dashboard, "panels", count_panels)
    monkeypatch.setattr(dashboard.services, "routine_series", count_series)
    return calls


def _upload(world: Any, csv_upload: Any, anc1: int = 12) -> None:
    c = world.client("owner")
    text = f"dataElement,period,orgUnit,value\nANC1,202401,F1,{anc1}\nMMS_CLIENTS,202401,F2,7\n"
    r = c.post(f"/api/workspaces/{world.workspace_id}/uploads", data={"kind": "dhis2"},
               files={"file": csv_upload(text)})
    assert r.status_code == 201, r.text


def test_warm_pass_covers_every_scope_and_district(world, csv_upload, counted) -> None:  # type: ignore[no-untyped-def]
    _upload(world, csv_upload)
    warmer = warmup.Warmer(world.app)
    assert warmer.run_once() > 0
    # national: all districts and each of D1, D2; the district member: its scope and D1
    assert {("panels", None, None), ("panels", None, "D1"), ("panels", None, "D2"),
            ("panels", "/C/R1/D1", None), ("panels", "/C/R1/D1", "D1")} <= set(counted)
    warmed = len(counted)
    for who, district in (("viewer", None), ("viewer", "D2"), ("district", None),
                          ("district", "D1"), ("admin", "D1")):
        query = f"?district={district}" if district else ""
        r = world.client(who).get(f"/w/{world.workspace_id}{query}")
        assert r.status_code == 200
    assert len(counted) == warmed, counted[warmed:]  # every request read a warmed part
    assert warmer.run_once() == 0  # nothing changed: the pass is skipped
    _upload(world, csv_upload, 13)  # an import of a new value: the next pass computes the
    # new versions (the same values again change no version, and are not recomputed)
    assert warmer.run_once() > 0 and len(counted) > warmed


def test_warm_pass_answers_the_indicators_api_for_each_trend_element(  # type: ignore[no-untyped-def]
        world, csv_upload, counted) -> None:
    _upload(world, csv_upload)
    warmer = warmup.Warmer(world.app)
    assert warmer.run_once() > 0
    warmed = len(counted)
    wid = world.workspace_id
    for who, element, unit in (("viewer", "ANC1", "D1"), ("viewer", "MMS_CLIENTS", None),
                               ("district", "ANC1", "D1")):
        query = f"data_element={element}" + (f"&org_unit={unit}" if unit else "")
        r = world.client(who).get(f"/api/workspaces/{wid}/indicators?{query}")
        assert r.status_code == 200 and r.json(), r.text
    assert len(counted) == warmed, counted[warmed:]  # each answer was computed ahead
    r = world.client("viewer").get(  # a question the warm-up does not ask is computed
        f"/api/workspaces/{wid}/indicators?data_element=ANC1&data_element=MMS_CLIENTS")
    assert r.status_code == 200 and len(counted) == warmed + 1


def test_request_while_warming_waits_on_the_same_computation(  # type: ignore[no-untyped-def]
        world, csv_upload, monkeypatch) -> None:
    _upload(world, csv_upload)
    entered, release = threading.Event(), threading.Event()
    calls: list[Any] = []
    panels = dashboard.panels

    def slow(db: Any, access: Any, district: Any, wave: Any = None) -> Any:
        calls.append((access.scope_path, district))
        if len(calls) == 1:  # the warm-up's first part: hold it until released
            entered.set()
            assert release.wait(60)
        return panels(db, access, district, wave)

    monkeypatch.setattr(dashboard, "panels", slow)
    c = world.client("admin")
    warmer = warmup.start(world.app)
    assert entered.wait(60)
    assert c.get("/healthz").json()["status"] == "warming"
    first = calls[0]
    assert first == (None, None)
    got: list[int] = []
    page = f"/w/{world.workspace_id}"
    request = threading.Thread(target=lambda: got.append(c.get(page).status_code))
    request.start()
    release.set()
    request.join(60)
    assert got == [200]
    assert warmer.thread is not None
    warmup.after_import()  # a no-op pass unless something changed; must end warm
    for _ in range(600):
        if c.get("/healthz").json()["status"] == "warm":
            break
        threading.Event().wait(0.1)
    assert c.get("/healthz").json()["status"] == "warm"
    assert calls.count(first) == 1  # the request did not compute the national panels again


def test_healthz_without_warmup_says_cold(world) -> None:  # type: ignore[no-untyped-def]
    r = world.client().get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "cold"}
