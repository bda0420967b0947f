"""One answer everywhere (issue 13): a workspace built from files only gives the same
scorecard, cascade, ITS and cost per DALY on the dashboard API, in the report's XLSX and in
the CLI.

The country is not the example one: a 5-level hierarchy (national / region / district /
sub-district / facility) with DHIS2-style UIDs, its own data-element UIDs mapped onto the
concepts, values split over two category option combos, yearly populations, two survey waves,
a scenario, key-result statuses and a phase, all brought in through the web API; the CLI then
reads the workspace's own store and the plan file the API exports.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

ANC1, MMS, IFA = "hVx3Anc1Vst", "Qm7MmsClnt2", "Zr4IfaClnt9"  # data-element UIDs
COCS = ("Kq2AgeUnd20", "Wd8Age20plu")  # two category option combos of every value
NATION = "LkNatn00001"
REGIONS = {"LkRegn0000A": "North Lake", "LkRegn0000B": "South Lake"}
DISTRICTS = {  # district -> (region, MMS start month)
    "LkDist000A1": ("LkRegn0000A", "2023-01"),
    "LkDist000A2": ("LkRegn0000A", "2023-07"),
    "LkDist000B1": ("LkRegn0000B", "2023-01"),
    "LkDist000B2": ("LkRegn0000B", "2023-07"),
}
MONTHS = [f"{y}{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
FACILITY_POP = 12_000


def _sub(d: str) -> str:
    return "LkSubd" + d[-5:]


def _facilities(d: str) -> list[str]:
    return [f"LkFac{d[-4:]}{i:02d}" for i in (1, 2)]


def _metadata() -> dict[str, Any]:
    units: list[dict[str, Any]] = [{"id": NATION, "name": "Lakeland", "level": 1,
                                    "path": f"/{NATION}"}]
    units += [{"id": r, "name": n, "parent": {"id": NATION}} for r, n in REGIONS.items()]
    for d, (r, _) in DISTRICTS.items():
        units.append({"id": d, "name": f"{d[-2:]} District", "parent": {"id": r}})
        units.append({"id": _sub(d), "name": f"{d[-2:]} Sub-district", "parent": {"id": d}})
        units += [{"id": f, "name": f"Clinic {f[-6:]}", "parent": {"id": _sub(d)}}
                  for f in _facilities(d)]
    des = [{"id": uid, "name": name, "aggregationType": "SUM",
            "valueType": "INTEGER_ZERO_OR_POSITIVE"}
           for uid, name in ((ANC1, "ANC 1st visit"), (MMS, "ANC clients given MMS"),
                             (IFA, "ANC clients given IFA"))]
    return {"organisationUnits": units, "dataElements": des}


def _values() -> str:
    """Monthly facility values, each split over two combos; ANC1 rises 20% with MMS."""
    rng = np.random.default_rng(13)
    lines = ["dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value"]
    for d, (_, start) in DISTRICTS.items():
        first = start.replace("-", "")
        for f in _facilities(d):
            for pe in MONTHS:
                season = 1 + 0.1 * math.sin(2 * math.pi * int(pe[4:]) / 12)
                on = pe >= first
                anc = rng.poisson(60 * season * (1.2 if on else 1.0))
                mms = rng.binomial(anc, 0.7) if on else 0
                ifa = rng.binomial(anc - mms, 0.8)
                for uid, total in ((ANC1, anc), (MMS, mms), (IFA, ifa)):
                    young = rng.binomial(total, 0.3)
                    for coc, v in zip(COCS, (young, total - young), strict=True):
                        lines.append(f"{uid},{pe},{f},{coc},HllvX50cXC0,{v}")
    return "\n".join(lines) + "\n"


def _populations() -> str:
    rows = ["orgUnit,year,population"]
    rows += [f"{f},{y},{FACILITY_POP}" for d in DISTRICTS for f in _facilities(d)
             for y in (2022, 2023, 2024)]
    return "\n".join(rows) + "\n"


def _survey(seed: int, interview_cmc: int, mms_share: float, received: float) -> str:
    """A DHS-style survey wave (stratified two-stage; women with a birth in 5 years)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(1, 49):
        region, residence = 1 + c % 2, 1 + (c // 2) % 2
        for h in range(1, 13):
            got = rng.random() < received
            tabs = int(rng.integers(60, 240)) if got else 0
            rows.append({
                "caseid": f"{seed}-{c}-{h}", "v001": c, "v002": h,
                "v005": int(rng.integers(600_000, 1_400_000)), "v008": interview_cmc,
                "v021": c, "v022": 2 * region + residence, "v023": 2 * region + residence,
                "v024": region, "v025": residence, "v190": int(rng.integers(1, 6)),
                "b3": interview_cmc - int(rng.integers(0, 60)),
                "m14": int(rng.choice([0, 1, 3, 4, 6, 98])), "m45": int(got),
                "s_supp_type": (2 if rng.random() < mms_share else 1) if got else "",
                "s_tabs_received": tabs, "s_tabs_consumed": int(tabs * rng.uniform(0.5, 1)),
                "m46": int(tabs * rng.uniform(0.4, 1)),
            })
    return pd.DataFrame(rows).to_csv(index=False)


SCENARIO = f"""name: Lakeland MMS scale-up
currency: USD
currency_year: 2024
start: 2023-01
horizon_months: 24
geography:
  level: district
  districts:
{chr(10).join(f"  - {{id: {d}, name: {d[-2:]} District, population: 250000}}" for d in DISTRICTS)}
pregnancies:
  method: population
  crude_birth_rate: 0.035
  pregnancy_loss_adjustment: 1.07
rollout:
  ramp_months: 6
  uptake: 0.85
  districts:
{chr(10).join(f"  - {{district: {d}, start: {s}}}" for d, (_, s) in DISTRICTS.items())}
"""

STATUSES = {"explore_policy_tag": "met", "explore_financing_costing": "partly"}


def _post_file(client: Any, url: str, name: str, text: str, **data: str) -> Any:
    r = client.post(url, data=data or None,
                    files={"file": (name, text.encode(), "application/octet-stream")})
    assert r.status_code in (200, 201), (url, r.status_code, r.text[:2000])
    return r


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The workspace built from files through the API, and what its views answered."""
    from tests.web.conftest import make_world

    from mmsis.web import jobs, programme

    jobs.huey.immediate = True
    tmp = tmp_path_factory.mktemp("one-answer")
    world = make_world(f"sqlite:///{tmp / 'web.sqlite3'}")
    admin = world.client("admin")
    r = admin.post("/api/workspaces", json={"name": "Lakeland", "country": "Lakeland"})
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    api = f"/api/workspaces/{wid}"
    _post_file(admin, f"{api}/org-units", "metadata.json", json.dumps(_metadata()))
    r = admin.put(f"{api}/concepts", json={  # the country's own UIDs onto the concepts
        "elements": {"anc1": ANC1, "mms_clients": MMS, "ifa_clients": IFA},
        "levels": {"district": 3, "region": 2}})
    assert r.status_code == 200, r.text
    _post_file(admin, f"{api}/populations", "populations.csv", _populations())
    _post_file(admin, f"{api}/uploads", "anc_2022_2024.csv", _values(), kind="dhis2")
    _post_file(admin, f"{api}/uploads", "survey_2022.csv",
               _survey(1, 1470, mms_share=0.2, received=0.6), kind="survey")
    _post_file(admin, f"{api}/uploads", "survey_2024.csv",
               _survey(2, 1498, mms_share=0.8, received=0.8), kind="survey")
    r = admin.put(f"{api}/scenario", json={"scenario": SCENARIO})
    assert r.status_code == 200, r.text
    for kr, status in STATUSES.items():
        r = admin.put(f"{api}/key-results/{kr}", json={"status": status, "note": "team"})
        assert r.status_code == 200, r.text
    r = admin.patch(api, json={"phase": "scale_up"})
    assert r.status_code == 200, r.text

    cascade = admin.get(f"{api}/analyses/cascade").json()
    waves = [w["id"] for w in cascade["waves"]]
    first, latest = waves[0], waves[-1]
    out: dict[str, Any] = {
        "tmp": tmp, "wid": wid, "client": admin, "waves": waves,
        "scorecard": admin.get(f"{api}/scorecard").json(),
        "scorecard_first": admin.get(f"{api}/scorecard", params={"wave": first}).json(),
        "cascade": cascade,
        "cascade_first": admin.get(f"{api}/analyses/cascade", params={"wave": first}).json(),
        "its": admin.get(f"{api}/evaluation/its", params={
            "data_element": ANC1, "start": "202301", "org_unit": "LkDist000A1"}).json(),
        "scenario": admin.get(f"{api}/scenario").json(),
        "dashboard": admin.get(f"/w/{wid}").text,
        "dashboard_first": admin.get(f"/w/{wid}", params={"wave": first}).text,
        "latest": latest, "first": first,
    }
    for key, params in (("report", {}), ("report_first", {"wave": first})):
        r = admin.get(f"{api}/report", params=params)
        assert r.status_code == 200, r.text[:2000]
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            xlsx = z.read("agenda.xlsx")
        out[key] = pd.read_excel(io.BytesIO(xlsx), sheet_name=None)
    # a district officer (viewer limited to one district) reads the same programme scorecard
    r = admin.post(f"{api}/members", json={"email": world.emails["district"], "role": "viewer",
                                           "org_unit": "LkDist000B2"})
    assert r.status_code == 200, r.text
    officer = world.client("district")
    out["scorecard_district"] = officer.get(f"{api}/scorecard").json()
    r = officer.get(f"{api}/report")
    assert r.status_code == 200, r.text[:2000]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        out["report_district"] = pd.read_excel(io.BytesIO(z.read("agenda.xlsx")),
                                               sheet_name=None)
    plan = tmp / "exported-plan.yaml"
    r = admin.get(f"{api}/programme")
    assert r.status_code == 200, r.text
    plan.write_text(r.text, encoding="utf-8")
    (tmp / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    out["store"] = _store(world, wid)
    programme.close_all()  # the CLI opens the store file itself (read-only)
    mapping = _cli("routine", "concepts", "--store", str(out["store"]))
    read = {c: (v["data_element"] if isinstance(v, dict) else v)
            for c, v in mapping["elements"].items()}
    assert {c: read.get(c) for c in ("anc1", "mms_clients", "ifa_clients")} == {
        "anc1": ANC1, "mms_clients": MMS, "ifa_clients": IFA}  # the CLI reads the same
    out["plan"] = plan
    return out


def _store(world: Any, wid: int) -> Path:
    """The workspace's programme store file."""
    from mmsis.web import db as dbm
    from mmsis.web.models import Workspace

    with dbm.session_scope(world.app.state.sessions) as db:
        ws = db.get(Workspace, wid)
        assert ws is not None and ws.store_path
        return Path(ws.store_path)


def _cli(*args: str) -> Any:
    from mmsis.cli import app

    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _items(rows: list[dict[str, Any]] | pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    frame = pd.DataFrame(rows)
    return {str(r.key_result): (str(r.status), str(r.basis),
                                None if pd.isna(r.value) else round(float(r.value), 9))
            for r in frame.itertuples(index=False)}


def test_the_scorecard_is_one_answer_with_measured_key_results(country: dict[str, Any]) -> None:
    api = _items(country["scorecard"]["items"])
    report = _items(country["report"]["Scorecard"])
    cli = _items(_cli("plan", "assess", "--file", str(country["plan"]),
                      "--store", str(country["store"]))["items"])
    assert api == report == cli
    measured = {k: v for k, v in api.items() if v[1] == "measured"}
    # measured from this country's own UIDs: survey coverage and the routine MMS share
    assert {"mms_received_any", "mms_share_of_anc1"} <= {
        i["indicator"] for i in country["scorecard"]["items"]
        if i["basis"] == "measured"}, measured
    assert {k: api[k][:2] for k in STATUSES} == {k: (v, "team") for k, v in STATUSES.items()}
    # the phase set on the workspace is the scorecard's current phase
    assert {c["phase"] for c in country["scorecard"]["cells"] if c["current"]} == {"scale_up"}
    # another wave, another answer, the same in every view
    first_api = _items(country["scorecard_first"]["items"])
    first_cli = _items(_cli("plan", "assess", "--file", str(country["plan"]), "--store",
                            str(country["store"]), "--wave", country["first"])["items"])
    first_report = _items(country["report_first"]["Scorecard"])
    assert first_api == first_cli == first_report
    survey_kr = [i["key_result"] for i in country["scorecard"]["items"]
                 if i["indicator"] == "mms_received_any" and i["basis"] == "measured"]
    assert survey_kr and all(api[k][2] != first_api[k][2] for k in survey_kr)


def _steps(rows: list[dict[str, Any]] | pd.DataFrame) -> list[tuple[Any, ...]]:
    frame = pd.DataFrame(rows)
    return [(str(r.step), str(r.label), str(r.of), round(float(r.estimate), 9), int(r.n))
            for r in frame.itertuples(index=False)]


def test_the_cascade_is_one_answer_for_the_chosen_wave(country: dict[str, Any]) -> None:
    api = country["cascade"]
    assert api["wave"] == country["latest"] and len(country["waves"]) == 2
    assert api["denominator"] == "women with a birth in the past 24 months"
    cli = _cli("survey", "cascade", "--store", str(country["store"]))
    assert cli["wave"] == api["wave"] and cli["denominator"] == api["denominator"]
    report = country["report"]["Cascade"]
    assert _steps(api["table"]) == _steps(cli["table"]) == _steps(report)
    assert "Received any MMS" in {s[1] for s in _steps(api["table"])}
    assert set(pd.DataFrame(api["table"])["denominator"]) >= {api["denominator"]}
    first = country["cascade_first"]
    cli_first = _cli("survey", "cascade", "--store", str(country["store"]),
                     "--wave", country["first"])
    assert first["wave"] == cli_first["wave"] == country["first"]
    assert _steps(first["table"]) == _steps(cli_first["table"]) == _steps(
        country["report_first"]["Cascade"])
    assert _steps(first["table"]) != _steps(api["table"])
    # the dashboard says which wave and what the shares are of, and offers both waves
    page = country["dashboard"]
    assert "women with a birth in the past 24 months" in page
    assert all(f'<option value="{w}"' in page for w in country["waves"])
    assert f'<option value="{country["latest"]}" selected' in page
    assert f'<option value="{country["first"]}" selected' in country["dashboard_first"]


def test_the_its_is_one_answer(country: dict[str, Any]) -> None:
    summary = pd.DataFrame(country["its"]["summary"]).set_index("term")
    api_rr = float(np.exp(summary.loc["level_change", "estimate"]))
    cli = _cli("evaluate", "routine-its", "--store", str(country["store"]), "--element", ANC1,
               "--start", "202301", "--org-unit", "LkDist000A1")
    report = country["report"]["ITS"].set_index("term")
    assert set(report["district"]) == {"LkDist000A1"} and set(report["start"].astype(str)) == {
        "202301"}
    cli_rr = float(cli["level_change"]["rr"])
    report_rr = float(report.loc["level_change", "rr"])
    assert api_rr == pytest.approx(cli_rr, rel=1e-9) == pytest.approx(report_rr, rel=1e-9)
    lc = cli["level_change"]  # the simulated 20% rise lies within the interval
    assert lc["ci_low"] < 1.2 < lc["ci_high"] and api_rr > 1


def test_the_cost_per_daly_is_one_answer(country: dict[str, Any]) -> None:
    from mmsis.present import format as fmt

    web = pd.DataFrame(country["scenario"]["results"]["impact"]).set_index("measure")
    report = country["report"]["Impact"].set_index("measure")
    cli = _cli("impact", "--scenario", str(country["tmp"] / "scenario.yaml"))
    cli_cost = cli["cost_per_daly"] if "cost_per_daly" in cli else cli["measures"][
        "cost_per_daly"]
    for col in ("central", "ui_low", "ui_high"):
        w = float(web.loc["cost_per_daly", col])
        assert w == pytest.approx(float(report.loc["cost_per_daly", col]), rel=1e-9)
        assert w == pytest.approx(float(cli_cost[col]), rel=1e-9)
    shown = fmt.money(float(web.loc["cost_per_daly", "central"]), "USD")
    assert shown == fmt.money(float(cli_cost["central"]), "USD")


def test_an_unknown_wave_is_a_clear_error_everywhere(country: dict[str, Any]) -> None:
    api = f"/api/workspaces/{country['wid']}"
    for url in (f"{api}/scorecard", f"{api}/analyses/cascade"):
        r = country["client"].get(url, params={"wave": "upload:999"})
        assert r.status_code == 422, r.text
        assert all(w in r.text for w in country["waves"])  # the waves one may pick
    from mmsis.cli import app

    res = CliRunner().invoke(app, ["survey", "cascade", "--store", str(country["store"]),
                                   "--wave", "upload:999"])
    assert res.exit_code != 0 and country["waves"][0] in f"{res.output}{res.exception}"
    page = country["client"].get(f"/w/{country['wid']}", params={"wave": "upload:999"})
    assert page.status_code == 200  # the page shows the latest wave, selected in the picker
    assert f'<option value="{country["latest"]}" selected' in page.text


def test_a_district_officer_reads_the_programme_scorecard(country: dict[str, Any]) -> None:
    api = _items(country["scorecard_district"]["items"])
    assert api == _items(country["scorecard"]["items"])  # the programme's, on the dashboard
    assert _items(country["report_district"]["Scorecard"]) == api  # and in their report
    # while the report's own sections are of their district: the survey files name no
    # district, so no respondent is theirs and the cascade section is not available
    assert "Cascade" not in country["report_district"]
    assert "Routine monthly" in country["report_district"]  # their district's values
