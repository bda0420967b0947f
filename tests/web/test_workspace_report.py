"""The report of a workspace made from its own uploads (not seeded from the example country):
its name, its own routine numbers, its survey upload, the saved scenario, the user's
org-unit scope, and the sections it has no data for marked as unavailable."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import yaml
from tests.web.conftest import World

from mmsis.datasets import ExampleCountry

# ANC1 10 (F1) and 20 (F2) a month; MMS clients 4 (F1) and 11 (F2), January-March 2024.
# Latest quarter 2024Q1, whole country: MMS share of ANC1 = 3 x 15 / 3 x 30 = 45 / 90 = 0.5;
# district D1 (F1 only): 12 / 30 = 0.4.
VALUES = "dataElement,period,orgUnit,value\n" + "".join(
    f"{de},{pe},{ou},{v}\n"
    for pe in ("202401", "202402", "202403")
    for ou, anc1, mms in (("F1", 10, 4), ("F2", 20, 11))
    for de, v in (("ANC1", anc1), ("MMS_CLIENTS", mms))
)
SCENARIO = {
    "name": "Examplia two-district scale-up",
    "start": "2025-01",
    "horizon_months": 12,
    "geography": {"level": "national", "pregnancies": 1200},
    "pregnancies": {"method": "given", "pregnancy_loss_adjustment": 1.0},
    "anc1_coverage": 1.0,
    "regimen": {"tablets_per_pregnancy": 180, "adherence": 1.0, "wastage": 0.0},
    "mms": {"pack_size": 180, "price_per_tablet": 0.02},
    "ifa": {"pack_size": 1000, "price_per_tablet": 0.005, "dispensing_months": 6},
    "freight_pct": 0.1,
    "distribution_pct": 0.05,
    "rollout": {"start": "2025-01", "ramp_months": 1, "uptake": 1.0},
    "inventory": {"min_months": 3, "max_months": 6, "lead_time_months": 0,
                  "review_period_months": 1},
}


def _upload(c: Any, world: World, kind: str, name: str, text: str) -> None:
    r = c.post(f"/api/workspaces/{world.workspace_id}/uploads", data={"kind": kind},
               files={"file": (name, text.encode(), "text/csv")})
    assert r.status_code == 201 and r.json()["refused"] == [], r.text


def _report_html(c: Any, url: str) -> str:
    r = c.get(url)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert {"report.html", "agenda.xlsx", "protocol.docx", "scorecard.png"} <= set(z.namelist())
    return z.read("report.html").decode()


def _share_row(html: str) -> list[str]:
    row = re.search(r"<td>Jan-Mar 2024</td><td>MMS clients per ANC1 client</td>(.*?)</tr>", html)
    assert row, "no latest-quarter row for mms_share_of_anc1"
    return re.findall(r">([^<]*)</td>", row.group(1))


def test_routine_only_workspace_downloads_its_own_report(world: World) -> None:
    c = world.client("editor")
    _upload(c, world, "dhis2", "examplia_jan_mar_2024.csv", VALUES)
    html = _report_html(c, f"/w/{world.workspace_id}/report/download")
    assert "MMS implementation report: Examplia" in html
    assert _share_row(html) == ["0.5", "45", "90"]
    assert "examplia_jan_mar_2024.csv" in html and "12 values" in html
    assert "synthetic example country" not in html and "(synthetic, mmsis.datasets" not in html
    for why in ("no survey microdata uploaded to this workspace",
                "no scenario saved on this workspace&#39;s scenario page",
                "no MMS start month per district"):
        assert f"Not available: {why}" in html
    # the JSON API gives the same report
    api = _report_html(c, f"/api/workspaces/{world.workspace_id}/report")
    assert _share_row(api) == ["0.5", "45", "90"]


def test_district_user_gets_their_subtree_only(world: World) -> None:
    _upload(world.client("editor"), world, "dhis2", "values.csv", VALUES)
    html = _report_html(world.client("district"), f"/w/{world.workspace_id}/report/download")
    assert _share_row(html) == ["0.4", "12", "30"]  # F1 only
    assert "limited to Alpha district" in html  # its name, not its path


def test_survey_and_scenario_fill_their_sections(world: World,
                                                 example_country: ExampleCountry) -> None:
    c = world.client("editor")
    _upload(c, world, "dhis2", "values.csv", VALUES)
    survey = example_country.survey.drop(columns=["district_id"]).sample(900, random_state=1)
    _upload(c, world, "survey", "household_survey_2024.csv", survey.to_csv(index=False))
    r = c.put(f"/api/workspaces/{world.workspace_id}/scenario",
              json={"scenario": yaml.safe_dump(SCENARIO)})
    assert r.status_code == 200, r.text
    html = _report_html(c, f"/w/{world.workspace_id}/report/download")
    assert "(household_survey_2024.csv, 900 respondents used" in html
    assert "Not available: no survey" not in html
    assert "Received any MMS: " in html
    assert ("Scenario &#39;Examplia two-district scale-up&#39;: saved on the scenario page of "
            "workspace") in html
    # the same sources in the reader's language (they were English f-strings)
    c.headers["Accept-Language"] = "pt"
    pt = _report_html(c, f"/w/{world.workspace_id}/report/download")
    del c.headers["Accept-Language"]
    assert "(household_survey_2024.csv, 900 inquiridas utilizadas" in pt
    assert "respondents used" not in pt
    assert "Not available: no scenario" not in html
    # a national scenario has no district roll-out, so the evaluation still lacks its input
    assert "Not available: no MMS start month per district" in html


def test_empty_workspace_report_for_a_viewer_and_none_for_an_outsider(world: World) -> None:
    html = _report_html(world.client("viewer"), f"/api/workspaces/{world.workspace_id}/report")
    assert "Not available: no DHIS2 data values uploaded to this workspace" in html
    assert '<section id="scorecard">' in html and '<section id="agenda">' in html
    r = world.client("outsider").get(f"/api/workspaces/{world.workspace_id}/report")
    assert r.status_code in (403, 404) and "report.html" not in r.text


def test_example_seeded_workspace_reports_its_own_data_with_the_notice(world: World) -> None:
    """A workspace seeded from the example country is built from its own data like any other
    (later uploads, waves and scenario edits count), and keeps the synthetic-data notice."""
    from mmsis.datasets import ExampleCountry
    from mmsis.web import analytics
    from mmsis.web import db as dbm
    from mmsis.web.deps import Access
    from mmsis.web.models import Workspace
    from mmsis.web.report_inputs import report_country

    c = world.client("editor")
    _upload(c, world, "dhis2", "values.csv", VALUES)
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        access = Access(None, None, ws, "owner", None)  # type: ignore[arg-type]
        assert "status" not in report_country(db, access).country
        analytics.save_result(db, ws.id, "source", {"example_country_seed": 2024})
        country = report_country(db, access)
        assert not isinstance(country, ExampleCountry)
        assert str(country.country.get("status", "")).startswith("synthetic")
    html = _report_html(c, f"/w/{world.workspace_id}/report/download")
    assert "is a synthetic example country" in html
    assert _share_row(html) == ["0.5", "45", "90"]  # the workspace's own values


def test_district_start_months_come_from_the_saved_scenario() -> None:
    from tests.web.conftest import ORG_UNITS

    from mmsis.report.inputs import rollout_from_scenario as _rollout

    scenario = {"rollout": {"districts": [{"district": "D1", "start": "2024-02"},
                                          {"district": "D2", "start": "202405"},
                                          {"district": "ELSEWHERE", "start": "2024-01"}]}}
    got = _rollout(scenario, ORG_UNITS)
    assert got is not None
    assert got.to_dict(orient="records") == [{"district_id": "D1", "mms_start": "202402"},
                                             {"district_id": "D2", "mms_start": "202405"}]
    assert _rollout({"rollout": {"start": "2024-01"}}, ORG_UNITS) is None
    assert _rollout(None, ORG_UNITS) is None


def test_the_report_programme_holds_every_wave_and_the_teams_statuses(
        world: World, example_country: ExampleCountry) -> None:
    """One object: the workspace's survey waves (oldest first, the latest chosen unless one is
    named; the others read only when used), scoped to the user, and the statuses saved on
    its pages."""
    from mmsis.web import db as dbm
    from mmsis.web.deps import Access
    from mmsis.web.models import Workspace
    from mmsis.web.report_inputs import report_country

    c = world.client("editor")
    survey = example_country.survey
    older = survey.sample(300, random_state=1).assign(district_id=["D1", "D2"] * 150)
    newer = survey.sample(500, random_state=2).assign(district_id=["D1", "D2"] * 250)
    _upload(c, world, "survey", "survey_2022.csv", older.to_csv(index=False))
    _upload(c, world, "survey", "survey_2024.csv", newer.to_csv(index=False))
    r = c.put(f"/api/workspaces/{world.workspace_id}/key-results/explore_policy_tag",
              json={"status": "met", "note": "TAG minutes of May"})
    assert r.status_code == 200, r.text
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        access = Access(None, None, ws, "owner", None)  # type: ignore[arg-type]
        country = report_country(db, access)
        assert [w.file for w in country.waves] == ["survey_2022.csv", "survey_2024.csv"]
        assert country.chosen_wave is country.waves[-1] and len(country.survey) == 500
        assert country.waves[0].frame is None  # not read until used
        assert len(country.waves[0].respondents()) == 300
        first = report_country(db, access, wave=country.waves[0].name)
        assert first.chosen_wave is first.waves[0] and len(first.survey) == 300
        assert "chosen from 2 waves" in first.sources["survey"]
        kr = country.statuses.status_of("explore_policy_tag") if country.statuses else None
        assert kr is not None and kr.status == "met"
        assert kr.evidence[0].note == "TAG minutes of May"
        # a district user's waves hold their districts' respondents only
        scoped = Access(None, None, ws, "viewer", "/C/R1/D1")  # type: ignore[arg-type]
        mine = report_country(db, scoped)
        for wave, whole in zip(mine.waves, (older, newer), strict=True):
            frame = wave.respondents()
            assert 0 < len(frame) < len(whole)
            assert set(frame["district_id"].astype(str)) == {"D1"}
