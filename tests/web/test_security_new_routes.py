"""Issue #12 rules tried on the routes that landed with group work, the concept mapping and
report jobs: a district-limited member cannot fetch a national report file another member's job
built, the setup page's level fields never answer 500, and group-work text fields are bounded."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import World, login
from tests.web.test_workspace_report import VALUES, _share_row, _upload


@pytest.fixture(autouse=True)
def _jobs_run_in_the_request():  # type: ignore[no-untyped-def]
    from mmsis.web import jobs

    jobs.huey.immediate = True
    yield


def _client(world: World, who: str) -> TestClient:
    """A logged-in client that answers a server error as a 500 (not as an exception)."""
    return login(TestClient(world.app, raise_server_exceptions=False),  # type: ignore[arg-type]
                 world.emails[who])


def _key_result() -> str:
    from mmsis.framework import load_framework

    return load_framework().key_results[0].id


def test_a_district_member_cannot_download_a_national_report_job(world: World) -> None:
    wid = world.workspace_id
    _upload(world.client("editor"), world, "dhis2", "values.csv", VALUES)
    national = world.client("editor")
    report_job = national.post(f"/api/workspaces/{wid}/report-jobs").json()["job"]
    deck_job = national.post(f"/api/workspaces/{wid}/deck-jobs").json()["job"]
    z = zipfile.ZipFile(io.BytesIO(national.get(f"/api/jobs/{report_job}/download").content))
    assert _share_row(z.read("report.html").decode()) == ["0.5", "45", "90"]  # the country's
    district = world.client("district")
    for job in (report_job, deck_job):
        assert district.get(f"/api/jobs/{job}").status_code == 200  # its status is no secret
        r = district.get(f"/api/jobs/{job}/download")
        assert r.status_code == 404, (job, r.status_code)
        fragment = district.get(f"/jobs/{job}/fragment").text  # no link that would 404
        assert f"/api/jobs/{job}/download" not in fragment and "more of the country" in fragment
        assert f"/api/jobs/{job}/download" in national.get(f"/jobs/{job}/fragment").text
    # the district member's own job is theirs to download, and a national member may read it
    own = district.post(f"/api/workspaces/{wid}/report-jobs").json()["job"]
    for c in (district, national):
        r = c.get(f"/api/jobs/{own}/download")
        assert r.status_code == 200
        html = zipfile.ZipFile(io.BytesIO(r.content)).read("report.html").decode()
        assert _share_row(html) == ["0.4", "12", "30"]  # D1's subtree


@pytest.mark.parametrize("level", ["²", "٣", "9" * 5000, "-1", "1.5", "1e3"])
def test_setup_concept_levels_are_refused_not_500(world: World, level: str) -> None:
    c = _client(world, "owner")
    r = c.post(f"/w/{world.workspace_id}/setup/concepts", data={"level_district": level})
    assert r.status_code == 422, (level, r.status_code)
    assert "district level" in r.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("actions", {"action": "a", "owner": "o" * 5000}, "owner"),
        ("decisions", {"date": "2026-01-01", "what": "w", "decided_by": ["x"] * 1000},
         "decided_by"),
        ("decisions", {"date": "2026-01-01", "what": "w", "decided_by": ["x" * 5000]},
         "decided_by"),
        ("decisions", {"date": "2026-01-01", "what": "w", "strategy": "s" * 5000}, "strategy"),
        ("decisions", {"date": "2026-01-01", "what": "w", "key_result": "k" * 5000},
         "key_result"),
    ],
)
def test_over_long_group_work_fields_are_refused_naming_the_field(
    world: World, path: str, body: dict[str, object], field: str
) -> None:
    c = _client(world, "editor")
    if path == "actions":
        body = {"key_result": _key_result(), **body}
    r = c.post(f"/api/workspaces/{world.workspace_id}/{path}", json=body)
    assert r.status_code == 422, (field, r.status_code)
    assert field in r.text
    assert c.get(f"/api/workspaces/{world.workspace_id}/{path}").json() == []


def test_over_long_action_owner_on_the_page_keeps_the_form(world: World) -> None:
    c = _client(world, "editor")
    r = c.post(f"/w/{world.workspace_id}/actions",
               data={"key_result": _key_result(), "action": "a", "owner": "o" * 5000})
    assert r.status_code == 422 and "owner" in r.text
    assert c.get(f"/api/workspaces/{world.workspace_id}/actions").json() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("regimen.tablets_per_pregnancy", "1e12"),  # the need model allocated 41 GiB: 500
        ("impact.thresholds.gdp_per_capita", "1e308"),  # the page formatted infinity: 500
        ("rollout.ramp_months", "1e15"),
    ],
)
def test_scenario_form_refuses_values_beyond_meaning(world: World, field: str,
                                                     value: str) -> None:
    import yaml
    from tests.web.test_workspace_report import SCENARIO

    wid = world.workspace_id
    c = _client(world, "editor")
    assert c.put(f"/api/workspaces/{wid}/scenario",
                 json={"scenario": yaml.safe_dump(SCENARIO)}).status_code == 200
    r = c.post(f"/w/{wid}/scenario/form", data={field: value}, follow_redirects=False)
    assert r.status_code == 422, (field, r.status_code)
    assert c.get(f"/w/{wid}/scenario").status_code == 200
    assert c.get(f"/api/workspaces/{wid}/scenario").status_code == 200


@pytest.mark.parametrize(
    ("part", "key", "value"),
    [
        ("regimen", "tablets_per_pregnancy", 10**12),
        ("ifa", "dispensing_months", 10**12),
        ("impact", "thresholds", {"gdp_per_capita": 1e308}),
    ],
)
def test_scenario_yaml_refuses_values_beyond_meaning(world: World, part: str, key: str,
                                                     value: object) -> None:
    import copy

    import yaml
    from tests.web.test_workspace_report import SCENARIO

    wid = world.workspace_id
    c = _client(world, "editor")
    scenario = copy.deepcopy(SCENARIO)
    scenario.setdefault(part, {})[key] = value  # type: ignore[index]
    r = c.put(f"/api/workspaces/{wid}/scenario", json={"scenario": yaml.safe_dump(scenario)})
    assert r.status_code == 422 and key in r.text, (key, r.status_code, r.text[:200])
    assert c.get(f"/api/workspaces/{wid}/scenario").status_code == 404  # nothing saved


def test_a_district_owner_cannot_set_the_whole_workspaces_language(world: World) -> None:
    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import User, Workspace

    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        district = db.query(User).filter(User.email == world.emails["district"]).one()
        services.set_member(db, None, ws, district, "owner", "D1")
    url = f"/w/{world.workspace_id}/language"
    r = world.client("district").post(url, data={"language": "fr"}, follow_redirects=False)
    assert r.status_code == 403, r.status_code
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        assert db.get(Workspace, world.workspace_id).language is None  # type: ignore[union-attr]
    r = world.client("owner").post(url, data={"language": "fr"}, follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize(
    "body",
    [
        {"elements": {"x" * 100_000: "ANC1"}},
        {"elements": {"anc1": "U" * 100_000}},
        {"elements": {"anc1": {"data_element": "ANC1", "aggregation_type": "S" * 100_000}}},
        {"levels": {"d" * 100_000: 3}},
    ],
)
def test_concept_mapping_keys_and_values_are_bounded(world: World,
                                                     body: dict[str, object]) -> None:
    r = _client(world, "owner").put(f"/api/workspaces/{world.workspace_id}/concepts", json=body)
    assert r.status_code == 422
    assert len(r.content) < 5_000  # the refusal does not echo 100 KB back


def test_viewers_read_who_recorded_and_scored_by_name_not_e_mail(world: World) -> None:
    from tests.web.test_group_work import _put, _questions

    wid = world.workspace_id
    editor = world.client("editor")
    q1, _ = _questions(editor, wid)
    assert _put(editor, wid, [(q1, "equity", 1)]).status_code == 200
    assert editor.post(f"/api/workspaces/{wid}/decisions",
                       json={"date": "2026-01-01", "what": "Pharmacies stock MMS"}
                       ).status_code == 201
    for who in ("viewer",):  # (the district member is an editor)
        c = world.client(who)
        assert c.get(f"/api/workspaces/{wid}/decisions").json()[0]["recorded_by"] == "editor"
        assert c.get(f"/api/workspaces/{wid}/chnri").json()["raters"] == ["editor"]
        for page in ("decisions", "priorities"):
            assert "editor@example.org" not in c.get(f"/w/{wid}/{page}").text, (who, page)
    # editors and owners read e-mails in the audit log already: they keep them here
    log = world.client("owner").get(f"/api/workspaces/{wid}/decisions").json()
    assert log[0]["recorded_by"] == "editor@example.org"


def test_a_district_owner_cannot_change_what_the_whole_country_shares(world: World) -> None:
    """Workspace-wide settings (concept mapping, levels, language, phase, DHIS2, metadata)
    are the national owners': an owner limited to D1 is refused (403) and nothing changes."""
    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import User, Workspace

    wid = world.workspace_id
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, wid)
        assert ws is not None
        district = db.query(User).filter(User.email == world.emails["district"]).one()
        services.set_member(db, None, ws, district, "owner", "D1")
    c = _client(world, "district")
    before = c.get(f"/api/workspaces/{wid}/concepts").json()
    org_units = {"file": ("ou.csv", b"id,name,level,parent_id\nX,X,1,\n", "text/csv")}
    attempts = [
        ("PUT", f"/api/workspaces/{wid}/concepts", {"json": {"elements": {"anc1": "ANC4"}}}),
        ("POST", f"/w/{wid}/setup/concepts", {"data": {"element_anc1": "ANC4"}}),
        ("POST", f"/w/{wid}/language", {"data": {"language": "pt"}}),
        ("PATCH", f"/api/workspaces/{wid}", {"json": {"phase": "scale"}}),
        ("POST", f"/w/{wid}/setup/phase", {"data": {"phase": "scale"}}),
        ("PUT", f"/api/workspaces/{wid}/dhis2",
         {"json": {"url": "https://dhis2.example.org", "token": "d2pat_x"}}),
        ("POST", f"/api/workspaces/{wid}/org-units", {"files": org_units}),
    ]
    for method, url, kwargs in attempts:
        r = c.request(method, url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 403, (method, url, r.status_code, r.text[:200])
    assert c.get(f"/api/workspaces/{wid}/concepts").json() == before
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, wid)
        assert ws is not None and ws.language is None and ws.phase != "scale"


@pytest.mark.parametrize("field", ["reporting_data_set", "element_anc1"])
def test_setup_page_concepts_have_the_apis_bounds(world: World, field: str) -> None:
    c = _client(world, "owner")
    wid = world.workspace_id
    before = c.get(f"/api/workspaces/{wid}/concepts").json()
    r = c.post(f"/w/{wid}/setup/concepts", data={field: "R" * 60_000})
    assert r.status_code == 422 and "at most 100 characters" in r.text
    assert len(r.content) < 40_000  # the refusal does not quote the 60 KB
    assert c.get(f"/api/workspaces/{wid}/concepts").json() == before
