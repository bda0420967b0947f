"""The roadmap Gantt on the actions page (issue #16): one chart per phase in the framework's
order, bars placed by their dates on a shared month axis, overdue bars marked in words."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from tests.web.conftest import World

from mmsis.plan.decisions import Action
from mmsis.web.gantt import roadmap_chart


def _tracked(kr: str, action: str, start: str | None, due: str | None, today: dt.date,
             status: str = "not_started") -> SimpleNamespace:
    rec = Action(key_result=kr, action=action, start=start, due=due, status=status)
    return SimpleNamespace(record=rec, overdue=rec.overdue(today))


def test_bars_sit_at_their_dates_on_one_axis_and_phases_keep_their_order() -> None:
    today = dt.date(2026, 3, 15)
    phase_of = {"a": "introduce", "b": "explore"}
    chart = roadmap_chart([
        _tracked("a", "Pilot in 2 districts", "2026-02-01", "2026-06-30", today, "in_progress"),
        _tracked("b", "Assess supply", None, "2026-03-01", today),
        _tracked("b", "Write the TOR", None, None, today),
    ], phase_of, {"explore": "Explore", "introduce": "Introduce"}, {}, {}, today=today)
    assert chart is not None
    assert [p.phase for p in chart.phases] == ["explore", "introduce"]
    explore, introduce = chart.phases
    assert explore.undated == ["Write the TOR"] and len(explore.bars) == 1
    late = explore.bars[0]
    assert late.milestone and late.overdue  # due 1 Mar, open, today 15 Mar
    bar = introduce.bars[0]
    x0, x1 = chart.plot
    days = (dt.date(2026, 7, 1) - dt.date(2026, 2, 1)).days  # axis: Feb to the month after Jun
    assert bar.x == round(x0, 1)
    assert bar.x + bar.width == pytest_approx(x0 + (x1 - x0) * 149 / days)
    assert late.x == pytest_approx(x0 + (x1 - x0) * 28 / days)
    assert chart.today_x == pytest_approx(x0 + (x1 - x0) * 42 / days)
    assert roadmap_chart([], phase_of, {}, {}, {}) is None


def pytest_approx(v: float) -> object:
    import pytest

    return pytest.approx(v, abs=0.11)  # positions are rounded to 0.1 px


def test_the_actions_page_draws_the_roadmap_per_phase(world: World) -> None:
    from mmsis.framework import load_framework

    krs = load_framework().key_results
    explore = next(k.id for k in krs if k.phase == "explore")
    introduce = next(k.id for k in krs if k.phase == "introduce")
    wid = world.workspace_id
    c = world.client("editor")
    today = dt.date.today()
    past = (today - dt.timedelta(days=10)).isoformat()
    later = (today + dt.timedelta(days=60)).isoformat()
    for body in ({"key_result": introduce, "action": "Pilot in two districts",
                  "owner": "MoH", "start": past, "due": later},
                 {"key_result": explore, "action": "Supply assessment", "due": past}):
        assert c.post(f"/api/workspaces/{wid}/actions", json=body).status_code == 201
    page = world.client("viewer").get(f"/w/{wid}/actions")
    assert page.status_code == 200
    html = page.text
    assert "Roadmap by phase" in html
    figures = re.findall(r'<figure class="chart gantt" aria-labelledby="gantt-(\w+)-cap">', html)
    assert figures == ["explore", "introduce"]
    assert html.count('class="gantt-row overdue"') == 1
    assert re.search(r"Supply assessment: [^<]+, not started — <strong class=\"error\">overdue",
                     html, re.IGNORECASE)
    assert "Pilot in two districts (MoH)" in html
