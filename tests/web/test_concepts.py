"""A country's own concepts on a 5-level hierarchy with DHIS2 UIDs (no example ids): the
mapping through the API and the setup page, then the dashboard trend, the evaluation panel and
the consumption forecast all equal the one roll-up recomputed here from the raw values."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from tests.web.conftest import World

# national / region / district / sub-district / facility, DHIS2-like UIDs
UNITS = [
    ("Rp268JB6Ne4", "Newland", None),
    ("qtr8GGlm4gg", "Region North", "Rp268JB6Ne4"),
    ("jUb8gELQApl", "Region South", "Rp268JB6Ne4"),
    ("kJq2mPyFEHo", "District Kailahun", "qtr8GGlm4gg"),
    ("at6UHUQatSo", "District Bo", "jUb8gELQApl"),
    ("KctpIIucige", "Chiefdom Luawa", "kJq2mPyFEHo"),
    ("Vth0fbpFcsO", "Chiefdom Badjia", "at6UHUQatSo"),
    ("DiszpKrYNg8", "Ngelehun clinic", "KctpIIucige"),
    ("g8upMTyEZGZ", "Njandama clinic", "KctpIIucige"),
    ("O6uvpzGd5pu", "Bo hospital", "Vth0fbpFcsO"),
]
DISTRICTS = {"kJq2mPyFEHo": "District Kailahun", "at6UHUQatSo": "District Bo"}
ANC, MMS, IFA = "fbfJHSPpUQD", "cYeuwXTCPkU", "Jtf34kNZhzP"
DISP, SOH = "hfdmMSPBgLG", "x8Jq2M4fn1C"
ELEMENTS = [(ANC, "ANC 1st visit"), (MMS, "MMS given"), (IFA, "IFA given"),
            (DISP, "MMS tablets dispensed"), (SOH, "MMS stock on hand")]
MAPPING = {"elements": {"anc1": ANC, "mms_clients": MMS, "ifa_clients": IFA,
                        "mms_tablets_dispensed": DISP,
                        "mms_stock_on_hand": {"data_element": SOH, "aggregation_type": "LAST"}},
           "levels": {"district": 3, "region": 2}, "reporting_data_set": "QX4ZTUbOt3a"}
PERIODS = [f"2024{m:02d}" for m in range(1, 13)]
FACILITIES = ["DiszpKrYNg8", "g8upMTyEZGZ", "O6uvpzGd5pu"]


@pytest.fixture(autouse=True)
def _jobs_run_in_the_request():  # type: ignore[no-untyped-def]
    from mmsis.web import jobs

    jobs.huey.immediate = True
    yield


def _values() -> pd.DataFrame:
    """Facility-month values at two category option combos for ANC1 (both count)."""
    rows = []
    for i, pe in enumerate(PERIODS):
        for j, f in enumerate(FACILITIES):
            base = 40 + 7 * j + 3 * i
            rows += [(ANC, pe, f, "Prlt0C1RF0s", base), (ANC, pe, f, "V6L425pT3A0", j + 2),
                     (MMS, pe, f, "HllvX50cXC0", base // 2), (IFA, pe, f, "HllvX50cXC0", 5),
                     (DISP, pe, f, "HllvX50cXC0", 180 * (base // 2)),
                     (SOH, pe, f, "HllvX50cXC0", 5000 - 100 * i + j)]
    return pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit",
                                       "categoryOptionCombo", "value"])


def _district_of(uid: str) -> str:
    parent = {u: p for u, _n, p in UNITS if p is not None}
    while uid not in DISTRICTS:
        uid = parent[uid]
    return uid


def _country(world: World):  # type: ignore[no-untyped-def]
    """A workspace built from files: org units and data elements, mapping, values."""
    admin = world.client("admin")
    wid = admin.post("/api/workspaces", json={"name": "Newland", "country": "Newland"}
                     ).json()["id"]
    meta = {"organisationUnits": [{"id": u, "name": n, **({"parent": {"id": p}} if p else {})}
                                  for u, n, p in UNITS],
            "dataElements": [{"id": d, "name": n, "aggregationType": "SUM",
                              "valueType": "INTEGER_ZERO_OR_POSITIVE"} for d, n in ELEMENTS]}
    r = admin.post(f"/api/workspaces/{wid}/org-units",
                   files={"file": ("meta.json", json.dumps(meta).encode(), "application/json")})
    assert r.status_code == 201, r.text
    return admin, wid


def test_mapping_through_the_api_is_validated_and_shown(world: World) -> None:
    admin, wid = _country(world)
    url = f"/api/workspaces/{wid}/concepts"
    before = admin.get(url).json()
    # UIDs are not concept names: nothing mapped by convention; district = above the deepest
    assert before["saved"] is False and before["elements"] == {}
    assert before["levels"]["district"] == 4 and before["depth"] == 5
    bad = admin.put(url, json={"elements": {"anc1": "NoSuchUid01"}})
    assert bad.status_code == 422 and "NoSuchUid01" in bad.text
    typo = admin.put(url, json={"concepts": {"anc1": ANC}})  # not dropped: refused, named
    assert typo.status_code == 422 and "unknown key(s) concepts" in typo.text
    deep = admin.put(url, json={"levels": {"district": 6}})
    assert deep.status_code == 422 and "levels 1 to 5" in deep.text
    ok = admin.put(url, json=MAPPING)
    assert ok.status_code == 200, ok.text
    got = ok.json()
    assert got["saved"] and got["levels"] == {"district": 3, "region": 2}
    assert got["elements"]["anc1"]["data_element"] == ANC
    assert got["elements"]["mms_stock_on_hand"]["aggregation_type"] == "LAST"
    assert admin.get(url).json() == got
    assert admin.put(url, json=got).json() == got  # a GET edited and PUT back
    page = admin.get(f"/w/{wid}/setup")
    assert page.status_code == 200 and "Data elements and levels" in page.text
    assert f'value="{ANC}" selected' in page.text


def test_members_read_the_mapping_and_only_national_owners_change_it(world: World) -> None:
    url = f"/api/workspaces/{world.workspace_id}/concepts"
    seen = world.client("viewer").get(url)
    assert seen.status_code == 200 and seen.json()["elements"]["anc1"]["data_element"] == "ANC1"
    body = {"elements": {"anc1": "ANC1"}, "levels": {"district": 3, "region": 2}}
    assert world.client("viewer").put(url, json=body).status_code == 403
    assert world.client("editor").put(url, json=body).status_code == 403
    assert world.client("district").put(url, json=body).status_code == 403
    assert world.client("owner").put(url, json=body).status_code == 200


def test_setup_page_form_saves_the_mapping(world: World) -> None:
    admin, wid = _country(world)
    page = admin.get(f"/w/{wid}/setup")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "element_anc1": ANC, "element_mms_clients": MMS,
            "level_district": "3", "level_region": "2", "reporting_data_set": ""}
    r = admin.post(f"/w/{wid}/setup/concepts", data=form)
    assert r.status_code == 200 and "Data elements and levels saved" in r.text
    got = admin.get(f"/api/workspaces/{wid}/concepts").json()
    assert {c: v["data_element"] for c, v in got["elements"].items()} == {
        "anc1": ANC, "mms_clients": MMS}
    bad = admin.post(f"/w/{wid}/setup/concepts", data={**form, "level_district": "9"})
    assert bad.status_code == 422 and "outside the hierarchy" in bad.text


def test_trend_panel_and_consumption_equal_the_roll_up_on_five_levels(world: World) -> None:
    from mmsis.evaluate.panels import store_panel
    from mmsis.forecast.consumption import history_from_routine
    from mmsis.present import format as fmt
    from mmsis.web import programme
    from mmsis.web.models import Workspace

    admin, wid = _country(world)
    assert admin.put(f"/api/workspaces/{wid}/concepts", json=MAPPING).status_code == 200
    values = _values()
    up = admin.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                    files={"file": ("v.csv", values.to_csv(index=False).encode(), "text/csv")})
    assert up.status_code == 201, up.text
    values["district"] = values["orgUnit"].map(_district_of)
    want = values.groupby(["dataElement", "district", "period"])["value"].sum()

    # the dashboard: districts are level 3 (not the sub-districts), the trend is the roll-up
    dash = admin.get(f"/w/{wid}", params={"district": "kJq2mPyFEHo"})
    assert dash.status_code == 200
    assert "District Kailahun" in dash.text and "Chiefdom Luawa</option>" not in dash.text
    trend = dash.text.split('id="trend"', 1)[1].split("</table>", 1)[0]
    assert "ANC 1st visit" in trend and "MMS given" in trend and "<polyline" in trend
    last = want[(ANC, "kJq2mPyFEHo", PERIODS[-1])]  # the table shows the last rows
    assert f'<td class="num">{fmt.count(last)}</td>' in trend
    api = admin.get(f"/api/workspaces/{wid}/indicators",
                    params={"data_element": ANC, "org_unit": "kJq2mPyFEHo"}).json()
    assert {r["period"]: r["value"] for r in api} == {
        pe: float(want[(ANC, "kJq2mPyFEHo", pe)]) for pe in PERIODS}

    app: Any = world.app
    with app.state.sessions() as db:
        ws = db.get(Workspace, wid)
        assert ws is not None
        with programme.writing(ws) as st:  # the reporting data set's monthly reports
            reports = pd.DataFrame([("QX4ZTUbOt3a", pe, f, 1, int(not (f == FACILITIES[0]
                                                                          and pe == "202403")))
                                    for pe in PERIODS for f in FACILITIES],
                                   columns=["dataSet", "period", "orgUnit", "expected",
                                            "received"])
            assert st.import_reports(reports).ok
        with programme.reading(ws) as st:
            rollout = pd.DataFrame({"district_id": list(DISTRICTS), "mms_start": [202406, 202409],
                                    "pilot": [True, False]})
            panel = store_panel(st, st.concepts().require("anc1"), rollout)
            history = history_from_routine(st)

    # the evaluation panel: one row per district (level 3 of 5) and month, values rolled up
    assert set(panel["district_id"]) == set(DISTRICTS) and len(panel) == 2 * len(PERIODS)
    for r in panel.itertuples(index=False):
        assert r.value == want[(ANC, r.district_id, str(r.period))]
    march = panel[(panel["district_id"] == "kJq2mPyFEHo") & (panel["period"] == 202403)]
    assert march["completeness"].iloc[0] == pytest.approx(0.5)

    # the consumption history: dispensing summed over both facilities below the sub-district,
    # stock on hand (LAST) summed over facilities, facilities counted through the paths
    assert not history.empty and set(history["district"]) == set(DISTRICTS)
    for r in history.itertuples(index=False):
        assert r.mms_tablets_dispensed == want[(DISP, r.district, r.period)]
        assert r.mms_stock_on_hand == want[(SOH, r.district, r.period)]
    kail = history[history["district"] == "kJq2mPyFEHo"]
    assert set(kail["facilities_reporting"]) == {2} and set(kail["facilities_expected"]) == {2}


def test_an_unmapped_dashboard_says_to_map_the_data_elements(world: World) -> None:
    admin, wid = _country(world)
    page = admin.get(f"/w/{wid}")
    assert page.status_code == 200 and "Map the data elements" in page.text
