"""The whole loop in a real browser: login, dashboard, key results, agenda, uploads, design."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.peer, pytest.mark.slow]


def test_login_refuses_a_wrong_password(browser, server, screenshot) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.goto(server["root"] + "/w/" + server["workspace"])
    assert "/login" in pg.url  # anonymous users are sent to the login form
    pg.get_by_label("E-mail").fill(server["email"])
    pg.get_by_label("Password").fill("not the password")
    pg.get_by_role("button", name="Log in").click()
    assert pg.get_by_role("alert").inner_text() == "Wrong e-mail or password."
    assert pg.get_by_label("E-mail").input_value() == server["email"]  # kept what was typed
    screenshot(pg, "login-error")
    ctx.close()


def test_dashboard_shows_scorecard_cascade_trends_and_quality(page, server, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name=re.compile("Examplia")).click()
    page.get_by_role("heading", name="Dashboard", level=1).wait_for()
    heat = page.locator("table.heat")
    assert heat.locator("tbody tr").count() >= 3
    assert heat.locator("td.current").count() == 6  # one current phase per pillar
    assert page.locator("table.cascade tbody tr").count() >= 4
    assert page.locator("#trend svg polyline").count() == 3
    assert "flags" in page.get_by_role("region", name="Data-quality flags").inner_text()
    screenshot(page, "dashboard")
    # the district filter re-draws the trend through HTMX without leaving the page
    before = page.locator("#trend figcaption").inner_text()
    page.get_by_label("District", exact=True).select_option(label="Amani District")
    page.wait_for_function(
        "b => document.querySelector('#trend figcaption').innerText !== b", arg=before
    )
    assert "Amani District" in page.locator("#trend figcaption").inner_text()
    screenshot(page, "dashboard-district")


def test_tablet_layout_keeps_navigation_usable(browser, server, screenshot) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 800, "height": 1100})
    pg = ctx.new_page()
    pg.goto(server["root"] + "/login")
    pg.get_by_label("E-mail").fill(server["email"])
    pg.get_by_label("Password").fill(server["password"])
    pg.get_by_role("button", name="Log in").click()
    pg.get_by_role("heading", name="Your workspaces").wait_for()  # logged in before moving on
    pg.goto(server["root"] + f"/w/{server['workspace']}")
    nav = pg.get_by_role("navigation", name="Workspace")
    assert nav.get_by_role("link", name="IR agenda").is_visible()
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 800  # nothing forces sideways scrolling on a tablet
    screenshot(pg, "dashboard-tablet")
    ctx.close()


def test_edit_a_key_result_with_evidence(page, server, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["root"] + f"/w/{server['workspace']}/key-results")
    card = page.locator("li.kr").first
    kr_id = card.get_attribute("id")
    card.get_by_label("Status").select_option("partly")
    card.get_by_label("Note").fill("Reviewed at the <TAG> meeting")
    with page.expect_navigation():  # the form posts and redirects; wait for the new page
        card.get_by_role("button", name="Save").click()
    card = page.locator(f"#{kr_id}")
    assert card.get_by_label("Status").input_value() == "partly"
    assert card.get_by_label("Note").input_value() == "Reviewed at the <TAG> meeting"
    evidence = tmp_path / "minutes.txt"
    evidence.write_text("TAG minutes")
    card.get_by_label("Evidence file").set_input_files(str(evidence))
    with page.expect_navigation():
        card.get_by_role("button", name="Attach").click()
    assert page.locator(f"#{kr_id} .evidence").inner_text().startswith("minutes.txt")
    screenshot(page, "key-results")
    page.goto(server["root"] + f"/w/{server['workspace']}/audit")
    assert "Key result" in page.locator("table").inner_text()  # the entity in words


def test_build_an_agenda(page, server, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["root"] + f"/w/{server['workspace']}/agenda")
    suggestions = page.locator(".suggestions li")
    first, second = (
        suggestions.nth(i).locator("form input[name=text]").get_attribute("value") for i in range(2)
    )
    suggestions.nth(0).get_by_role("button", name=re.compile("^Add")).click()
    page.locator(".agenda-item", has_text=first[:40]).wait_for()
    page.locator(".suggestions li").nth(0).get_by_role("button", name=re.compile("^Add")).click()
    page.locator(".agenda-item", has_text=second[:40]).wait_for()
    # (earlier tests of the session may have put items on this agenda: find ours by text)

    def item(text: str, state: str = ""):  # type: ignore[no-untyped-def]
        return page.locator(f".agenda-item{state}", has_text=text[:40])

    # move the second item up, above the first; accept it, reject the other
    item(second).get_by_role("button", name=re.compile("^Move up")).click()
    page.wait_for_function(
        """([a, b]) => {
            const t = [...document.querySelectorAll('.agenda-item .text')].map(e => e.innerText);
            const i = t.findIndex(x => x.includes(a)), j = t.findIndex(x => x.includes(b));
            return i >= 0 && j >= 0 && i < j;
        }""", arg=[second[:40], first[:40]],
    )
    item(second).get_by_role("button", name=re.compile("^Accept")).click()
    item(second, ".decision-accepted").wait_for()
    item(first).get_by_role("button", name=re.compile("^Reject")).click()
    item(first, ".decision-rejected").wait_for()
    # an empty own question is refused and the kind chosen is kept
    page.get_by_label("Kind").select_option("strategy")
    page.get_by_role("button", name="Add to agenda").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_label("Kind").input_value() == "strategy"
    screenshot(page, "agenda")


def test_upload_with_errors_shows_every_refused_row(page, server, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "district_export.csv"
    bad.write_text(
        "dataElement,period,orgUnit,value\nANC1,202501,FAC0001,3\n"
        "ANC1,202513,FAC0001,4\nANC1,202501,NOWHERE,2\nANC1,202502,FAC0001,-1\n"
    )
    page.goto(server["root"] + f"/w/{server['workspace']}/uploads")
    page.get_by_label("DHIS2 data values").check()
    page.get_by_label("File", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    status = page.get_by_role("status")
    assert "Nothing imported" in status.inner_text()
    rows = page.locator("table.refused tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["2", "3", "4"]
    screenshot(page, "upload-refused")


def test_design_calculator_keeps_input_and_draws_power_curve(page, server, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["root"] + f"/w/{server['workspace']}/design?kind=crt")
    page.get_by_label("Women per cluster").fill("abc")
    page.get_by_role("button", name="Calculate").click()
    assert page.get_by_label("Women per cluster").input_value() == "abc"
    assert "not a number" in page.get_by_role("alert").inner_text()
    page.get_by_label("Women per cluster").fill("25")
    page.get_by_role("button", name="Calculate").click()
    assert "clusters per arm" in page.locator(".big").inner_text()
    assert page.locator("svg polyline").count() == 1
    screenshot(page, "design")


def test_scenario_and_report_download(page, server, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    page.goto(server["root"] + f"/w/{server['workspace']}/scenario")
    supply = page.get_by_role("region", name=re.compile("Supply and budget")).inner_text()
    assert "Total budget" in supply and "at a total cost of USD" in supply
    screenshot(page, "scenario")
    page.goto(
        server["root"] + f"/w/{server['workspace']}/evaluation?data_element=ANC1&start=202301"
    )
    assert page.locator("#its-chart-t").count() == 1
    screenshot(page, "evaluation")
    page.goto(server["root"] + f"/w/{server['workspace']}/report")
    with page.expect_download(timeout=180000) as dl:
        # a link, or the wave form's button once a session test has added a second wave
        name = re.compile("Download the report")
        page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).click()
    path = tmp_path / "report.zip"
    dl.value.save_as(path)
    names = zipfile.ZipFile(path).namelist()
    assert "report.html" in names and "agenda.xlsx" in names
    html = zipfile.ZipFile(path).read("report.html").decode()
    assert "Examplia" in html
