"""Survey waves in a real browser: a second wave uploaded, both kept, the user picks one on the
dashboard (HTMX select) and the cascade and the scorecard follow, saying which wave and what
the shares are of."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.peer, pytest.mark.slow]


def test_the_dashboard_cascade_follows_the_wave_picked(  # type: ignore[no-untyped-def]
        page, server, screenshot, example_country, tmp_path: Path) -> None:
    later = example_country.survey.copy()
    later["caseid"] = "W2-" + later["caseid"].astype(str)
    later["s_supp_type"] = later["s_supp_type"].where(later["m45"] != 1, 2)  # all MMS now
    wave2 = tmp_path / "survey_2025.csv"
    later.to_csv(wave2, index=False)
    root, wid = server["root"], server["workspace"]
    page.goto(f"{root}/w/{wid}/uploads")
    page.get_by_label("Survey microdata").check()
    page.get_by_label("File", exact=True).set_input_files(str(wave2))
    page.get_by_role("button", name="Check and import").click()
    page.get_by_text("survey_2025.csv").first.wait_for()

    page.goto(f"{root}/w/{wid}")
    picker = page.get_by_label("Survey wave")
    options = picker.locator("option")
    assert options.count() >= 2
    assert "survey_2025.csv (the latest)" in picker.locator("option:checked").inner_text()
    cascade = page.get_by_role("region", name="MMS coverage cascade")
    assert "women with a birth in the past 24 months" in cascade.inner_text()
    latest_text = cascade.locator("table.cascade").inner_text()
    assert "Received any MMS" in latest_text
    screenshot(page, "dashboard-wave-latest")

    picker.select_option(label="examplia_survey.csv")
    page.wait_for_function(
        "() => document.querySelector('#wave-panels p.muted') && document.querySelector("
        "'#wave-panels p.muted').innerText.includes('examplia_survey.csv')")
    assert re.search(r"[?&]wave=", page.url)  # the choice is in the address (shareable)
    first_text = page.locator("table.cascade").inner_text()
    assert first_text != latest_text  # another wave, another MMS coverage
    assert "women with a birth in the past 24 months" in page.locator(
        "table.cascade caption").inner_text()
    assert page.locator("table.heat td.current").count() == 6  # the scorecard is still there
    screenshot(page, "dashboard-wave-first")
