"""The scenario page's supply-planning downloads (issue #17): QAT's data entry templates as a
zip and a UNICEF supply forecast sheet, for any member; 404 without a scenario or format."""

from __future__ import annotations

import io
import zipfile

import yaml
from openpyxl import load_workbook
from tests.web.conftest import World

from mmsis.forecast.qat import CONSUMPTION_COLUMNS, SHIPMENT_COLUMNS

SCENARIO = {
    "name": "Nord: =MMS pilot",
    "start": "2025-01", "horizon_months": 12,
    "geography": {"level": "national", "pregnancies": 1200},
    "pregnancies": {"method": "given", "pregnancy_loss_adjustment": 1.0},
    "anc1_coverage": 1.0,
    "regimen": {"tablets_per_pregnancy": 180, "adherence": 1.0, "wastage": 0.0},
    "mms": {"pack_size": 180, "price_per_tablet": 0.02},
    "ifa": {"pack_size": 1000, "price_per_tablet": 0.005, "dispensing_months": 6},
    "rollout": {"start": "2025-01", "ramp_months": 1, "uptake": 1.0},
    "inventory": {"level": "national", "min_months": 3, "max_months": 6,
                  "lead_time_months": 0, "review_period_months": 1},
}


def test_scenario_downloads_in_supply_formats(world: World) -> None:
    wid = world.workspace_id
    viewer = world.client("viewer")
    assert viewer.get(f"/w/{wid}/scenario/download?format=qat").status_code == 404  # none yet
    editor = world.client("editor")
    r = editor.post(f"/w/{wid}/scenario", data={
        "scenario": yaml.safe_dump(SCENARIO), "csrf_token": editor.headers["X-CSRF-Token"]},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    page = viewer.get(f"/w/{wid}/scenario").text
    assert f"/w/{wid}/scenario/download?format=qat" in page
    assert f"/w/{wid}/scenario/download?format=unicef" in page
    r = viewer.get(f"/w/{wid}/scenario/download?format=qat")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "QAT%20data%20entry%20templates.zip" in r.headers["content-disposition"]
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert sorted(z.namelist()) == ["Consumption data entry.xlsx", "Shipment data entry.xlsx"]
    cons = load_workbook(io.BytesIO(z.read("Consumption data entry.xlsx"))).worksheets[0]
    assert [c.value for c in cons[1]] == CONSUMPTION_COLUMNS
    assert cons["I2"].value == 100  # 1,200 pregnancies a year x 180 tablets / 180 a pack
    ship = load_workbook(io.BytesIO(z.read("Shipment data entry.xlsx"))).worksheets[0]
    assert [c.value for c in ship[1]] == SHIPMENT_COLUMNS
    r = viewer.get(f"/w/{wid}/scenario/download?format=unicef")
    assert r.status_code == 200 and r.headers["content-type"].endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb["Supply forecast"]["B2"].value == "Nord: =MMS pilot"
    assert viewer.get(f"/w/{wid}/scenario/download?format=csv").status_code == 404
    assert world.client("outsider").get(
        f"/w/{wid}/scenario/download?format=qat").status_code in (403, 404)
