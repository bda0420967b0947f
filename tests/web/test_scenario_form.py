"""The scenario as a form (issue #15, #14 web): adherence and the pathway switches of the
scenario are set from the page, errors are shown beside their field with what was typed kept,
and the page shows DALYs by pathway and the acceptability curve with its thresholds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mmsis.datasets import ExampleCountry


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, example_country: ExampleCountry
         ) -> Iterator[dict[str, Any]]:
    """The example workspace, logged in as its owner (an editor of the scenario)."""
    from fastapi.testclient import TestClient
    from tests.web.conftest import login

    from mmsis.demos.web import seed_demo
    from mmsis.web import create_app

    base: Path = tmp_path_factory.mktemp("form")
    url = f"sqlite:///{base / 'demo.sqlite3'}"
    info = seed_demo(url, base / "data", country=example_country)
    client = TestClient(create_app(url, secret_key="form-test"))
    login(client, info["email"], info["password"])
    yield {"client": client, "wid": info["workspace_id"]}
    client.close()


def _form(page: str) -> dict[str, str]:
    """The form's current values (inputs, checked boxes, selected options)."""
    form = page[page.index('action="/w/') if 'scenario/form' not in page else
                page.index("scenario/form"):]
    form = form[:form.index("</form>")]
    values = {n: v for n, v in re.findall(r'<input id="[^"]+" (?:type="month" )?name="([^"]+)"'
                                          r'[^>]*value="([^"]*)"', form)}
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form,
                                 re.S):
        sel = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = sel.group(1) if sel else ""
    for name in re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="on" '
                           r'checked', form):
        values[name] = "on"
    return values


def _scenario(c: Any, wid: int) -> dict[str, Any]:
    from mmsis.web import analytics
    from mmsis.web import db as dbm

    with dbm.session_scope(c.app.state.sessions) as db:
        found = analytics.load_result(db, wid, "scenario")
        assert found is not None
        return dict(found[0])


def test_form_sets_adherence_and_pathways(demo: dict[str, Any]) -> None:
    c, wid = demo["client"], demo["wid"]
    page = c.get(f"/w/{wid}/scenario").text
    assert "DALYs averted by pathway" in page and "Cost-effectiveness acceptability curve" in page
    assert "Willingness to pay per DALY averted (USD 2024)" in page
    # the tornado names its inputs and has a row per pathway (switched off and on)
    assert "What the cost per DALY depends on most" in page
    assert re.search(r"<th scope=\"row\">Neonatal deaths through preterm birth counted</th>"
                     r"<td>off to on</td>", page)
    values = _form(page)
    assert values["regimen.adherence"] == "100"
    assert "impact.daly.include_stillbirths" not in values  # off by default, as in GBD
    values.update({"regimen.adherence": "60", "impact.daly.include_stillbirths": "on",
                   "impact.thresholds.gdp_per_capita": "1000",
                   "csrf_token": c.headers["X-CSRF-Token"]})
    r = c.post(f"/w/{wid}/scenario/form", data=values, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    saved = _scenario(c, wid)
    assert saved["regimen"]["adherence"] == pytest.approx(0.6)
    assert saved["impact"]["daly"]["include_stillbirths"] is True
    assert saved["impact"]["thresholds"]["gdp_per_capita"] == 1000
    page = c.get(f"/w/{wid}/scenario").text
    row = re.search(r"<th scope=\"row\">Stillbirths</th><td>(on|off)</td>", page)
    assert row and row.group(1) == "on"
    # the thresholds are marked on the curve and tabled with the probability at each
    assert "1x GDP per capita: USD\xa01,000" in page and "3x GDP per capita: USD\xa03,000" in page
    assert _form(page)["regimen.adherence"] == "60"
    # the cost-effectiveness plane: the draws, with a line per threshold
    assert "Cost-effectiveness plane (one dot per Monte Carlo draw)" in page
    assert page.count('<line class="threshold"') == 2 and page.count("<circle cx=") > 100


def test_form_errors_beside_the_field_keep_the_input(demo: dict[str, Any]) -> None:
    c, wid = demo["client"], demo["wid"]
    before = _scenario(c, wid)
    values = _form(c.get(f"/w/{wid}/scenario").text)
    values.update({"regimen.adherence": "130", "mms.price_per_tablet": "cheap",
                   "csrf_token": c.headers["X-CSRF-Token"]})
    r = c.post(f"/w/{wid}/scenario/form", data=values)
    assert r.status_code == 422
    assert re.search(r'name="regimen.adherence" inputmode="decimal" value="130" '
                     r'aria-invalid="true" aria-describedby="sf-regimen-adherence-e"', r.text)
    assert 'id="sf-regimen-adherence-e">must be a percentage from 0 to 100<' in r.text
    assert "&#39;cheap&#39; is not a number" in r.text and 'value="cheap"' in r.text
    assert _scenario(c, wid) == before  # nothing saved
    # a start month the forecast refuses (before the scenario's horizon is fine; a bad
    # month is not) is shown beside that district
    key = next(k for k in values if k.startswith("start:"))
    values.update({"regimen.adherence": "90", "mms.price_per_tablet": "0.015", key: "2024"})
    r = c.post(f"/w/{wid}/scenario/form", data=values)
    assert r.status_code == 422 and "choose a month (year and month)" in r.text


def test_viewers_cannot_post_the_form(demo: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(demo["client"].app)
    r = c.post(f"/w/{demo['wid']}/scenario/form", data={"regimen.adherence": "50"},
               follow_redirects=False)
    assert r.status_code in (303, 401, 403)


def test_a_national_start_month_and_field_errors_without_a_server() -> None:
    from tests.web.test_workspace_report import SCENARIO

    from mmsis.forecast import scenario_from_dict
    from mmsis.web import scenario_form

    values = scenario_form.values(scenario_from_dict(SCENARIO, file="scenario"))
    assert values["rollout.start"] == "2025-01" and values["regimen.adherence"] == "100"
    new, errors = scenario_form.apply(SCENARIO, {"rollout.start": "2025-06",
                                                 "regimen.adherence": "30"})
    assert errors == {} and new["rollout"]["start"] == "2025-06"
    assert new["regimen"]["adherence"] == pytest.approx(0.3)
    assert SCENARIO["rollout"]["start"] == "2025-01"  # the saved mapping is not changed
    _, errors = scenario_form.apply(SCENARIO, {"rollout.start": "June",
                                               "impact.neonatal_pathway": "maybe",
                                               "rollout.ramp_months": "1.5"})
    assert errors == {"rollout.start": "choose a month (year and month)",
                      "impact.neonatal_pathway": "choose one of the options",
                      "rollout.ramp_months": "must be a whole number"}


def test_the_survey_adherence_shares_all_or_none() -> None:
    from tests.web.test_workspace_report import SCENARIO

    from mmsis.web import scenario_form

    key = scenario_form.SHARES
    new, errors = scenario_form.apply(SCENARIO, {f"{key}.ge_90": "50",
                                                 f"{key}.from_60_to_90": "30",
                                                 f"{key}.below_60": "20"})
    assert errors == {}
    assert new["regimen"]["adherence_shares"] == pytest.approx(
        {"ge_90": 0.5, "from_60_to_90": 0.3, "below_60": 0.2})
    _, errors = scenario_form.apply(SCENARIO, {f"{key}.ge_90": "50"})
    assert errors == {f"{key}.from_60_to_90": "give all three shares, or none",
                      f"{key}.below_60": "give all three shares, or none"}
    _, errors = scenario_form.apply(SCENARIO, {f"{key}.ge_90": "50",
                                               f"{key}.from_60_to_90": "30",
                                               f"{key}.below_60": "30"})
    assert errors == {f"{key}.ge_90": "the three shares must add up to 100%"}
    new, errors = scenario_form.apply(SCENARIO, {f"{key}.ge_90": "", f"{key}.below_60": ""})
    assert errors == {} and new["regimen"].get("adherence_shares") is None
