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
    from mmsis._cli import console, print_json, print_table
    from mmsis.forecast.consumption import read_history
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import load_scenario

    sc = load_scenario(scenario)
    hist = read_history(history) if history else None
    result = run_forecast(sc, history=hist)
    if out is not None:
        write_forecast(result, out)
    if json_out:
        print_json(result.to_dict())
        return
    print_table(result.summary, title=f"Forecast: {sc.name}")
    b = result.budget[["year", "mms_total", "ifa_total", "programme_total", "total"]]
    print_table(b, title=f"Budget by year ({sc.currency} {sc.currency_year})", float_digits=8)
    print_table(result.orders.drop(columns=["pack_size"]), title="Order plan", float_digits=8)
    if result.consumption is not None:
        print_table(result.consumption, title="Consumption vs demographic method")
    if out is not None:
        console.print(f"Tables and charts written to {out}")


def write_forecast(result: object, out: Path) -> list[Path]:
    """Write months/orders/budget/expiry/need CSVs and the charts to a folder."""
    from mmsis.forecast.engine import ForecastResult

    assert isinstance(result, ForecastResult)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("months", "orders", "budget", "expiry", "need", "consumption", "programme"):
        df = getattr(result, name)
        if df is not None:
            paths.append(out / f"forecast_{name}.csv")
            df.to_csv(paths[-1], index=False)
    paths += result.plot(out)
    return paths
