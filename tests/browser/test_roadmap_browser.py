"""The roadmap Gantt in a real browser (issue #16): actions added in the page are drawn per
phase, the page fits a phone screen (the charts scroll inside their own box) and axe-core finds
no serious WCAG 2.1 A/AA violation."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.browser.conftest import shot
from tests.browser.test_narrow_and_accessible import _axe, _login, fetch_axe

pytestmark = [pytest.mark.peer, pytest.mark.slow]


def test_actions_added_in_the_page_are_drawn_per_phase(browser, server) -> None:  # type: ignore[no-untyped-def]
    from mmsis.framework import load_framework
    from mmsis.present.labels import label

    krs = load_framework().key_results
    explore = next(k for k in krs if k.phase == "explore")
    introduce = next(k for k in krs if k.phase == "introduce")
    today = dt.date.today()
    ctx, pg = _login(browser, server, (390, 844))
    try:
        pg.goto(f"{server['root']}/w/{server['workspace']}/actions")
        for kr, action, start, due in (
                (introduce, "Gantt pilot in two districts", today - dt.timedelta(days=20),
                 today + dt.timedelta(days=70)),
                (explore, "Gantt supply assessment", None, today - dt.timedelta(days=5))):
            pg.get_by_label("Key result").select_option(kr.id)
            pg.get_by_label("Action", exact=True).fill(action)
            if start:
                pg.get_by_role("textbox", name="Start", exact=True).fill(start.isoformat())
            pg.get_by_role("textbox", name="Due date", exact=True).fill(due.isoformat())
            pg.get_by_role("button", name="Add the action").click()
            pg.get_by_role("heading", name="Roadmap by phase").wait_for()
        explore_chart = pg.locator("figure.gantt", has_text=label("explore", "phase"))
        introduce_chart = pg.locator("figure.gantt", has_text=label("introduce", "phase"))
        assert explore_chart.locator(".gantt-row.overdue", has_text="Gantt supply").count() == 1
        bar = introduce_chart.locator(".gantt-row", has_text="Gantt pilot").locator("rect")
        box = bar.bounding_box()
        assert box is not None and box["width"] > 10
        assert "overdue" in explore_chart.locator("figcaption").inner_text()
        width = int(pg.evaluate("document.scrollingElement.scrollWidth"))
        assert width <= 390, f"the page scrolls sideways: {width}px"
        assert _axe(pg, fetch_axe().read_text(encoding="utf-8")) == []
        shot(pg, "actions-roadmap-390")
    finally:
        ctx.close()
