"""A country starts from nothing in a real browser, as the README's "Starting a country from
nothing" says: workspace, org units, populations, phase, data-element mapping, DHIS2
connection, first sync (a job followed live), first report (a job, then its download) —
against a loopback DHIS2."""

from __future__ import annotations

import json
import zipfile

import pytest

from data_dhis2 import loopback_dhis2

pytestmark = [pytest.mark.peer, pytest.mark.slow]


def _wait_job_done(page) -> str:  # type: ignore[no-untyped-def]
    """Wait for the newest job card to finish (the HTMX fragment polls every second)."""
    card = page.locator("div.job").first
    page.wait_for_function(
        "() => { const j = document.querySelector('div.job');"
        " return j && ['done', 'failed'].includes(j.dataset.status); }",
        timeout=120000,
    )
    return str(card.get_attribute("data-status"))


def test_a_country_team_starts_from_nothing(page, server, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    meta = tmp_path / "country-metadata.json"
    meta.write_text(json.dumps({"organisationUnits": loopback_dhis2.ORG_UNITS,
                                "dataElements": loopback_dhis2.DATA_ELEMENTS}))
    pops = tmp_path / "populations.csv"
    pops.write_text("orgUnit,year,population\nROOT,2024,300000\nD1,2024,180000\n"
                    "D2,2024,120000\n")
    with loopback_dhis2.serve() as (dhis2_url, state):
        # 1. a new workspace (administrators)
        page.goto(server["root"] + "/")
        page.get_by_label("Name").fill("Loopbackia")
        page.get_by_label("Country").fill("Loopbackia")
        with page.expect_navigation():
            page.get_by_role("button", name="Create", exact=True).click()
        nav = page.get_by_role("navigation", name="Workspace")
        nav.get_by_role("link", name="Set up the country").click()
        page.get_by_role("heading", name="Set up the country", level=1).wait_for()
        # 2. org units, 3. populations, 4. phase
        page.get_by_label("Org-unit file").set_input_files(str(meta))
        with page.expect_navigation():
            page.get_by_role("button", name="Import org units").click()
        assert "6 org units imported" in page.get_by_role("status").first.inner_text()
        assert "level 3: 3" in page.locator("#ou-h + p").inner_text()
        page.get_by_label("Population file").set_input_files(str(pops))
        with page.expect_navigation():
            page.get_by_role("button", name="Import populations").click()
        assert "3 population rows imported" in page.get_by_role("status").first.inner_text()
        page.get_by_label("Phase of the programme").select_option("introduce")
        with page.expect_navigation():
            page.get_by_role("button", name="Save the phase").click()
        assert page.get_by_label("Phase of the programme").input_value() == "introduce"
        # 4b. which data elements and levels are ANC1 visits, MMS clients, the districts
        page.get_by_label("ANC first visits", exact=True).select_option("ANC1")
        page.get_by_label("ANC clients given MMS", exact=True).select_option("MMS_CLIENTS")
        page.get_by_label("District level").fill("2")
        page.get_by_label("Region level").fill("1")
        with page.expect_navigation():
            page.get_by_role("button", name="Save data elements and levels").click()
        assert "Data elements and levels saved" in page.get_by_role("status").first.inner_text()
        assert page.get_by_label("ANC first visits", exact=True).input_value() == "ANC1"
        # 5. the DHIS2 connection: saved, tested, the token never shown again
        page.get_by_label("DHIS2 address").fill(dhis2_url)
        page.get_by_label("Personal access token").fill(loopback_dhis2.TOKEN)
        with page.expect_navigation():
            page.get_by_role("button", name="Save and test the connection").click()
        assert "Connected to Loopback DHIS2 2.40.3" in page.content()
        assert loopback_dhis2.TOKEN not in page.content()
        # 6. the first sync, a job followed live on the page
        page.get_by_label("Data elements (DHIS2 ids, separated by spaces or commas)").fill(
            "ANC1 MMS_CLIENTS")
        page.get_by_label("Periods (e.g. 202401:202412)").fill("202401:202406")
        with page.expect_navigation():
            page.get_by_role("button", name="Start the sync").click()
        assert _wait_job_done(page) == "done"
        assert "36 values pulled" in page.locator("div.job").first.inner_text()
        assert any(r.startswith("/api/analytics") for r in state.requests)
        screenshot(page, "country-setup")
        # 7. the first report: built as a job, then downloaded
        nav.get_by_role("link", name="Report").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Build the report in the background").click()
        assert _wait_job_done(page) == "done"
        with page.expect_download() as dl:
            page.get_by_role("link", name="Download the report (.zip)").last.click()
        path = tmp_path / "report.zip"
        dl.value.save_as(path)
        names = zipfile.ZipFile(path).namelist()
        assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".html") for n in names)
        screenshot(page, "country-first-report")
