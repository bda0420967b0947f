"""Pages never wait on a long recompute of the measured values: a dashboard asked while the
current ones are computed answers at once with the last complete ones, marked (issue #20: on
100 M values they take ~90 s and every request had waited, holding a database connection);
the report and the API still compute the current ones (one answer per data version)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from tests.web.conftest import World, wait_for

from mmsis.web import analytics
from mmsis.web import dashboard as dash
from mmsis.web.models import Workspace


class _Measure:
    """A stand-in for the measurements: value per data version, blocking while `gate` is
    clear, counting its computations."""

    def __init__(self) -> None:
        self.version = "v1"
        self.gate = threading.Event()
        self.gate.set()
        self.runs: list[str] = []
        self.payload = lambda version: {"value": {"version": version}}

    def __call__(self, ws: Any, wave: str | None) -> Any:
        version = self.version

        def compute() -> dict[str, Any]:
            self.runs.append(version)
            self.gate.wait(30)
            return self.payload(version)  # type: ignore[no-any-return]

        return compute


@pytest.fixture
def measure(monkeypatch: pytest.MonkeyPatch) -> _Measure:
    m = _Measure()
    monkeypatch.setattr(analytics, "_measure", m)
    monkeypatch.setattr(analytics, "analysis_data_version", lambda ws: m.version)
    monkeypatch.setenv(analytics.COMPUTE_WAIT_ENV, "0")
    return m


def _ws(tmp_path: Any) -> Workspace:
    return Workspace(id=1, store_path=str(tmp_path / "store.duckdb"))


def test_a_request_during_a_recompute_gets_the_last_result_at_once_marked(
        measure: _Measure, tmp_path: Any) -> None:
    ws = _ws(tmp_path)
    assert wait_for(lambda: analytics.measured_served(ws).current, 10)
    first = analytics.measured_served(ws)
    assert (first.value, first.version, first.current) == ({"value": {"version": "v1"}}, "v1",
                                                           True)
    assert first.computed_at is not None
    measure.version, measure.gate = "v2", threading.Event()  # a relevant import; slow compute
    began = time.monotonic()
    during = [analytics.measured_served(ws) for _ in range(5)]
    assert time.monotonic() - began < 1.0  # nobody waited for the computation
    assert all((d.value, d.version, d.current) == (first.value, "v1", False) for d in during)
    assert measure.runs == ["v1", "v2"]  # one computation for all five requests
    measure.gate.set()
    assert wait_for(lambda: analytics.measured_served(ws).current, 10)
    after = analytics.measured_served(ws)
    assert (after.value, after.version) == ({"value": {"version": "v2"}}, "v2")
    # the report's and the API's answer of the same version is the same computation's
    assert analytics.measured_for(ws) == after.value and measure.runs == ["v1", "v2"]


def test_a_cold_page_waits_for_nothing_and_says_nothing_is_measured_yet(
        measure: _Measure, tmp_path: Any) -> None:
    measure.gate.clear()
    served = analytics.measured_served(_ws(tmp_path))
    assert (served.value, served.version, served.current) == (None, None, False)
    measure.gate.set()


def test_a_short_computation_is_waited_for(measure: _Measure, tmp_path: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(analytics.COMPUTE_WAIT_ENV, "20")  # (small data: the page is current)
    served = analytics.measured_served(_ws(tmp_path))
    assert served.current and served.value == {"value": {"version": "v1"}}


def _upload(c: Any, wid: int, rows: list[str]) -> Any:
    body = "\n".join(["dataElement,period,orgUnit,value", *rows]).encode()
    return c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                  files={"file": ("values.csv", body, "text/csv")})


def test_the_dashboard_says_its_measured_values_are_being_updated(
        world: World, measure: _Measure) -> None:
    wid = world.workspace_id
    editor = world.client("editor")
    measure.payload = lambda version: {}  # (a scorecard of the saved statuses only)
    assert _upload(editor, wid, ["ANC1,202401,F1,4321"]).status_code == 201
    assert wait_for(lambda: "being computed" not in editor.get(f"/w/{wid}").text, 20)
    assert "being updated" not in editor.get(f"/w/{wid}").text
    measure.version, measure.gate = "v2", threading.Event()
    began = time.monotonic()
    page = editor.get(f"/w/{wid}")
    assert page.status_code == 200 and time.monotonic() - began < 10
    assert "from earlier data: being updated with the latest" in page.text
    measure.gate.set()
    assert wait_for(lambda: "being updated" not in editor.get(f"/w/{wid}").text, 20)


def _version(world: World) -> str:
    with world.app.state.sessions() as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        return analytics.analysis_data_version(ws)


def test_a_re_upload_changing_no_value_starts_no_recompute(world: World) -> None:
    wid = world.workspace_id
    editor = world.client("editor")
    assert _upload(editor, wid, ["ANC4,202401,F1,5", "ANC4,202401,F2,6"]).status_code == 201
    before = _version(world)
    same = _upload(editor, wid, ["ANC4,202401,F1,5"])
    assert same.status_code == 201 and same.json()["status"] != "refused"
    assert _version(world) == before  # the same values again: nothing to recompute
    assert _upload(editor, wid, ["ANC4,202401,F1,9"]).status_code == 201
    assert _version(world) != before  # a changed value is a new version


def test_the_org_unit_paths_are_read_once_per_org_unit_version(world: World) -> None:
    from mmsis.web import services

    with world.app.state.sessions() as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        first = dash.unit_paths(db, ws)
        assert dash.unit_paths(db, ws) is first  # shared, not read again
        assert first == services.org_unit_paths(db, ws.id)
        ws.org_units_version = (ws.org_units_version or 0) + 1  # the org units changed
        again = dash.unit_paths(db, ws)
        assert again is not first and again == first


def test_the_scorecard_panel_is_judged_once_for_every_district(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from mmsis.framework import load_framework

    judged: list[object] = []
    original = dash._judged_panel

    def counting(*args: Any) -> Any:
        judged.append(args[2])
        return original(*args)

    monkeypatch.setattr(dash, "_judged_panel", counting)
    monkeypatch.setenv(analytics.COMPUTE_WAIT_ENV, "20")
    wid = world.workspace_id
    editor = world.client("editor")
    assert _upload(editor, wid, ["ANC1,202401,F1,4321"]).status_code == 201
    pages = [editor.get(f"/w/{wid}", params={"district": d} if d else None)
             for d in (None, "D1", "D2")]
    assert all(p.status_code == 200 and "heat" in p.text for p in pages)
    assert len(judged) == 1  # three dashboards, one judgement
    kr = load_framework().key_results[0].id
    assert editor.put(f"/api/workspaces/{wid}/key-results/{kr}",
                      json={"status": "met", "note": "ok"}).status_code == 200
    assert editor.get(f"/w/{wid}", params={"district": "D1"}).status_code == 200
    assert len(judged) == 2  # a status changed: judged again


def test_new_measurements_ask_for_a_warm_pass(measure: _Measure, tmp_path: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from mmsis.web import warmup

    asked: list[int] = []
    monkeypatch.setattr(warmup, "after_import", lambda: asked.append(1))
    ws = _ws(tmp_path)
    assert wait_for(lambda: analytics.measured_served(ws).current, 10)
    assert asked == [1]  # the parts of the new measurements are computed ahead, not by users
