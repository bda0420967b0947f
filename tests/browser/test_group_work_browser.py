"""Group work in a real browser (issue #16): a CHNRI scoring round and a logged decision."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.peer, pytest.mark.slow]

QUESTION = "Can private pharmacies keep MMS in stock between deliveries?"


def test_a_scoring_round_then_a_decision_on_the_timeline(page, server, screenshot) -> None:  # type: ignore[no-untyped-def]
    w = f"{server['root']}/w/{server['workspace']}"
    page.goto(w + "/agenda")
    page.get_by_label("Kind").select_option("question")
    page.get_by_label("Text").fill(QUESTION)
    page.get_by_role("button", name="Add to agenda").click()
    page.locator(".agenda-item", has_text=QUESTION).wait_for()

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Priorities").click()
    page.get_by_role("heading", name="Research priorities (CHNRI)", level=1).wait_for()
    answers = {"Answerability": "1", "Effectiveness": "0.5", "Deliverability": "1",
               "Maximum impact": "0", "Equity": ""}
    for criterion, value in answers.items():
        page.get_by_label(f"{criterion}: {QUESTION}").select_option(value)
    page.get_by_role("button", name="Save my scores").click()
    table = page.locator("table.chnri")
    table.wait_for()
    row = table.locator("tbody tr", has_text=QUESTION)
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    # by hand: criterion scores 100, 50, 100, 0 (equity: don't know) -> RPS 62.5;
    # one rater agrees with themself on every criterion scored -> agreement 100%
    assert cells[1] == "62.5" and cells[2] == "100%", cells
    assert cells[3:8] == ["100", "50", "100", "0", "—"], cells
    # the form shows the answers saved
    assert page.get_by_label(f"Effectiveness: {QUESTION}").input_value() == "0.5"
    screenshot(page, "priorities-chnri")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Decisions").click()
    page.get_by_label("Date").fill("2026-03-02")
    page.get_by_label("What was decided or modified").fill(
        "Supply pharmacies from the district store every month")
    page.get_by_label("Nature of the change").select_option("adding")
    page.get_by_label("Goal").fill("no stock-outs in pharmacies")
    page.get_by_label("Reactive (unplanned)").check()
    page.get_by_label("Decided by (comma-separated roles or bodies)").fill("TAG, pharmacy board")
    page.get_by_label("organisation").check()
    page.get_by_label("Evidence that led to it").fill("pharmacy audit: 3 of 10 stocked out")
    page.get_by_role("button", name="Log the decision").click()
    entry = page.locator("ol.timeline li", has_text="Supply pharmacies")
    entry.wait_for()
    text = entry.inner_text()
    assert "2 Mar 2026" in text and "reactive" in text.lower() and "TAG, pharmacy board" in text
    assert re.search(r"Evidence\s+pharmacy audit", text)
    screenshot(page, "decisions-timeline")
