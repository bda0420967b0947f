"""Issue #12's rules tried on what landed with issues #13, #17 and #19: the cascade of a
district-limited member (API and dashboard, its caches by scope, language and hierarchy), the
wave list it comes with, the report's survey waves per scope and the scenario's supply
downloads. A member limited to a part of the country sees nothing of another part: no
respondents, values, names or counts."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.web.conftest import ORG_UNITS, World

from mmsis.datasets import ExampleCountry


def _survey(example_country: ExampleCountry, n: int = 900, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    survey = example_country.survey.sample(n, random_state=seed).reset_index(drop=True)
    survey["district_id"] = rng.choice(["D1", "D2"], size=len(survey), p=[0.4, 0.6])
    return survey


def _upload_survey(world: World, survey: pd.DataFrame, name: str = "survey.csv") -> None:
    r = world.client("editor").post(
        f"/api/workspaces/{world.workspace_id}/uploads", data={"kind": "survey"},
        files={"file": (name, survey.to_csv(index=False).encode(), "text/csv")})
    assert r.status_code == 201, r.text


def _scope(world: World, who: str, unit: str) -> None:
    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import User, Workspace

    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        user = db.query(User).filter(User.email == world.emails[who]).one()
        services.set_member(db, None, ws, user, "viewer", unit)


def _move(world: World, unit: str, parent: str) -> None:
    """Re-import the hierarchy with `unit` (and its children) under `parent`."""
    from mmsis.web import db as dbm
    from mmsis.web import programme, services
    from mmsis.web.models import Workspace

    units = ORG_UNITS.copy()
    new = {r.id: r.path for r in units.itertuples()}
    old_path = new[unit]
    new_path = f"{new[parent]}/{unit}"
    units["path"] = [p.replace(old_path, new_path, 1) if p.startswith(old_path) else p
                     for p in units["path"]]
    units.loc[units["id"] == unit, "parent_id"] = parent
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        assert programme.store_metadata(db, ws, {"org_units": units}).ok
        services.load_org_units(db, ws, units)


def test_a_cascade_is_cached_per_language(world: World,
                                          example_country: ExampleCountry) -> None:
    _upload_survey(world, _survey(example_country))
    url = f"/api/workspaces/{world.workspace_id}/analyses/cascade"
    fr = world.client("editor")
    fr.headers["Accept-Language"] = "fr"
    first = fr.get(url).json()
    assert "femmes ayant accouché" in first["denominator"]
    en = world.client("editor").get(url).json()  # the same data, asked in English after
    assert en["denominator"] == "women with a birth in the past 24 months", en["denominator"]
    assert "femmes" not in str(en["table"])


def test_a_moved_district_leaves_the_cached_cascade_of_its_old_region(
        world_any: World, example_country: ExampleCountry) -> None:
    world = world_any  # SQLite and PostgreSQL (the org units' version is a BigInteger stamp)
    survey = _survey(example_country)
    _upload_survey(world, survey)
    _scope(world, "viewer", "R1")  # the North region: D1 (Alpha district) today
    north = world.client("viewer")
    url = f"/api/workspaces/{world.workspace_id}/analyses/cascade"
    before = north.get(url)
    assert before.status_code == 200
    assert before.json()["respondents"] == int((survey["district_id"] == "D1").sum())
    _move(world, "D1", "R2")  # Alpha district now belongs to the South: none left in North
    after = north.get(url)
    assert after.status_code == 404, (after.status_code, after.text[:300])
    page = " ".join(north.get(f"/w/{world.workspace_id}").text.split())
    assert f"{int((survey['district_id'] == 'D1').sum()):,} respondents" not in page


def test_the_wave_list_gives_a_limited_member_no_national_count(
        world: World, example_country: ExampleCountry) -> None:
    survey = _survey(example_country)
    _upload_survey(world, survey)
    mine = world.client("district").get(
        f"/api/workspaces/{world.workspace_id}/analyses/cascade").json()
    n_d1 = int((survey["district_id"] == "D1").sum())
    assert mine["respondents"] == n_d1
    counts = [w.get("rows") for w in mine["waves"]]
    assert len(survey) not in counts, counts  # the whole country's respondents
    national = world.client("editor").get(
        f"/api/workspaces/{world.workspace_id}/analyses/cascade").json()
    assert [w["rows"] for w in national["waves"]] == [len(survey)]


def test_the_report_of_a_limited_member_reads_every_wave_within_its_part(
        world: World, example_country: ExampleCountry) -> None:
    from mmsis.web import db as dbm
    from mmsis.web.deps import Access
    from mmsis.web.models import Workspace
    from mmsis.web.report_inputs import report_country

    old, new = _survey(example_country, seed=5), _survey(example_country, seed=6)
    _upload_survey(world, old, "old.csv")
    _upload_survey(world, new, "new.csv")
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        ws = db.get(Workspace, world.workspace_id)
        assert ws is not None
        access = Access(user=None, session=None, workspace=ws,  # type: ignore[arg-type]
                        role="editor", scope_path="/C/R1/D1", scope_unit="D1")
        waves = report_country(db, access).waves
    assert len(waves) == 2
    for w, src in zip(waves, (old, new), strict=True):
        frame = w.respondents()  # the older wave read after the request's session
        assert set(frame["district_id"]) == {"D1"}, w.name
        assert len(frame) == int((src["district_id"] == "D1").sum())


SCENARIO: dict[str, Any] = {
    "name": "Two districts",
    "start": "2025-01", "horizon_months": 12,
    "geography": {"level": "district", "districts": [
        {"id": "D1", "name": "Alpha district", "pregnancies": 1200},
        {"id": "D2", "name": "Beta district", "pregnancies": 800}]},
    "pregnancies": {"method": "given", "pregnancy_loss_adjustment": 1.0},
    "anc1_coverage": 1.0,
    "regimen": {"tablets_per_pregnancy": 180, "adherence": 1.0, "wastage": 0.0},
    "mms": {"pack_size": 180, "price_per_tablet": 0.02},
    "ifa": {"pack_size": 1000, "price_per_tablet": 0.005, "dispensing_months": 6},
    "rollout": {"start": "2025-01", "ramp_months": 1, "uptake": 1.0},
    "inventory": {"level": "national", "min_months": 3, "max_months": 6,
                  "lead_time_months": 0, "review_period_months": 1},
}


def _cells(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    return " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                    for c in row if c.value is not None)


@pytest.mark.parametrize("fmt", ["qat", "unicef"])
def test_supply_downloads_name_no_district_and_ask_no_path(world: World, fmt: str) -> None:
    wid = world.workspace_id
    editor = world.client("editor")
    r = editor.post(f"/w/{wid}/scenario", data={
        "scenario": yaml.safe_dump(SCENARIO), "csrf_token": editor.headers["X-CSRF-Token"]},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    district = world.client("district")
    r = district.get(f"/w/{wid}/scenario/download", params={"format": fmt})
    assert r.status_code == 200
    if fmt == "qat":
        z = zipfile.ZipFile(io.BytesIO(r.content))
        text = " ".join(_cells(z.read(n)) for n in z.namelist())
    else:
        text = _cells(r.content)
    assert "Beta district" not in text and "D2" not in text  # summed, no district by name
    for bad in ("../../etc/passwd", "/etc/passwd", "qat/../unicef", "QAT", "qat\x00"):
        r = district.get(f"/w/{wid}/scenario/download", params={"format": bad})
        assert r.status_code == 404, (bad, r.status_code)
    assert world.client("outsider").get(
        f"/w/{wid}/scenario/download?format={fmt}").status_code in (403, 404)


def test_supply_downloads_are_built_once_per_scenario(world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import mmsis.forecast as forecast

    wid = world.workspace_id
    editor = world.client("editor")
    scenario = {**SCENARIO, "name": "Built once"}
    editor.post(f"/w/{wid}/scenario", data={
        "scenario": yaml.safe_dump(scenario), "csrf_token": editor.headers["X-CSRF-Token"]},
        follow_redirects=False)
    runs: list[int] = []
    real = forecast.run_forecast

    def counted(*a: Any, **k: Any) -> Any:
        runs.append(1)
        return real(*a, **k)

    monkeypatch.setattr(forecast, "run_forecast", counted)
    viewer = world.client("viewer")
    first = viewer.get(f"/w/{wid}/scenario/download?format=unicef")
    again = viewer.get(f"/w/{wid}/scenario/download?format=unicef")
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert len(runs) <= 1  # any member may ask, again and again: built once
    scenario["name"] = "Changed"
    editor.post(f"/w/{wid}/scenario", data={
        "scenario": yaml.safe_dump(scenario), "csrf_token": editor.headers["X-CSRF-Token"]},
        follow_redirects=False)
    changed = viewer.get(f"/w/{wid}/scenario/download?format=unicef")
    assert "Changed" in changed.headers["content-disposition"]


@pytest.mark.parametrize("wave", ["x" * 20_000, "\x00", "upload:99999999999999999999999",
                                  "upload:-1", "upload:1' OR '1'='1", "../../etc/passwd",
                                  "%00", "upload:1\n"])
def test_hostile_wave_and_district_parameters_never_answer_500(
        world: World, example_country: ExampleCountry, wave: str) -> None:
    from tests.web.conftest import login

    _upload_survey(world, _survey(example_country, n=300))
    wid = world.workspace_id
    c = login(TestClient(world.app, raise_server_exceptions=False),  # type: ignore[arg-type]
              world.emails["district"])
    for url, params in [
        (f"/api/workspaces/{wid}/analyses/cascade", {"wave": wave}),
        (f"/w/{wid}", {"wave": wave}),
        (f"/w/{wid}", {"district": wave}),
        (f"/api/workspaces/{wid}/report", {"wave": wave}),
        (f"/w/{wid}/scenario/download", {"format": wave}),
    ]:
        r = c.get(url, params=params)
        assert r.status_code < 500, (url, r.status_code, r.text[:300])
        assert "Traceback" not in r.text


def test_a_download_named_by_a_huge_scenario_name_keeps_a_short_header() -> None:
    from mmsis.web.downloads import MAX_NAME, content_disposition

    value = content_disposition("é" + "x" * 40_000 + " - UNICEF supply forecast.xlsx")
    assert len(value.encode("latin-1")) < 1_000
    assert value.endswith(".xlsx") and 'filename="' in value
    short = content_disposition("Nord - QAT data entry templates.zip")
    assert "Nord%20-%20QAT%20data%20entry%20templates.zip" in short
    from urllib.parse import unquote

    kept = unquote(value.split("filename*=UTF-8''")[1])
    assert len(kept) <= MAX_NAME and kept.startswith("éxxx") and kept.endswith(".xlsx")


def test_a_saved_scenario_that_no_longer_checks_gives_no_500(world: World) -> None:
    from tests.web.conftest import login

    from mmsis.web import analytics
    from mmsis.web import db as dbm

    bad = {**SCENARIO, "horizon_months": 100_000, "store": "/etc/passwd"}  # saved long ago
    with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
        analytics.save_result(db, world.workspace_id, "scenario", bad)
    c = login(TestClient(world.app, raise_server_exceptions=False),  # type: ignore[arg-type]
              world.emails["viewer"])
    for fmt in ("qat", "unicef"):
        r = c.get(f"/w/{world.workspace_id}/scenario/download", params={"format": fmt})
        assert 400 <= r.status_code < 500, (fmt, r.status_code, r.text[:300])
        assert "passwd" not in r.text or "server path" in r.text

