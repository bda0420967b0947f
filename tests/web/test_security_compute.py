"""Compute routes bounded: ranges validated, a fixed number of curve points, a time budget."""

from __future__ import annotations

import concurrent.futures
import time

import pytest
from tests.web.conftest import World, make_world

from mmsis.web import design_calc


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One world for the module: the calculators only read."""
    return make_world(f"sqlite:///{tmp_path_factory.mktemp('compute') / 'web.sqlite3'}")


@pytest.mark.parametrize("pc", ["0.599", "0.59999999", "0.5999999999999"])
def test_tiny_differences_answer_fast_with_a_bounded_curve(world, pc: str) -> None:  # type: ignore[no-untyped-def]
    c = world.client("viewer")
    c.get("/api/design/crt")  # warm: the first calculation imports scipy
    start = time.perf_counter()
    r = c.get("/api/design/crt", params={"pe": "0.6", "pc": pc})
    took = time.perf_counter() - start
    assert took < 1.0, took
    assert r.status_code in (200, 422), r.text
    body = r.json()
    assert len(body["curve"]) <= design_calc.MAX_CURVE_POINTS
    if r.status_code == 200:  # 0.599: about 300,000 clusters per arm, curve spread to 2x that
        xs = [p["x"] for p in body["curve"]]
        assert xs == sorted(xs) and xs[0] == 2 and xs[-1] >= body["result"]["clusters_per_arm"]
    else:
        assert "pc" in body["errors"] and "pc" in body["detail"]


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("crt", {"pe": "0.6", "pc": "0.6"}, "pe"),
        ("crt", {"pe": "1.5"}, "pe"),
        ("crt", {"pc": "0"}, "pc"),
        ("crt", {"m": "1e300"}, "m"),
        ("crt", {"alpha": "1e-300"}, "alpha"),
        ("crt", {"power": "0.9999999999999999"}, "power"),
        ("survey", {"margin": "1e-300"}, "margin"),
        ("survey", {"take": "2.5"}, "take"),
        ("survey", {"take": "1e18"}, "take"),
        ("survey", {"p": "-0.1"}, "p"),
        ("individual", {"p1": "0.5", "p0": "0.5"}, "p1"),
        ("individual", {"p0": "0.50000000001", "p1": "0.5"}, "p0"),
    ],
)
def test_out_of_range_parameters_are_422_naming_the_parameter(world, kind, params, field) -> None:  # type: ignore[no-untyped-def]
    c = world.client("viewer")
    r = c.get(f"/api/design/{kind}", params=params)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"], r.json()
    page = c.get(f"/w/{world.workspace_id}/design", params={"kind": kind, **params})
    assert page.status_code == 422 and "Server error" not in page.text


def test_the_curve_has_at_most_the_fixed_number_of_points() -> None:
    pts = design_calc.curve_points(2, 615_608)
    assert len(pts) <= design_calc.MAX_CURVE_POINTS and pts[0] == 2 and pts[-1] == 615_608
    assert design_calc.curve_points(2, 10) == list(range(2, 11))
    calc = design_calc.calculate("crt", {"pe": "0.6", "pc": "0.599"})
    assert calc.status == 200 and 100 < len(calc.curve) <= design_calc.MAX_CURVE_POINTS


def test_the_time_budget_stops_the_calculation(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mmsis import design

    calls = []
    real = design.crt_power

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(design, "crt_power", slow)
    monkeypatch.setenv("MMSIS_COMPUTE_SECONDS", "0.2")
    c = world.client("viewer")
    start = time.perf_counter()
    r = c.get("/api/design/crt", params={"pe": "0.6", "pc": "0.45"})
    assert time.perf_counter() - start < 3.0  # 0.2 s budget; generous for a loaded machine
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Calculation stopped" and "stopped" in r.json()["detail"]
    assert len(calls) <= 6  # it stopped at the budget, it did not run on through the curve
    page = c.get(f"/w/{world.workspace_id}/design", params={"kind": "crt"})
    assert page.status_code == 503 and "stopped" in page.text


def test_the_calculation_stops_when_the_client_disconnects(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import anyio

    from mmsis import design

    calls = []
    real = design.crt_power

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(design, "crt_power", slow)
    monkeypatch.setenv("MMSIS_COMPUTE_SECONDS", "60")  # the budget is not what stops it
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, object]:
        if messages:
            return messages.pop()
        await anyio.sleep(0.2)  # the client goes away
        return {"type": "http.disconnect"}

    async def run() -> design_calc.Calculation:
        return await design_calc.calculate_while_connected(
            "crt", {"pe": "0.6", "pc": "0.599"}, receive
        )

    start = time.perf_counter()
    # a loop of its own, in a thread: Playwright's sync API (browser tests earlier in the same
    # session) keeps an asyncio loop running in the main thread
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        calc = pool.submit(anyio.run, run).result()
    assert time.perf_counter() - start < 3.0
    assert calc.status == 503 and calc.curve == []
    assert len(calls) <= 10  # 200 points would have taken 10 s
