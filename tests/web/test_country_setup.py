"""Bringing a country in: org units, populations, phase, DHIS2 connection and a first sync."""

from __future__ import annotations

import json

import pytest
from tests.web.conftest import World

from data_dhis2 import loopback_dhis2


@pytest.fixture(autouse=True)
def _jobs_run_in_the_request():  # type: ignore[no-untyped-def]
    """huey in immediate mode (an in-process `mmsis serve` test may have set a broker)."""
    from mmsis.web import jobs

    jobs.huey.immediate = True
    yield


# a 5-level hierarchy: national / region / district / sub-district / facility; parents given
# by `parent`, by `path` only, or both (as DHIS2 exports them)
UNITS = [
    {"id": "NL", "name": "Newland", "level": 1, "path": "/NL"},
    {"id": "RA", "name": "Region A", "parent": {"id": "NL"}},
    {"id": "RB", "name": "Region B", "path": "/NL/RB"},
    {"id": "DA1", "name": "District A1", "parent": {"id": "RA"}, "level": 3},
    {"id": "DB1", "name": "District B1", "path": "/NL/RB/DB1", "parent": {"id": "RB"}},
    {"id": "SA11", "name": "Sub A11", "parent": {"id": "DA1"}},
    {"id": "FA111", "name": "Clinic A111", "parent": {"id": "SA11"}, "level": 5},
    {"id": "SB11", "name": "Sub B11", "parent": {"id": "DB1"}},
    {"id": "FB111", "name": "Clinic B111", "parent": {"id": "SB11"}},
]
META = {
    "organisationUnits": UNITS,
    "dataElements": [{"id": "ANC1", "name": "ANC 1st visit", "aggregationType": "SUM",
                      "valueType": "INTEGER"}],
}


def _new_country(world: World) -> tuple[object, int]:
    admin = world.client("admin")
    r = admin.post("/api/workspaces", json={"name": "Newland", "country": "Newland"})
    assert r.status_code == 201, r.text
    return admin, r.json()["id"]


def _post(client, url: str, name: str, content: str | bytes):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    return client.post(url, files={"file": (name, data, "application/octet-stream")})


def _units(client, wid: int) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {u["id"]: u for u in client.get(f"/api/workspaces/{wid}/org-units").json()}


def test_a_new_country_gets_its_hierarchy_then_its_uploads_are_accepted(world: World) -> None:
    admin, wid = _new_country(world)
    up = f"/api/workspaces/{wid}/uploads"
    values = "dataElement,period,orgUnit,value\nANC1,202401,FA111,12\nANC1,202401,FB111,7\n"
    refused = admin.post(up, data={"kind": "dhis2"},  # before: no org unit is known
                         files={"file": ("v.csv", values.encode(), "text/csv")})
    assert refused.status_code == 422
    r = _post(admin, f"/api/workspaces/{wid}/org-units", "meta.json", json.dumps(META))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 9}
    units = _units(admin, wid)
    assert units["FA111"]["path"] == "/NL/RA/DA1/SA11/FA111" and units["FA111"]["level"] == 5
    assert units["RB"]["parent_id"] == "NL" and units["DB1"]["level"] == 3
    ok = admin.post(up, data={"kind": "dhis2"},
                    files={"file": ("v.csv", values.encode(), "text/csv")})
    assert ok.status_code == 201, ok.text
    # idempotent: the same file again changes nothing
    again = _post(admin, f"/api/workspaces/{wid}/org-units", "meta.json", json.dumps(META))
    assert again.status_code == 201 and again.json() == {"imported": 9}
    assert _units(admin, wid) == units


def test_a_reimport_renames_and_moves_a_subtree_by_id(world: World) -> None:
    admin, wid = _new_country(world)
    url = f"/api/workspaces/{wid}/org-units"
    assert _post(admin, url, "meta.json", json.dumps(META)).status_code == 201
    csv = "id,name,parent\nDA1,District A-one,RB\n"  # DA1 and its subtree move to region B
    r = _post(admin, url, "move.csv", csv)
    assert r.status_code == 201 and r.json() == {"imported": 1}
    units = _units(admin, wid)
    assert units["DA1"]["name"] == "District A-one" and units["DA1"]["path"] == "/NL/RB/DA1"
    assert units["FA111"]["path"] == "/NL/RB/DA1/SA11/FA111"  # not in the file, moved too
    assert units["SA11"]["parent_id"] == "DA1"


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        ("id,name,parent\nX1,Loop one,X2\nX2,Loop two,X1\n", (1, "parent")),
        ("id,name,parent\nX1,Orphan,NOPE\n", (1, "parent")),
        ("id,name,parent\nX1,One,NL\nX1,Again,NL\n", (2, "id")),
        ("id,name,parent\nX1,,NL\n", (1, "name")),
        ("id,name,parent\nNL,Newland,FA111\n", (1, "parent")),  # the root under its own leaf
    ],
)
def test_bad_hierarchies_are_refused_whole_naming_row_and_column(
    world: World, csv: str, expected: tuple[int, str]
) -> None:
    admin, wid = _new_country(world)
    url = f"/api/workspaces/{wid}/org-units"
    assert _post(admin, url, "meta.json", json.dumps(META)).status_code == 201
    before = _units(admin, wid)
    r = _post(admin, url, "bad.csv", csv + "DA1,Renamed,RA\n")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["imported"] == 0
    assert (body["refused"][0]["row"], body["refused"][0]["column"]) == expected
    assert _units(admin, wid) == before  # nothing written, not even the good row


def test_levels_that_contradict_the_parents_are_refused(world: World) -> None:
    admin, wid = _new_country(world)
    doc = {"organisationUnits": [{"id": "NL", "name": "N", "level": 1},
                                 {"id": "RA", "name": "R", "parent": {"id": "NL"}, "level": 3}]}
    r = _post(admin, f"/api/workspaces/{wid}/org-units", "m.json", json.dumps(doc))
    assert r.status_code == 422
    assert [(x["row"], x["column"]) for x in r.json()["refused"]] == [(2, "level")]


def test_only_national_owners_and_admins_set_up_the_country(world: World) -> None:
    wid = world.workspace_id
    csv = "id,name,parent\nZZ,Somewhere,\n"
    for who, status in (("editor", 403), ("viewer", 403), ("district", 403), ("outsider", 404)):
        c = world.client(who)
        assert _post(c, f"/api/workspaces/{wid}/org-units", "o.csv", csv).status_code == status
        assert c.patch(f"/api/workspaces/{wid}", json={"phase": "introduce"}).status_code == status
        assert c.put(f"/api/workspaces/{wid}/dhis2",
                     json={"url": "https://x.org", "token": "t"}).status_code == status


def test_populations_go_to_the_store_all_or_nothing(world: World) -> None:
    from mmsis.data.store import Store
    from mmsis.web.models import Workspace

    admin, wid = _new_country(world)
    assert _post(admin, f"/api/workspaces/{wid}/org-units", "m.json",
                 json.dumps(META)).status_code == 201
    url = f"/api/workspaces/{wid}/populations"
    bad = _post(admin, url, "p.csv", "orgUnit,year,population\nRA,2024,1000\nNOPE,2024,5\n"
                "RB,24,7\nRB,2024,-3\n")
    assert bad.status_code == 422
    assert {(x["row"], x["column"]) for x in bad.json()["refused"]} == {
        (2, "orgUnit"), (3, "year"), (4, "population")}
    good = _post(admin, url, "p.csv", "orgUnit,year,population\nRA,2024,1000\nRB,2024,800\n"
                 "FA111,2024,120.5\n")
    assert good.status_code == 201 and good.json() == {"imported": 3}
    with world.app.state.sessions() as db:  # type: ignore[attr-defined]
        path = db.get(Workspace, wid).store_path
    with Store(path, read_only=True) as st:
        pops = st.query("SELECT org_unit, year, population FROM populations ORDER BY org_unit")
    assert pops.values.tolist() == [["FA111", 2024, 120.5], ["RA", 2024, 1000.0],
                                    ["RB", 2024, 800.0]]


def test_the_phase_is_one_of_the_frameworks(world: World) -> None:
    owner = world.client("owner")
    url = f"/api/workspaces/{world.workspace_id}"
    r = owner.patch(url, json={"phase": "scale_up"})
    assert r.status_code == 200 and r.json()["phase"] == "scale_up"
    assert owner.get(url).json()["phase"] == "scale_up"
    bad = owner.patch(url, json={"phase": "launch"})
    assert bad.status_code == 422 and "explore" in bad.json()["detail"]
    assert owner.get(url).json()["phase"] == "scale_up"


def test_the_dhis2_token_is_stored_encrypted_and_never_shown(world: World) -> None:
    from sqlalchemy import text

    owner = world.client("owner")
    url = f"/api/workspaces/{world.workspace_id}/dhis2"
    for bad in ("ftp://dhis2.example.org", "file:///etc/passwd", "https://u:p@x.org",
                "dhis2.example.org", "https://x.org/?a=1"):
        r = owner.put(url, json={"url": bad, "token": "d2pat_secret"})
        assert r.status_code == 422, bad
    with loopback_dhis2.serve() as (base, _state):
        r = owner.put(url, json={"url": base + "/", "token": loopback_dhis2.TOKEN})
        assert r.status_code == 200, r.text
        assert r.json()["url"] == base and r.json()["token_set"] is True
        assert loopback_dhis2.TOKEN not in r.text
        assert loopback_dhis2.TOKEN not in owner.get(url).text
        test = owner.post(url + "/test")
        assert test.status_code == 200 and test.json()["version"] == "2.40.3"
        # a URL change keeps the saved token
        assert owner.put(url, json={"url": base}).json()["token_set"] is True
        assert owner.post(url + "/test").status_code == 200
        owner.put(url, json={"url": base, "token": "d2pat_wrong"})
        wrong = owner.post(url + "/test")
        assert wrong.status_code == 422 and "refused the credentials" in wrong.json()["detail"]
    with world.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        stored = conn.execute(text("SELECT token_encrypted FROM dhis2_connections")).scalar()
    assert stored and "d2pat" not in stored


def test_a_sync_job_pulls_chosen_elements_and_periods_into_the_store(world: World) -> None:
    from mmsis.data.store import Store
    from mmsis.web.models import Workspace

    admin, wid = _new_country(world)
    with loopback_dhis2.serve() as (base, state):
        state.max_rows = 7  # 2 elements x 2 periods x 3 facilities = 12 rows: split on 409
        admin.put(f"/api/workspaces/{wid}/dhis2", json={"url": base, "token": loopback_dhis2.TOKEN})
        r = admin.post(f"/api/workspaces/{wid}/dhis2/sync",
                       json={"data_elements": ["ANC1", "MMS_CLIENTS"],
                             "periods": ["202401:202402"]})
        assert r.status_code == 202, r.text
        job = admin.get(f"/api/jobs/{r.json()['job']}").json()
    assert job["status"] == "done", job["log"]
    assert job["progress"] == 1.0 and job["result"]["values"] == 12
    assert job["result"]["splits"] >= 1
    with world.app.state.sessions() as db:  # type: ignore[attr-defined]
        path = db.get(Workspace, wid).store_path
    with Store(path, read_only=True) as st:
        got = st.query("SELECT data_element, period, org_unit, value FROM data_values")
    expected = {(de, pe, ou, float(loopback_dhis2.value_of(de, pe, ou)))
                for de in ("ANC1", "MMS_CLIENTS") for pe in ("202401", "202402")
                for ou in ("F11", "F12", "F21")}
    assert {(a, b, c, float(d)) for a, b, c, d in got.values.tolist()} == expected
    assert "F21" in _units(admin, wid)  # the org-unit cache follows the store
    assert world.client("outsider").get(f"/api/jobs/{job['id']}").status_code == 404


def test_the_setup_page_is_linked_for_national_owners_only(world: World) -> None:
    wid = world.workspace_id
    owner = world.client("owner")
    page = owner.get(f"/w/{wid}")
    assert f'href="/w/{wid}/setup"' in page.text
    assert "Set up the country" in owner.get(f"/w/{wid}/setup").text
    assert f'href="/w/{wid}/setup"' not in world.client("editor").get(f"/w/{wid}").text
    assert world.client("editor").get(f"/w/{wid}/setup").status_code == 403


def test_the_setup_page_answers_in_labels_and_says_what_was_not_saved(world: World) -> None:
    owner = world.client("owner")
    page = f"/w/{world.workspace_id}/setup"
    r = owner.post(page + "/phase", data={"phase": "introduce"})
    assert r.status_code == 200 and "Phase set to Introduce (initial implementation" in r.text
    bad = _post(owner, page + "/org-units", "units.csv", "id,name,parent\nX1,One,NOWHERE\n")
    assert bad.status_code == 422 and "Nothing imported" in bad.text
    assert "units.csv: 1 row(s) refused" in bad.text
    assert "file units.csv" not in bad.text
    with loopback_dhis2.serve() as (base, _state):
        r = owner.post(page + "/dhis2", data={"url": base, "token": "d2pat_wrong"})
    assert r.status_code == 422 and "Something to fix" in r.text
    assert "refused the credentials" in r.text
    assert "Connected to" not in r.text  # a saved address is not a working connection
    api = _post(owner, f"/api/workspaces/{world.workspace_id}/org-units", "units.csv",
                "id,name,parent\nX1,One,NOWHERE\n")
    assert api.status_code == 422 and api.json()["detail"] == "units.csv: 1 row(s) refused"


def test_the_metadata_file_names_the_reporting_data_sets(world: World) -> None:
    """`dataSets` in the metadata file reach the store, so reporting rates are named by the
    data set's name, not its UID; a data set without an id is refused naming the list."""
    from mmsis.data.queries import names
    from mmsis.data.store import Store
    from mmsis.web.models import Workspace

    admin = world.client("admin")
    wid = world.workspace_id
    url = f"/api/workspaces/{wid}/org-units"
    doc = {**META, "dataSets": [{"id": "QX4ZTUbOt3a", "name": "MNH monthly form"}]}
    assert _post(admin, url, "meta.json", json.dumps(doc)).status_code == 201
    with world.app.state.sessions() as db:  # type: ignore[attr-defined]
        path = db.get(Workspace, wid).store_path
    with Store(path, read_only=True) as st:
        assert names(st)["data_set"] == {"QX4ZTUbOt3a": "MNH monthly form"}
    bad = {**META, "dataSets": [{"name": "no id"}]}
    r = _post(admin, url, "meta.json", json.dumps(bad))
    assert r.status_code == 422 and "data set 1 has no id" in r.text
