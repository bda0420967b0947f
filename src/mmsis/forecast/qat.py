"""The forecast in QAT's bulk-entry templates, and consumption history read back from QAT.

QAT (Quantification Analytics Tool, USAID GHSC-PSM, developed by Altius) documents one way to
bring a third party's numbers into a supply plan: the Excel data entry templates of its
"Supply Plan Data" screens (User Guide, Section 4.C1 "Supply Plan Data Excel Import
Templates", github.com/FASP-QAT/qat-documentation, docs/user/07-supply-planning-module-
program-data.md). The user downloads the template, fills it, copies the rows and pastes them
into the data entry grid. The columns below are those the open-source QAT web client writes
into the templates (github.com/FASP-QAT/fasp-core-ui, src/views/Consumption/
ConsumptionDetails.js and src/views/Shipment/ShipmentDetails.js, ``exportCSV``; English
headers from src/assets/img/locales/en.json), field for field and in order, including the
leading space QAT's label " Quantity (PU)" carries; the consumption grid they are pasted into
has the same columns in the same order (src/views/SupplyPlan/
ConsumptionInSupplyPlanForDataEntry.js).

- **Forecast**: the consumption template, one row a product and month with Consumption Type
  "Forecast" (QAT's forecasted consumption).
- **Supply plan**: the shipment template, one row a planned order (status "Planned") with the
  month it is to be received.

Read back: QAT's "Export Program" (User Guide Section 3.E) zips the program as JSON text
files; unencrypted, each holds ``programData.planningUnitDataList[].planningUnitData.
consumptionList`` (fasp-core-ui src/views/Program/ExportProgram.js and the consumption record
written in src/views/SupplyPlan/ConsumptionInSupplyPlan.js: ``consumptionDate`` YYYY-MM-DD,
``consumptionQty`` in planning units, ``actualFlag``, ``dayOfStockOut``, ``active``,
``planningUnit.label.label_en``, ``region.label.label_en``). A filled consumption template
(XLSX or CSV with the headers above) is read too.

Assumptions (not in QAT's documentation; see docs/supply_formats.md):
- one QAT planning unit is one pack of the scenario's pack size, and the alternate reporting
  unit (ARU) is the planning unit itself, conversion factor 1;
- quantities are whole planning units (QAT's template accepts whole numbers only), rounded
  half up month by month;
- data source, procurement agent, funding source, shipment mode and currency (QAT's label,
  e.g. not the code USD) are names from the program's own master data, which mmsis cannot
  know: left blank unless given.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mmsis.data import textio, ziparchive
from mmsis.errors import InputError
from mmsis.forecast.engine import ForecastResult
from mmsis.forecast.scenario import Scenario, month_index, month_label
from mmsis.i18n import N_
from mmsis.i18n import gettext as _

QUANTITY_PU = " Quantity (PU)"
"""QAT's own header (static.supplyPlan.quantityPU), leading space included."""

CONSUMPTION_COLUMNS = [
    "QAT Planning Unit", "Consumption Month", "Region", "Consumption Type", "Data Source",
    "Alternate Reporting Unit (ARU)", "Quantity (ARU)",
    "Conversion Factor (ARU to Planning Unit)", QUANTITY_PU, "Number of Days Stocked Out",
    "Notes", "Active",
]
"""Columns A-L of QAT's consumption data entry template (ConsumptionDetails.js)."""

SHIPMENT_COLUMNS = [
    "Active", "ERP flag", "QAT Shipment ID", "QAT Planning Unit", "Status", "Receive Date",
    "Shipment Mode", "Procurement agent", "Local Proc. Agent", "Proc. Agent Order No.",
    "Proc. Agent Prime Line No.", "Alternate Reporting Unit (ARU)", "Order Quantity (ARU)",
    "Conversion Factor (ARU to Planning Unit)", QUANTITY_PU, "Emergency Shipment",
    "Funding source", "Budget", "Currency", "Price per Planning Unit", "Planning Unit Cost",
    "Auto-calculated Freight & Other Cost", "Freight & Other Cost", "Total Cost",
    "Data source", "Notes",
]
"""Columns A-Z of QAT's shipment data entry template (ShipmentDetails.js)."""

CONSUMPTION_SHEET = "Consumption data entry"
SHIPMENT_SHEET = "Shipment data entry"
"""Sheet and file names QAT gives its templates (static.supplyplan.*DataEntry)."""

LISTS_CONSUMPTION = {"D": ["Actual", "Forecast"], "L": ["True", "False"]}
LISTS_SHIPMENT = {"A": ["True", "False"], "G": ["Sea", "Air", "Road"], "I": ["True", "False"],
                  "P": ["True", "False"], "V": ["True", "False"]}
WHOLE_CONSUMPTION = ("G", "J")
WHOLE_SHIPMENT = ("M",)
"""QAT's own drop-down lists and whole-number checks of the templates (those that do not
depend on the program's master data; QAT also checks whole numbers on the shipment's price
and freight, left out here since mmsis' prices have cents)."""

GREY_CONSUMPTION = ("H", "I")
GREY_SHIPMENT = ("B", "C", "K", "N", "O", "U", "X")
"""Columns QAT greys as computed by QAT itself (they need not be filled)."""

MAX_ROWS = 200_000
MAX_ZIP_MEMBERS = 200
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
"""Bounds on a QAT file read back: rows, files in an export, the file's bytes and its bytes
once unzipped."""


@dataclass(frozen=True)
class QatSettings:
    """Names from the QAT program's master data that the rows must carry.

    ``units`` maps mms/ifa to the program's planning unit name; ``region`` is the program's
    region the forecast is entered for (QAT programs are usually one, national, region).
    """

    units: dict[str, str] = field(default_factory=lambda: {
        "mms": "Multiple Micronutrient Supplement (UNIMMAP MMS)",
        "ifa": "Iron and Folic Acid"})
    region: str = "National"
    by_district: bool = False
    data_source: str = ""
    procurement_agent: str = ""
    funding_source: str = ""
    shipment_mode: str = ""
    currency: str = ""


def _round(x: float) -> int:
    """Whole planning units, half up (QAT's template takes whole numbers only)."""
    return int(np.floor(float(x) + 0.5))


def _first_day(month: str) -> _dt.date:
    """The first day of a "YYYY-MM" month (QAT's templates date a month by its first day)."""
    i = month_index(month)
    return _dt.date(i // 12, i % 12 + 1, 1)


def district_names(sc: Scenario) -> dict[str, str]:
    """District id -> its name (the id where it has none); empty for a national scenario."""
    if sc.geography.level == "national":
        return {}
    return {str(d.id): str(d.name or d.id) for d in sc.geography.districts or []}


def consumption_rows(result: ForecastResult, settings: QatSettings) -> pd.DataFrame:
    """The forecast as QAT consumption-template rows (type Forecast), one a product, region and
    month: summed over districts into the settings' region, or (``by_district``) one region a
    district, named by the district's name."""
    sc = result.scenario
    names = district_names(sc) if settings.by_district else {}
    need = result.need.assign(region=result.need["district"].astype(str).map(names)
                              if names else settings.region)
    m = need.groupby(["region", "month"], as_index=False, sort=False)[
        ["mms_tablets_needed", "ifa_tablets_needed"]].sum()
    note = f"mmsis forecast: {sc.name}"
    rows = []
    for product, pack in (("mms", sc.mms.pack_size), ("ifa", sc.ifa.pack_size)):
        for region, month, tabs in zip(m["region"], m["month"], m[f"{product}_tablets_needed"],
                                       strict=True):
            q = _round(tabs / pack)
            rows.append([settings.units[product], _first_day(month), region, "Forecast",
                         settings.data_source, settings.units[product], q, 1, q, 0, note,
                         "True"])
    return pd.DataFrame(rows, columns=CONSUMPTION_COLUMNS)


def shipment_rows(result: ForecastResult, settings: QatSettings) -> pd.DataFrame:
    """The order plan as QAT shipment-template rows (status Planned), one a product and month
    of receipt, summed over districts; cost is the product cost, freight the scenario's
    freight share (in-country distribution is not a QAT shipment cost)."""
    sc = result.scenario
    o = result.orders
    rows = []
    if len(o):
        o = o.groupby(["product", "arrival_month"], as_index=False)["packs"].sum()
    for product, month, packs in zip(o["product"], o["arrival_month"], o["packs"],
                                     strict=True):
        prod = sc.mms if product == "mms" else sc.ifa
        q = _round(packs)
        price = prod.price_per_tablet * prod.pack_size
        cost = q * price
        freight = cost * sc.freight_pct
        rows.append(["True", "False", "", settings.units[product], "Planned",
                     _first_day(month), settings.shipment_mode, settings.procurement_agent,
                     "False", "", "", settings.units[product], q, 1, q, "False",
                     settings.funding_source, "", settings.currency,
                     round(price, 6), round(cost, 2), "False", round(freight, 2),
                     round(cost + freight, 2), settings.data_source,
                     f"mmsis order plan: {sc.name}"])
    return pd.DataFrame(rows, columns=SHIPMENT_COLUMNS)


def _notes_rows(result: ForecastResult, settings: QatSettings, what: str) -> list[list[str]]:
    """The 'mmsis notes' sheet in the language in use (QAT's own sheet stays English)."""
    sc = result.scenario
    return [
        [_("mmsis export for QAT"), _(what)],
        [_("Scenario"), sc.name],
        [_("Source of the layout"), _("QAT User Guide 4.C1 (Supply Plan Data Excel Import "
                                      "Templates); columns as QAT's web client writes them "
                                      "(FASP-QAT/fasp-core-ui)")],
        [_("How to import"), _("In QAT: Supply Plan Data > the data screen > + Add Row; copy "
                               "the rows of the first sheet (without the header) and paste "
                               "them in the first cell of the new row; check; Submit.")],
        [_("Assumption"), _("1 QAT planning unit = 1 pack (MMS %(mms)s tablets, IFA %(ifa)s "
                            "tablets); the ARU is the planning unit, conversion factor 1; "
                            "quantities rounded to whole units.") % {
            "mms": sc.mms.pack_size, "ifa": sc.ifa.pack_size}],
        [_("Assumption"), _("Planning unit, region, data source, procurement agent, funding "
                            "source and shipment mode must be the names of your QAT "
                            "program's master data: blank cells are to be chosen in QAT. "
                            "QAT's currency is its own name for the scenario's %(currency)s "
                            "(its label, not the code).") % {"currency": sc.currency}],
        [_("Planning units"), _("MMS: %(mms)s; IFA: %(ifa)s") % {
            "mms": settings.units["mms"], "ifa": settings.units["ifa"]}],
    ]


def _write_sheet(frame: pd.DataFrame, sheet: str, grey: tuple[str, ...],
                 checks: tuple[dict[str, list[str]], tuple[str, ...]],
                 notes: list[list[str]], path: Path) -> Path:
    """One template workbook: the data sheet QAT's way (yellow bordered header, grey computed
    columns, YYYY-MM-DD dates, its fixed lists and whole-number checks on rows 2-1000 or
    more) and an 'mmsis notes' sheet after it."""
    from openpyxl import Workbook
    from openpyxl.styles import Border, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from mmsis.present.cells import safe_cell

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(frame.columns))
    thin = Side(style="thin")
    for cell in ws[1]:
        cell.fill = PatternFill("solid", fgColor="FFFFFF00")
        cell.border = Border(top=thin, left=thin, bottom=thin, right=thin)
    for row in frame.itertuples(index=False):
        ws.append([safe_cell(v) if isinstance(v, str) else v for v in row])
    grey_fill = PatternFill("solid", fgColor="FFCCCCCC")
    for i in range(1, len(frame.columns) + 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 25
        for cell in ws[letter][1:]:
            if isinstance(cell.value, _dt.date):
                cell.number_format = "YYYY-MM-DD"
            if letter in grey:
                cell.fill = grey_fill
    last = max(1000, len(frame) + 1)
    lists, whole = checks
    for col, items in lists.items():
        dv = DataValidation(type="list", formula1='"' + ",".join(items) + '"',
                            allow_blank=False, showErrorMessage=True)
        dv.add(f"{col}2:{col}{last}")
        ws.add_data_validation(dv)
    for col in whole:
        dv = DataValidation(type="whole", operator="greaterThan", formula1="-1",
                            showErrorMessage=True)
        dv.add(f"{col}2:{col}{last}")
        ws.add_data_validation(dv)
    nb = wb.create_sheet("mmsis notes")
    for r in notes:
        nb.append([safe_cell(v) for v in r])
    nb.column_dimensions["A"].width = 24
    nb.column_dimensions["B"].width = 110
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_qat(result: ForecastResult, out: Path,
              settings: QatSettings | None = None) -> list[Path]:
    """Write 'Consumption data entry.xlsx' (the forecast) and 'Shipment data entry.xlsx' (the
    planned orders) into the folder `out`, in QAT's template layout."""
    s = settings or QatSettings()
    return [
        _write_sheet(consumption_rows(result, s), CONSUMPTION_SHEET, GREY_CONSUMPTION,
                     (LISTS_CONSUMPTION, WHOLE_CONSUMPTION),
                     _notes_rows(result, s, N_("forecasted consumption")),
                     out / f"{CONSUMPTION_SHEET}.xlsx"),
        _write_sheet(shipment_rows(result, s), SHIPMENT_SHEET, GREY_SHIPMENT,
                     (LISTS_SHIPMENT, WHOLE_SHIPMENT),
                     _notes_rows(result, s, N_("planned shipments (supply plan)")),
                     out / f"{SHIPMENT_SHEET}.xlsx"),
    ]


# --- reading consumption back ---------------------------------------------------------------


def parse_unit_map(items: list[str]) -> dict[str, tuple[str, float | None]]:
    """'NAME=mms' or 'NAME=mms:180' (tablets in one planning unit) -> {NAME: (mms, 180)}."""
    out: dict[str, tuple[str, float | None]] = {}
    for item in items:
        name, sep, rest = item.rpartition("=")
        prod, _colon, tabs = rest.partition(":")
        prod = prod.strip().lower()
        if not sep or not name.strip() or prod not in ("mms", "ifa"):
            raise InputError(f"'{item}' is not NAME=mms or NAME=ifa[:tablets]",
                             field="--qat-unit")
        try:
            n = float(tabs) if tabs else None
        except ValueError:
            raise InputError(f"'{tabs}' is not a number of tablets", field="--qat-unit") from None
        if n is not None and not 0 < n <= textio.MAX_DATA_VALUE:
            raise InputError(f"{tabs} tablets in a planning unit is out of range",
                             field="--qat-unit")
        out[name.strip()] = (prod, n)
    return out


_MMS_WORDS = ("multiple micronutrient", "mms", "unimmap")
_IFA_WORDS = ("iron", "folic", "ifa")


def _product_of(unit: str, units: dict[str, tuple[str, float | None]]) -> str | None:
    """mms or ifa for a QAT planning unit's name (the user's `units` map first, then words in
    the name); None for a unit that is neither."""
    if unit in units:
        return units[unit][0]
    low = unit.lower()
    if any(w in low for w in _MMS_WORDS):
        return "mms"
    if any(w in low for w in _IFA_WORDS):
        return "ifa"
    return None


def _records_from_json(data: Any, file: str) -> list[dict[str, Any]]:
    """consumptionList records of one exported program (new layout per planning unit, or the
    older one with the list in the program data itself)."""
    if not isinstance(data, dict) or not isinstance(data.get("programData"), dict):
        raise InputError("not a QAT program export (no programData)", file=file)
    pd_ = data["programData"]
    recs: list[dict[str, Any]] = []
    general = pd_.get("generalData")
    units = pd_.get("planningUnitDataList") or []
    if not isinstance(units, list):
        raise InputError("not a QAT program export (planningUnitDataList is not a list)",
                         file=file)
    for holder in [pd_ if general is None else general] + [
            u.get("planningUnitData") for u in units if isinstance(u, dict)]:
        if isinstance(holder, dict):
            found = holder.get("consumptionList") or []
            if not isinstance(found, list):
                raise InputError("not a QAT program export (consumptionList is not a list)",
                                 file=file)
            recs += [r for r in found if isinstance(r, dict)]
        elif isinstance(holder, str):
            raise InputError("this QAT export is encrypted: export the program again with "
                             "'Do you want to encrypt' unchecked", file=file)
    return recs


def _label(obj: Any) -> str:
    """A QAT label in English (label.label_en), or ''."""
    if isinstance(obj, dict):
        lab = obj.get("label")
        if isinstance(lab, dict):
            return str(lab.get("label_en") or "")
    return ""


def _export_frame(raw: bytes, file: str) -> pd.DataFrame:
    """Consumption rows of a QAT 'Export Program' zip, in the template's columns."""
    archive = ziparchive.open_zip(raw, file, max_entries=MAX_ZIP_MEMBERS,
                                  max_unpacked=MAX_UNZIPPED_BYTES)
    members = [i for i in archive.infolist() if i.filename.endswith(".txt")
               and not i.filename.endswith("_part.txt")]
    if not members:
        raise InputError(f"expected 1 to {MAX_ZIP_MEMBERS} program files (.txt) in the ZIP",
                         file=file)
    rows = []
    for info in members:
        where = f"{file}:{info.filename}"
        if info.flag_bits & 0x1:
            raise InputError("this QAT export is encrypted: export the program again with "
                             "'Do you want to encrypt' unchecked", file=file)
        try:
            text = ziparchive.read_entry(archive, info, file).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", file=where) from None
        data = textio.loads_json(text.split("@~-~@")[0], file=where)
        for r in _records_from_json(data, where):
            rows.append({
                "QAT Planning Unit": _label(r.get("planningUnit")),
                "Consumption Month": r.get("consumptionDate"),
                "Region": _label(r.get("region")),
                "Consumption Type": "Actual" if str(r.get("actualFlag")).lower() == "true"
                else "Forecast",
                QUANTITY_PU: r.get("consumptionQty"),
                "Number of Days Stocked Out": r.get("dayOfStockOut"),
                "Active": r.get("active", True),
            })
    return pd.DataFrame(rows, columns=["QAT Planning Unit", "Consumption Month", "Region",
                                       "Consumption Type", QUANTITY_PU,
                                       "Number of Days Stocked Out", "Active"])


def _template_frame(path: Path, raw: bytes) -> pd.DataFrame:
    """A filled consumption template (XLSX: its first sheet; or CSV), cells as text."""
    file = str(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        # a workbook is a ZIP: bounded like an export before openpyxl unpacks it
        ziparchive.open_zip(raw, file, max_entries=MAX_ZIP_MEMBERS,
                            max_unpacked=MAX_UNZIPPED_BYTES)
        try:
            df = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False,
                               sheet_name=0, nrows=MAX_ROWS + 1)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})",
                             file=file) from None
    else:
        from mmsis.data import csvread

        with textio.utf8_file(path) as utf8:
            # blank lines kept as rows (skipped below): row numbers stay the file's lines
            df = csvread.read_frame(utf8, file, dtype=str, keep_default_na=False,
                                    skip_blank_lines=False)
    df.columns = [str(c) for c in df.columns]
    if QUANTITY_PU not in df.columns and QUANTITY_PU.strip() in df.columns:
        df = df.rename(columns={QUANTITY_PU.strip(): QUANTITY_PU})
    need = ["QAT Planning Unit", "Consumption Month", "Consumption Type", QUANTITY_PU]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError(f"not QAT's consumption layout: no column {miss[0].strip()!r}",
                         file=file, column=miss[0].strip())
    return df


def _month_of(value: Any) -> str:
    """'YYYY-MM' of a QAT date ('2025-01-01', a datetime, '2025-01-01 00:00:00')."""
    if isinstance(value, (_dt.date, pd.Timestamp)):
        return month_label(month_index(value))
    s = str(value).strip()
    return month_label(month_index(s[:7] if len(s) >= 7 and s[4] == "-" else s))


def read_qat_consumption(path: str | Path, *, scenario: Scenario | None = None,
                         units: dict[str, tuple[str, float | None]] | None = None,
                         kind: str = "actual") -> pd.DataFrame:
    """Consumption history (period, district, mms/ifa_tablets_dispensed, ..._days_stocked_out)
    from a QAT program export (.zip) or a QAT consumption template (.xlsx/.csv).

    Quantities are planning units times the tablets in one (``units`` 'NAME': (product,
    tablets), else the scenario's pack size); QAT's region becomes the district (the
    scenario's district of that name or id, else the region's name as it is); inactive
    rows are skipped; ``kind`` 'actual' (the history) or 'forecast' rows are kept.
    """
    p = Path(path)
    file = str(path)
    if not p.exists():
        raise InputError("QAT file not found", file=file)
    if not p.is_file():
        raise InputError("not a file (a folder?): give the QAT export or template itself",
                         file=file)
    if p.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"larger than {MAX_FILE_BYTES // 2**20} MB", file=file)
    raw = p.read_bytes()
    df = _export_frame(raw, file) if p.suffix.lower() == ".zip" else _template_frame(p, raw)
    if len(df) > MAX_ROWS:
        raise InputError(f"more than {MAX_ROWS:,} rows", file=file, row=MAX_ROWS + 1)
    units = units or {}
    packs = {"mms": scenario.mms.pack_size, "ifa": scenario.ifa.pack_size} if scenario else {}
    district_of = {k.casefold(): v for i, n in (district_names(scenario) if scenario
                                                else {}).items() for k, v in ((n, i), (i, i))}
    want = "actual" if kind == "actual" else "forecast"
    out: dict[tuple[str, str], dict[str, float]] = {}
    for i, r in enumerate(df.to_dict("records")):
        row = i + 2 if p.suffix.lower() != ".zip" else i + 1  # header is row 1 of a sheet
        if str(r.get("Active", "True")).strip().lower() in ("false", "0", "no"):
            continue
        if all(str(v).strip() == "" for v in r.values()):  # a blank row of the sheet
            continue
        ctype = str(r["Consumption Type"]).strip().lower()
        if ctype not in ("actual", "forecast"):
            raise InputError("Consumption Type must be Actual or Forecast", file=file,
                             row=row, column="Consumption Type")
        if ctype != want:
            continue
        unit = str(r["QAT Planning Unit"]).strip()
        prod = _product_of(unit, units)
        if prod is None:
            raise InputError(f"planning unit {unit!r} is neither MMS nor IFA: map it with "
                             "--qat-unit 'NAME=mms' (or ifa)", file=file, row=row,
                             column="QAT Planning Unit")
        tabs = units.get(unit, (prod, None))[1] or packs.get(prod)
        if tabs is None:
            raise InputError(f"tablets in one {unit!r} unknown: give a scenario or "
                             "--qat-unit 'NAME=product:tablets'", file=file, row=row,
                             column="QAT Planning Unit")
        try:
            month = _month_of(r["Consumption Month"])
        except ValueError:
            raise InputError(f"{r['Consumption Month']!r} is not a date (YYYY-MM-DD)",
                             file=file, row=row, column="Consumption Month") from None
        qty = pd.to_numeric(str(r[QUANTITY_PU]).replace(",", ""), errors="coerce")
        if pd.isna(qty) or not 0 <= qty <= textio.MAX_DATA_VALUE:
            raise InputError(f"{r[QUANTITY_PU]!r} is not a quantity >= 0", file=file,
                             row=row, column=QUANTITY_PU.strip())
        days_raw = str(r.get("Number of Days Stocked Out", "") or "").strip()
        days = pd.to_numeric(days_raw or "0", errors="coerce")
        if pd.isna(days) or not 0 <= days <= 31:
            raise InputError(f"{days_raw!r} is not a number of days (0-31)", file=file,
                             row=row, column="Number of Days Stocked Out")
        region = str(r.get("Region", "") or "").strip() or "national"
        if district_of and region.casefold() not in district_of:
            raise InputError(f"region {region!r} is none of the scenario's districts (by name "
                             "or id): name QAT's regions as the districts", file=file, row=row,
                             column="Region")
        region = district_of.get(region.casefold(), region)
        cell = out.setdefault((month, region), {})
        cell[f"{prod}_tablets_dispensed"] = (cell.get(f"{prod}_tablets_dispensed", 0.0)
                                             + float(qty) * float(tabs))
        cell[f"{prod}_days_stocked_out"] = max(cell.get(f"{prod}_days_stocked_out", 0.0),
                                               float(days))
    if not out:
        raise InputError(f"no active {want} consumption rows", file=file)
    hist = pd.DataFrame([{"period": m, "district": d, **v} for (m, d), v in out.items()])
    if "mms_tablets_dispensed" not in hist:
        raise InputError("no MMS planning unit in the file", file=file,
                         column="QAT Planning Unit")
    return hist.sort_values(["district", "period"]).reset_index(drop=True)


def looks_like_qat(path: str | Path) -> bool:
    """True for a QAT export (.zip/.xlsx) or a CSV whose header is QAT's consumption layout."""
    p = Path(path)
    if p.suffix.lower() in (".zip", ".xlsx", ".xlsm"):
        return True
    try:
        with p.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "ignore")
    except OSError:
        return False
    return "QAT Planning Unit" in head.split("\n", 1)[0]

