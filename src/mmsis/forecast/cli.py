"""`mmsis forecast`: supply and cost forecast of the IFA -> MMS transition from a scenario."""

from __future__ import annotations

from pathlib import Path

import typer

from mmsis.i18n import gettext as _


def forecast(
    scenario: Path = typer.Option(..., "--scenario", "-s", help="Scenario YAML file."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (months, orders, budget)."),
    out: Path | None = typer.Option(None, "--out", help="Write the forecast here (see --format)."),
    history: Path | None = typer.Option(
        None, "--history", help="Routine consumption CSV (period, district, "
        "mms_tablets_dispensed, ...) for the consumption method, or QAT's consumption "
        "(a program export .zip or a consumption data entry sheet)."),
    fmt: str = typer.Option(
        "csv", "--format", help="What --out receives: csv (tables and charts), qat (QAT's "
        "consumption and shipment data entry templates) or unicef (a UNICEF supply forecast "
        "sheet)."),
    qat_unit: list[str] = typer.Option(
        [], "--qat-unit", help="A QAT planning unit: 'NAME=mms' or 'NAME=ifa[:tablets in "
        "one unit]' (repeatable; default one pack of the scenario's pack size)."),
    qat_region: str = typer.Option("National", "--qat-region",
                                   help="The QAT program's region the forecast is for."),
    qat_by_district: bool = typer.Option(
        False, "--qat-by-district", help="One QAT region a district (named by the district's "
        "name) instead of --qat-region."),
    qat_data_source: str = typer.Option("", "--qat-data-source",
                                        help="A data source of the QAT realm."),
    qat_procurement_agent: str = typer.Option(
        "", "--qat-procurement-agent", help="The procurement agent of the planned orders."),
    qat_funding_source: str = typer.Option(
        "", "--qat-funding-source", help="The funding source of the planned orders."),
    qat_currency: str = typer.Option(
        "", "--qat-currency", help="QAT's name of the scenario's currency (e.g. its label "
        "for USD)."),
) -> None:
    """Monthly need, stock projection, order plan, expiry risk and budget by year."""
    from mmsis._cli import console, print_json, print_table, step
    from mmsis.errors import InputError
    from mmsis.forecast import qat
    from mmsis.forecast.consumption import read_history
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import load_scenario

    if fmt not in ("csv", "qat", "unicef"):
        raise InputError(f"--format must be csv, qat or unicef, not {fmt!r}", field="--format")
    if fmt != "csv" and out is None:
        raise InputError(f"--format {fmt} writes files: give --out FOLDER", field="--out")
    sc = load_scenario(scenario)
    units = qat.parse_unit_map(qat_unit)
    if history is None:
        hist = None
    elif qat.looks_like_qat(history):
        hist = qat.read_qat_consumption(history, scenario=sc, units=units)
    else:
        hist = read_history(history)
    with step("Forecasting need, orders and budget"):
        result = run_forecast(sc, history=hist)
    written: list[Path] = []
    if out is not None:
        with step(f"Writing the forecast ({fmt}) to {out}"):
            if fmt == "qat":
                names = {p: n for n, (p, _) in units.items()}
                settings = qat.QatSettings(
                    units={**qat.QatSettings().units, **names}, region=qat_region,
                    by_district=qat_by_district,
                    data_source=qat_data_source, procurement_agent=qat_procurement_agent,
                    funding_source=qat_funding_source, currency=qat_currency)
                written = qat.write_qat(result, out, settings)
            elif fmt == "unicef":
                from mmsis.forecast.unicef import write_unicef

                written = [write_unicef(result, out / UNICEF_FILE)]
            else:
                written = write_forecast(result, out)
    if json_out:
        print_json(result.to_dict())
        return
    from mmsis._cli import print_sentence
    from mmsis.present import sentences
    from mmsis.present.tables import Column, readable

    summ = result.totals
    import pandas as pd

    shown = pd.DataFrame({  # the items in words of the language in use; summ keeps the keys
        _("item"): [_(str(item)) for item in summ["item"]],
        _("value"): [fmt_money(v, sc.currency) if str(item).startswith("total budget")
                     else fmt_count(v) for item, v in zip(summ["item"], summ["value"],
                                                          strict=True)]})
    print_table(shown, title=_("Forecast: %(name)s") % {"name": sc.name})
    cur = sc.currency
    print_table(readable(result.budget, [
        Column("year", _("year")), Column("mms_total", "MMS", "money", currency=cur),
        Column("ifa_total", _("IFA"), "money", currency=cur),
        Column("programme_total", _("programme"), "money", currency=cur),
        Column("total", _("total"), "money", currency=cur)]),
        title=_("Budget by year (%(currency)s %(year)s)") % {"currency": cur,
                                                             "year": sc.currency_year})
    orders = result.orders.assign(  # products and the national level in words
        product=lambda f: [_(str(p).upper()) for p in f["product"]],  # IFA: FAF in French
        district=lambda f: f["district"].astype(str).replace({"national": _("National")}))
    print_table(readable(orders, [
        Column("product", _("product")), Column("district", _("district")),
        Column("order_month", _("order by"), "period"),
        Column("arrival_month", _("arrives"), "period"), Column("packs", _("packs"), "count"),
        Column("tablets", _("tablets"), "count"),
        Column("cost", _("cost"), "money", currency=cur)]),
        title=_("Order plan"))
    print_sentence(sentences.forecast(dict(zip(summ["item"], summ["value"], strict=True)), cur,
                                      sc.horizon_months))
    if result.consumption is not None:
        print_table(result.consumption, title=_("Consumption vs demographic method"))
    if out is not None:  # each file by name: a planner opens them, QAT's are pasted in
        console.print(f"Forecast ({fmt}) written to {out}:", highlight=False)
        for path in written:
            console.print(f"  {path}", highlight=False, soft_wrap=True)


UNICEF_FILE = "UNICEF supply forecast.xlsx"
"""The file `--format unicef` writes into --out."""


def fmt_count(v: float) -> str:
    """A count for people (thousands separators)."""
    from mmsis.present import format as fmt

    return fmt.count(v)


def fmt_money(v: float, currency: str) -> str:
    """Money for people, with its currency."""
    from mmsis.present import format as fmt

    return fmt.money(v, currency)


def write_forecast(result: object, out: Path) -> list[Path]:
    """Write months/orders/budget/expiry/need CSVs and the charts to a folder.

    The tables are for people (opened in a spreadsheet): formula-like text is escaped.
    """
    from mmsis.forecast.engine import ForecastResult
    from mmsis.present.cells import safe_frame

    assert isinstance(result, ForecastResult)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("months", "orders", "budget", "expiry", "need", "consumption", "programme"):
        df = getattr(result, name)
        if df is not None:
            paths.append(out / f"forecast_{name}.csv")
            safe_frame(df).to_csv(paths[-1], index=False)
    from mmsis.forecast.charts import write_forecast_charts

    paths += write_forecast_charts(result, out)
    return paths
