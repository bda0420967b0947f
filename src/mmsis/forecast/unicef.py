"""The forecast as a UNICEF supply forecast sheet (XLSX).

UNICEF Supply Division publishes no supply forecast template for nutrition supplies that we
could find; its public forecast spreadsheet is the Immunization Forecast Tool, whose
guidelines ("Guidelines to complete the 2012-2016 Immunization Forecast Spreadsheet", UNICEF
Supply Division; listed at psmtoolbox.org, "Immunization Forecast Tool") lay the forecast out
in seven sections, of which they describe (1) programmatic requirements (target population,
coverage and wastage rates, stock levels), (2) stock-outs, (3) procurement mechanism and
funding source, (4) shipments (quantities and timing; "monthly delivery schedules" in
psmtoolbox.org's summary of the tool), and a last section for comments; quantities of drugs
in tablets; the forecast covers several years. Procurement Services' cost estimate
(unicef.org/supply, "How to use Procurement Services") lists cost of goods, handling fee,
freight and insurance and a 10% contingency buffer.

This sheet follows those sections with mmsis' numbers. Its cell layout is NOT UNICEF's
(the spreadsheet itself could not be consulted): the 'Notes' sheet says so, and lists what
is to be filled by hand (UNICEF material numbers, handling fee, procurement mechanism,
funding source). See docs/supply_formats.md.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pandas as pd

from mmsis.forecast.engine import ForecastResult
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt

SHEET = N_("Supply forecast")
CONTINGENCY = 0.10
"""UNICEF Procurement Services' cost estimate: a 10% contingency buffer (unicef.org/supply,
'How to use Procurement Services', step II Cost Estimate)."""

SHIPMENT_COLUMNS = [N_("Product"), N_("UNICEF material number"), N_("Unit"),
                    N_("Quantity (tablets)"), N_("Packs"), N_("Pack size (tablets)"),
                    N_("Requested arrival month")]
"""Section 4's table (columns ours: the guideline asks for quantities and delivery timing)."""

_NAMES = {"mms": N_("Multiple micronutrient supplement (MMS), tablet"),
          "ifa": N_("Iron and folic acid (IFA), tablet")}


def _years(result: ForecastResult) -> list[int]:
    """The calendar years the forecast covers (the sheet's columns)."""
    return sorted({int(m[:4]) for m in result.months["month"]})


def _by_year(result: ForecastResult, col: str) -> list[float]:
    """A monthly column summed by calendar year, in `_years`' order (0 for a year without)."""
    m = result.months.assign(year=result.months["month"].str[:4].astype(int))
    s = m.groupby("year")[col].sum()
    return [float(s.get(y, 0.0)) for y in _years(result)]


def shipments(result: ForecastResult) -> pd.DataFrame:
    """Section 4: one row a product and requested arrival month (orders summed over
    districts), quantities in tablets as the guideline asks."""
    o = result.orders
    if o.empty:
        return pd.DataFrame(columns=SHIPMENT_COLUMNS)
    g = o.groupby(["product", "arrival_month", "pack_size"], as_index=False)[
        ["tablets", "packs"]].sum()
    return pd.DataFrame({
        "Product": g["product"].map(_NAMES), "UNICEF material number": "", "Unit": N_("tablet"),
        "Quantity (tablets)": g["tablets"], "Packs": g["packs"],
        "Pack size (tablets)": g["pack_size"], "Requested arrival month": g["arrival_month"],
    })[SHIPMENT_COLUMNS]


def sections(result: ForecastResult) -> list[tuple[str, list[list[Any]]]]:
    """The sheet's sections as (title, rows); the first row of a table is its header."""
    sc = result.scenario
    years = _years(result)
    cur = sc.currency
    sec1: list[list[Any]] = [[_("Item"), *years]]
    sec1 += [
        [_("Pregnant women (target population)"), *_by_year(result, "pregnancies")],
        [_("Pregnant women covered by MMS"), *_by_year(result, "pregnancies_covered")],
        [_("MMS need (tablets)"), *_by_year(result, "mms_tablets_needed")],
        [_("IFA need (tablets)"), *_by_year(result, "ifa_tablets_needed")],
        [_("MMS received (tablets)"), *_by_year(result, "mms_received_tablets")],
        [_("IFA received (tablets)"), *_by_year(result, "ifa_received_tablets")],
    ]
    sec1b: list[list[Any]] = [
        [_("Parameter"), _("Value")],
        [_("Tablets per pregnancy (MMS)"), sc.regimen.tablets_per_pregnancy],
        [_("Wastage rate"), sc.regimen.wastage],
        [_("ANC1 coverage"), sc.anc1_coverage],
        [_("Buffer stock, minimum (months)"), sc.inventory.min_months],
        [_("Maximum stock (months)"), sc.inventory.max_months],
        [_("Lead time (months)"), sc.inventory.lead_time_months],
        [_("Opening stock MMS (tablets)"), sum(b.tablets for b in
                                             sc.inventory.opening_stock.mms)],
        [_("Opening stock IFA (tablets)"), sum(b.tablets for b in
                                             sc.inventory.opening_stock.ifa)],
        [_("How the forecast was made"), _("mmsis demographic method (pregnancies x ANC "
                                         "coverage x MMS uptake x tablets per pregnancy, "
                                         "with wastage), min/max stock policy")],
    ]
    sec2: list[list[Any]] = [[_("Projected stock-out (tablets short)"), *years],
                             [_("MMS"), *_by_year(result, "mms_shortage_tablets")],
                             [_("IFA"), *_by_year(result, "ifa_shortage_tablets")]]
    sec3: list[list[Any]] = [[_("Item"), _("Value")],
                             [_("Procurement mechanism"), ""], [_("Funding source"), ""]]
    b = result.budget
    goods = [float(b.loc[b["year"] == y, ["mms_product", "ifa_product"]].sum(axis=1).sum())
             for y in years]
    freight = [float(b.loc[b["year"] == y, ["mms_freight", "ifa_freight"]].sum(axis=1).sum())
               for y in years]
    cost: list[list[Any]] = [
        [_("Cost estimate (%(currency)s %(year)s)") % {"currency": cur,
                                                          "year": sc.currency_year}, *years],
        [_("Cost of goods"), *goods],
        [_("Freight and insurance (scenario's freight share)"), *freight],
        [_("Handling fee"), *[""] * len(years)],
        [_("Contingency buffer (10%)"), *[(g + f) * CONTINGENCY
                                        for g, f in zip(goods, freight, strict=True)]],
    ]
    ship = shipments(result)
    sec4: list[list[Any]] = [[_(c) for c in ship.columns]] + [
        [_(v) if i in (0, 2) and isinstance(v, str) else v for i, v in enumerate(row)]
        for row in ship.values.tolist()]  # product names and the unit in the language
    sec7: list[list[Any]] = [[_("Prepared with mmsis from the scenario '%(name)s'.") % {
        "name": sc.name}]]
    return [
        (_("Section 1. Programmatic requirements"), sec1),
        (_("Section 1 (continued). Assumptions of the forecast"), sec1b),
        (_("Section 2. Stock-outs (projected)"), sec2),
        (_("Section 3. Procurement mechanism and funding source (to be completed)"), sec3),
        (_("Section 4. Shipments: quantities and requested arrival"), sec4),
        (_("Cost estimate (UNICEF Procurement Services elements)"), cost),
        (_("Comments"), sec7),
    ]


NOTES = [
    [N_("About this sheet"), N_("A supply forecast in the sections of UNICEF Supply Division's "
     "forecast spreadsheet guidelines (programmatic requirements, stock-outs, procurement "
     "and funding, shipments, comments), with quantities in tablets.")],
    [N_("Not confirmed"), N_("The cell layout of UNICEF's own spreadsheet could not be consulted; "
     "this is not UNICEF's template. Copy the figures into the form your UNICEF country "
     "office sends.")],
    [N_("Not confirmed"), N_("The guideline's sections 5 and 6 are not known to us and are left "
     "out.")],
    [N_("To complete"), N_("UNICEF material numbers (Supply Catalogue), handling fee, procurement "
     "mechanism and funding source.")],
    [N_("Sources"), N_("Guidelines to complete the 2012-2016 Immunization Forecast Spreadsheet "
     "(UNICEF Supply Division); UNICEF Supply, How to use Procurement Services (cost "
     "estimate: cost of goods, handling fee, freight and insurance, 10% contingency).")],
    [N_("Stock-outs"), N_("Section 2 of UNICEF's sheet records past stock-outs; here they are the "
     "forecast's projected shortages.")],
]


def write_unicef(result: ForecastResult, path: Path) -> Path:
    """Write the UNICEF supply forecast workbook (sheet 'Supply forecast' and 'Notes')."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from mmsis.present.cells import safe_cell

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _(SHEET)
    sc = result.scenario
    ws.append([_("UNICEF supply forecast: MMS and IFA")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Programme"), safe_cell(sc.name)])
    ws.append([_("Forecast period"), _("%(start)s to %(end)s") % {
        "start": fmt.period(result.months["month"].iloc[0]),
        "end": fmt.period(result.months["month"].iloc[-1])}])
    ws.append([_("Prepared"), fmt.day(_dt.date.today())])
    head = PatternFill("solid", fgColor="FFDDEBF7")
    for title, rows in sections(result):
        ws.append([])
        ws.append([title])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        for i, row in enumerate(rows):
            ws.append([safe_cell(v) for v in row])
            if i == 0:
                for c in ws[ws.max_row]:
                    c.font = Font(bold=True)
                    c.fill = head
    for row in ws.iter_rows(min_row=1):
        for c in row:
            if isinstance(c.value, float):
                c.number_format = "#,##0" if abs(c.value) >= 100 or c.value == 0 else "0.00"
    ws.column_dimensions["A"].width = 52
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 18
    nb = wb.create_sheet(_("Notes"))
    for r in NOTES:
        nb.append([_(t) for t in r])
    nb.column_dimensions["A"].width = 18
    nb.column_dimensions["B"].width = 120
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read_shipments(path: Path) -> pd.DataFrame:
    """Section 4's table read back from a sheet written by `write_unicef` (for checks)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)  # (read-only: holds the file until closed)
    try:
        ws = wb[_(SHEET)] if _(SHEET) in wb.sheetnames else wb[SHEET]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    heads = {(c0, c1) for c0, c1 in ((SHIPMENT_COLUMNS[0], SHIPMENT_COLUMNS[1]),
                                     (_(SHIPMENT_COLUMNS[0]), _(SHIPMENT_COLUMNS[1])))}
    start = next(i for i, r in enumerate(rows) if r and (r[0], r[1]) in heads)
    body = []
    for r in rows[start + 1:]:
        if not r or r[0] is None:
            break
        body.append(r[:len(SHIPMENT_COLUMNS)])
    return pd.DataFrame(body, columns=SHIPMENT_COLUMNS)
