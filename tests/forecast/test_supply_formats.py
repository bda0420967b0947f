"""QAT and UNICEF formats of the forecast: QAT's template columns, round trips, the QAT
consumption reader's errors, formula-like text escaped, the CLI's --format."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.errors import InputError
from mmsis.forecast import qat, unicef
from mmsis.forecast.engine import run_forecast
from mmsis.forecast.scenario import scenario_from_dict

# The headers QAT's web client writes (FASP-QAT/fasp-core-ui, ConsumptionDetails.js and
# ShipmentDetails.js exportCSV, English labels of src/assets/img/locales/en.json), typed here
# from the source and not from mmsis' constants, so a drift in either fails.
QAT_CONSUMPTION = ["QAT Planning Unit", "Consumption Month", "Region", "Consumption Type",
                   "Data Source", "Alternate Reporting Unit (ARU)", "Quantity (ARU)",
                   "Conversion Factor (ARU to Planning Unit)", " Quantity (PU)",
                   "Number of Days Stocked Out", "Notes", "Active"]
QAT_SHIPMENT = ["Active", "ERP flag", "QAT Shipment ID", "QAT Planning Unit", "Status",
                "Receive Date", "Shipment Mode", "Procurement agent", "Local Proc. Agent",
                "Proc. Agent Order No.", "Proc. Agent Prime Line No.",
                "Alternate Reporting Unit (ARU)", "Order Quantity (ARU)",
                "Conversion Factor (ARU to Planning Unit)", " Quantity (PU)",
                "Emergency Shipment", "Funding source", "Budget", "Currency",
                "Price per Planning Unit", "Planning Unit Cost",
                "Auto-calculated Freight & Other Cost", "Freight & Other Cost", "Total Cost",
                "Data source", "Notes"]


@pytest.fixture
def result(base: dict[str, Any]) -> Any:
    """A forecast with orders of both products over two years."""
    base["horizon_months"] = 24
    base["inventory"]["lead_time_months"] = 2
    return run_forecast(scenario_from_dict(base))


def _rows(path: Path) -> list[tuple[Any, ...]]:
    return list(load_workbook(path).worksheets[0].iter_rows(values_only=True))


def test_qat_templates_have_qats_sheets_and_columns(tmp_path: Path, result: Any) -> None:
    paths = qat.write_qat(result, tmp_path)
    assert [p.name for p in paths] == ["Consumption data entry.xlsx",
                                       "Shipment data entry.xlsx"]
    cons, ship = (load_workbook(p) for p in paths)
    assert cons.sheetnames[0] == "Consumption data entry"
    assert ship.sheetnames[0] == "Shipment data entry"
    assert list(_rows(paths[0])[0]) == QAT_CONSUMPTION
    assert list(_rows(paths[1])[0]) == QAT_SHIPMENT
    ws = cons.worksheets[0]
    assert ws["B2"].number_format == "YYYY-MM-DD"  # QAT's date style for the month
    assert ws["H2"].fill.fgColor.rgb.endswith("CCCCCC")  # computed by QAT: grey
    first = dict(zip(QAT_CONSUMPTION, _rows(paths[0])[1], strict=True))
    assert first["Consumption Type"] == "Forecast" and first["Active"] == "True"
    assert str(first["Consumption Month"])[:10] == "2025-01-01"
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["D2:D1000"] == '"Actual,Forecast"' and lists["L2:L1000"] == '"True,False"'
    ship_lists = {str(dv.sqref): dv.formula1
                  for dv in ship.worksheets[0].data_validations.dataValidation}
    assert ship_lists["G2:G1000"] == '"Sea,Air,Road"'
    statuses = {r[4] for r in _rows(paths[1])[1:]}
    assert statuses == {"Planned"}


def test_qat_forecast_round_trip_gives_the_same_quantities(tmp_path: Path,
                                                           result: Any) -> None:
    sc = result.scenario
    cons = qat.write_qat(result, tmp_path)[0]
    back = qat.read_qat_consumption(cons, scenario=sc, kind="forecast")
    need = result.months.set_index("month")
    for prod, pack in (("mms", sc.mms.pack_size), ("ifa", sc.ifa.pack_size)):
        want = (need[f"{prod}_tablets_needed"] / pack + 0.5).astype(int) * pack
        got = back.set_index("period")[f"{prod}_tablets_dispensed"]
        assert got.reindex(want.index).tolist() == want.astype(float).tolist()
    # the need of this scenario is 100 MMS packs a month: no rounding at all
    assert back["mms_tablets_dispensed"].iloc[0] == 18000.0


def test_qat_regions_by_district_round_trip(tmp_path: Path, base: dict[str, Any]) -> None:
    base["geography"] = {"level": "district", "districts": [
        {"id": "D1", "name": "Nord", "pregnancies": 600},
        {"id": "D2", "name": "Sud", "pregnancies": 1800}]}
    base["inventory"]["level"] = "district"
    res = run_forecast(scenario_from_dict(base))
    cons = qat.write_qat(res, tmp_path, qat.QatSettings(by_district=True))[0]
    regions = {r[2] for r in _rows(cons)[1:]}
    assert regions == {"Nord", "Sud"}  # names, not ids
    back = qat.read_qat_consumption(cons, scenario=res.scenario, kind="forecast")
    first = back[back["period"] == "2025-01"].set_index("district")["mms_tablets_dispensed"]
    assert first.to_dict() == {"D1": 9000.0, "D2": 27000.0}  # 50 and 150 packs of 180
    fc = run_forecast(res.scenario, history=back)
    assert fc.consumption is not None
    mms = fc.consumption[fc.consumption["product"] == "mms"].set_index("district")
    assert mms["ratio_consumption_to_demographic"].round(6).tolist() == [1.0, 1.0]


def test_qat_shipments_carry_the_order_plan(tmp_path: Path, result: Any) -> None:
    ship = qat.write_qat(result, tmp_path)[1]
    df = pd.DataFrame(_rows(ship)[1:], columns=QAT_SHIPMENT)
    o = result.orders
    assert len(o) > 2
    for prod, unit in qat.QatSettings().units.items():
        assert df.loc[df["QAT Planning Unit"] == unit, " Quantity (PU)"].sum() == \
            o.loc[o["product"] == prod, "packs"].sum()
    first = df.iloc[0]
    assert first["Total Cost"] == pytest.approx(first["Planning Unit Cost"]
                                                + first["Freight & Other Cost"])
    assert first["Freight & Other Cost"] == pytest.approx(first["Planning Unit Cost"] * 0.1)


def test_formula_like_names_are_escaped(tmp_path: Path, base: dict[str, Any]) -> None:
    base["name"] = "=HYPERLINK(\"http://x\")"
    res = run_forecast(scenario_from_dict(base))
    paths = qat.write_qat(res, tmp_path, qat.QatSettings(
        units={"mms": "=cmd|' /C calc'!A0", "ifa": "IFA"}, region="@SUM(1)"))
    row = _rows(paths[0])[1]
    assert row[0] == "'=cmd|' /C calc'!A0" and row[2] == "'@SUM(1)"
    notes = load_workbook(paths[0])["mmsis notes"]
    assert notes["B2"].value.startswith("'=")
    u = unicef.write_unicef(res, tmp_path / "u.xlsx")
    ws = load_workbook(u)[unicef.SHEET]
    assert ws["B2"].value.startswith("'=")
    assert ws["B2"].data_type == "s"


def test_unicef_sheet_sections_and_round_trip(tmp_path: Path, result: Any) -> None:
    path = unicef.write_unicef(result, tmp_path / "u.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Supply forecast", "Notes"]
    col_a = [c.value for c in wb["Supply forecast"]["A"]]
    for title in ("Section 1. Programmatic requirements", "Section 2. Stock-outs (projected)",
                  "Section 4. Shipments: quantities and requested arrival", "Comments"):
        assert title in col_a
    headings = [v for v in col_a if isinstance(v, str)
                and (v.startswith("Section ") or v == "Comments")]
    assert len(headings) == len(set(v.split(".")[0] for v in headings)), headings  # no two
    notes = " ".join(str(c.value) for c in wb["Notes"]["B"])
    assert "could not be consulted" in notes  # the layout is said to be unconfirmed
    back = unicef.read_shipments(path)
    o = result.orders.groupby(["product", "arrival_month"], as_index=False)["tablets"].sum()
    assert back["Quantity (tablets)"].tolist() == o["tablets"].tolist()
    assert back["Requested arrival month"].tolist() == o["arrival_month"].tolist()


def _export_zip(path: Path, records: list[dict[str, Any]], encrypted: bool = False) -> Path:
    """A QAT 'Export Program' zip (unencrypted layout of ExportProgram.js)."""
    unit_data: Any = {"consumptionList": records, "inventoryList": [], "shipmentList": []}
    if encrypted:
        unit_data = "U2FsdGVkX1+secret"
    doc = {"programData": {"generalData": {"programCode": "EX-MMS"},
                           "planningUnitDataList": [{"planningUnitId": 1,
                                                     "planningUnitData": unit_data}]}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("EX-MMS~v3_1.txt", json.dumps(doc))
    path.write_bytes(buf.getvalue())
    return path


def _rec(month: str, qty: float, *, actual: bool = True, active: bool = True,
         unit: str = "Multiple Micronutrient Supplement, 180 tablets", days: int = 0,
         region: str = "National") -> dict[str, Any]:
    return {"consumptionId": 1, "consumptionDate": f"{month}-01", "consumptionQty": qty,
            "consumptionRcpuQty": qty, "actualFlag": actual, "active": active,
            "dayOfStockOut": days, "multiplier": 1,
            "planningUnit": {"id": 1, "label": {"label_en": unit}},
            "region": {"id": 1, "label": {"label_en": region}}}


def test_reads_a_qat_program_export(tmp_path: Path, base: dict[str, Any]) -> None:
    sc = scenario_from_dict(base)
    path = _export_zip(tmp_path / "download.zip", [
        _rec("2024-11", 90), _rec("2024-12", 100, days=15),
        _rec("2024-12", 999, actual=False),             # a forecast row: not history
        _rec("2024-10", 500, active=False),             # inactive: skipped
        _rec("2024-12", 3, unit="Iron/Folic Acid 60/0.4 mg tablet"),
        # as QAT's client writes them: quantity text with 8 decimals, flags and days as text
        {**_rec("2024-11", 0, unit="Iron/Folic Acid 60/0.4 mg tablet"),
         "consumptionQty": "20.00000000", "actualFlag": "true", "dayOfStockOut": ""},
    ])
    hist = qat.read_qat_consumption(path, scenario=sc)
    assert hist["period"].tolist() == ["2024-11", "2024-12"]
    assert hist["mms_tablets_dispensed"].tolist() == [90 * 180.0, 100 * 180.0]
    assert hist["mms_days_stocked_out"].tolist() == [0.0, 15.0]
    assert hist["ifa_tablets_dispensed"].tolist() == [20 * 1000.0, 3 * 1000.0]
    fc = run_forecast(sc, history=hist)
    assert fc.consumption is not None
    mms = fc.consumption[fc.consumption["product"] == "mms"].iloc[0]
    # mean of Nov (16,200) and Dec adjusted for 15 days out (18,000 x 30/15 = 36,000)
    base_months = sc.consumption.months if sc.consumption else 6
    assert base_months >= 2
    assert mms["consumption_monthly"] == pytest.approx((16200 + 36000) / 2)


def test_tablets_per_unit_from_the_unit_map(tmp_path: Path) -> None:
    path = _export_zip(tmp_path / "e.zip", [_rec("2024-12", 10, unit="PU-77")])
    units = qat.parse_unit_map(["PU-77=mms:30"])
    hist = qat.read_qat_consumption(path, units=units)
    assert hist["mms_tablets_dispensed"].tolist() == [300.0]


@pytest.mark.parametrize(("cells", "column", "row", "says"), [
    ({"Consumption Type": "Maybe"}, "Consumption Type", 2, "Actual or Forecast"),
    ({"QAT Planning Unit": "Condoms"}, "QAT Planning Unit", 2, "neither MMS nor IFA"),
    ({"Consumption Month": "soon"}, "Consumption Month", 2, "not a date"),
    ({" Quantity (PU)": "-4"}, "Quantity (PU)", 2, "quantity >= 0"),
    ({" Quantity (PU)": "lots"}, "Quantity (PU)", 2, "quantity >= 0"),
    ({"Number of Days Stocked Out": "40"}, "Number of Days Stocked Out", 2, "days"),
])
def test_template_reader_names_file_row_and_column(tmp_path: Path, base: dict[str, Any],
                                                   cells: dict[str, str], column: str,
                                                   row: int, says: str) -> None:
    good = {"QAT Planning Unit": "MMS 180", "Consumption Month": "2024-12-01",
            "Region": "National", "Consumption Type": "Actual", " Quantity (PU)": "5",
            "Number of Days Stocked Out": "0", "Active": "True"}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(QAT_CONSUMPTION)
    for r in ({**good, **cells}, good):
        ws.append([r.get(c, "") for c in QAT_CONSUMPTION])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as exc:
        qat.read_qat_consumption(path, scenario=scenario_from_dict(base))
    e = exc.value
    assert (e.file, e.row, e.column) == (str(path), row, column)
    assert says in e.message


def test_reader_refuses_what_is_not_qat(tmp_path: Path) -> None:
    bad_zip = tmp_path / "x.zip"
    bad_zip.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable ZIP"):
        qat.read_qat_consumption(bad_zip)
    enc = _export_zip(tmp_path / "enc.zip", [], encrypted=True)
    with pytest.raises(InputError, match="encrypted"):
        qat.read_qat_consumption(enc)
    csv = tmp_path / "c.csv"
    csv.write_text("QAT Planning Unit,Region\nMMS,National\n")
    with pytest.raises(InputError) as exc:
        qat.read_qat_consumption(csv)
    assert exc.value.column == "Consumption Month"
    empty = _export_zip(tmp_path / "empty.zip", [_rec("2024-12", 1, actual=False)])
    with pytest.raises(InputError, match="no active actual"):
        qat.read_qat_consumption(empty)
    with pytest.raises(InputError, match="NAME=mms"):
        qat.parse_unit_map(["just a name"])


def _scenario_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_cli_format_qat_and_unicef(tmp_path: Path, base: dict[str, Any]) -> None:
    s = str(_scenario_file(tmp_path, base))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["forecast", "--scenario", s, "--format", "qat", "--out",
                                   str(out), "--qat-unit", "MMS 180s=mms",
                                   "--qat-region", "Examplia"])
    assert res.exit_code == 0, res.output
    row = _rows(out / "Consumption data entry.xlsx")[1]
    assert row[0] == "MMS 180s" and row[2] == "Examplia"
    said = " ".join(res.output.split())  # the planner is told which files to open
    assert "Consumption data entry.xlsx" in said and "Shipment data entry.xlsx" in said
    res = CliRunner().invoke(app, ["forecast", "--scenario", s, "--format", "unicef",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "UNICEF supply forecast.xlsx").exists()
    # the QAT sheet read back as the history of the consumption method
    res = CliRunner().invoke(app, ["forecast", "--scenario", s, "--json", "--history",
                                   str(_export_zip(tmp_path / "h.zip",
                                                   [_rec("2024-12", 100)]))])
    assert res.exit_code == 0, res.output
    cons = json.loads(res.stdout)["consumption"]
    assert cons[0]["consumption_monthly"] == 18000.0


@pytest.mark.parametrize(("args", "says"), [
    (["--format", "pdf", "--out", "o"], "--format must be"),
    (["--format", "qat"], "give --out"),
])
def test_cli_format_errors(tmp_path: Path, base: dict[str, Any], args: list[str],
                           says: str) -> None:
    res = CliRunner().invoke(app, ["forecast", "--scenario",
                                   str(_scenario_file(tmp_path, base)), *args])
    assert res.exit_code != 0
    assert says in str(res.exception) + res.output
