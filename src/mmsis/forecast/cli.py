"""`mmsis forecast`: supply and cost forecast of the IFA -> MMS transition from a scenario."""

from __future__ import annotations

from pathlib import Path

import typer


def forecast(
    scenario: Path = typer.Option(..., "--scenario", "-s", help="Scenario YAML file."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (months, orders, budget)."),
    out: Path | None = typer.Option(None, "--out", help="Write CSV tables and charts here."),
    history: Path | None = typer.Option(
        None, "--history", help="Routine consumption CSV (period, district, "
        "mms_tablets_dispensed, ...) for the consumption method."),
) -> None:
    """Monthly need, stock projection, order plan, expiry risk and budget by year."""
    from mmsis._cli import console, print_json, print_table, step
    from mmsis.forecast.consumption import read_history
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import load_scenario

    sc = load_scenario(scenario)
    hist = read_history(history) if history else None
    with step("Forecasting need, orders and budget"):
        result = run_forecast(sc, history=hist)
    if out is not None:
        with step(f"Writing tables and charts to {out}"):
            write_forecast(result, out)
    if json_out:
        print_json(result.to_dict())
        return
    from mmsis._cli import print_sentence
    from mmsis.present import sentences
    from mmsis.present.tables import Column, readable

    summ = result.summary
    shown = summ.assign(value=[
        fmt_money(v, sc.currency) if str(item).startswith("total budget") else fmt_count(v)
        for item, v in zip(summ["item"], summ["value"], strict=True)])
    print_table(shown, title=f"Forecast: {sc.name}")
    cur = sc.currency
    print_table(readable(result.budget, [
        Column("year", "year"), Column("mms_total", "MMS", "money", currency=cur),
        Column("ifa_total", "IFA", "money", currency=cur),
        Column("programme_total", "programme", "money", currency=cur),
        Column("total", "total", "money", currency=cur)]),
        title=f"Budget by year ({cur} {sc.currency_year})")
    orders = result.orders.assign(  # products and the national level in words
        product=lambda f: f["product"].astype(str).str.upper(),
        district=lambda f: f["district"].astype(str).replace({"national": "National"}))
    print_table(readable(orders, [
        Column("product", "product"), Column("district", "district"),
        Column("order_month", "order by", "period"),
        Column("arrival_month", "arrives", "period"), Column("packs", "packs", "count"),
        Column("tablets", "tablets", "count"), Column("cost", "cost", "money", currency=cur)]),
        title="Order plan")
    print_sentence(sentences.forecast(dict(zip(summ["item"], summ["value"], strict=True)), cur,
                                      sc.horizon_months))
    if result.consumption is not None:
        print_table(result.consumption, title="Consumption vs demographic method")
    if out is not None:
        console.print(f"Tables and charts written to {out}")


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
