"""Charts of a forecast: stock projection, orders and budget by year (matplotlib).

Each chart draws on given Axes (or a new figure); `write_forecast_charts` writes the three
PNGs the CLI and the demo leave in their output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mmsis.results import new_axes, save_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mmsis.forecast.engine import ForecastResult


#: one colour per product on every chart (the budget's MMS is the orders' MMS)
COLOURS = {"mms": "C0", "ifa": "C1", "programme": "C2"}


def _by_month(result: ForecastResult) -> tuple[pd.DataFrame, list[str], int]:
    """National monthly totals, their month labels and the tick step (about 12 ticks)."""
    by_month = result.months.groupby("month", as_index=False).sum(numeric_only=True)
    labels = list(by_month["month"])
    return by_month, labels, max(1, len(labels) // 12)


def _month_ticks(ax: Axes, labels: list[str], step: int) -> None:
    """Every `step`-th month as people write it ("Jul 2022", not 2022-07)."""
    from mmsis.present.format import period

    ax.set_xticks(list(range(len(labels)))[::step], [period(m) for m in labels[::step]],
                  rotation=45, ha="right")


def stock_axes(result: ForecastResult, ax: Axes | None = None) -> Axes:
    """MMS and IFA stock at the end of each month against the monthly need."""
    ax = new_axes(ax, 9, 4)
    by_month, labels, step = _by_month(result)
    x = range(len(by_month))
    ax.plot(x, by_month["mms_stock_end_tablets"] / 1e6, label="MMS stock (end of month)")
    ax.plot(x, by_month["ifa_stock_end_tablets"] / 1e6, label="IFA stock (end of month)")
    ax.plot(x, by_month["mms_tablets_needed"] / 1e6, "--", label="MMS need")
    ax.plot(x, by_month["ifa_tablets_needed"] / 1e6, ":", label="IFA need")
    ax.set_ylabel("million tablets")
    _month_ticks(ax, labels, step)
    return _finish(ax, f"Stock projection: {result.scenario.name}")


def orders_axes(result: ForecastResult, ax: Axes | None = None) -> Axes:
    """Tablets ordered by the month the order is placed, stacked by product."""
    ax = new_axes(ax, 9, 4)
    by_month, labels, step = _by_month(result)
    x = range(len(by_month))
    o = result.orders.groupby(["order_month", "product"])["tablets"].sum().unstack(fill_value=0)
    o = o.reindex(labels, fill_value=0)
    bottom = None
    for prod in o.columns:
        ax.bar(x, o[prod] / 1e6, bottom=bottom, label=f"{prod.upper()} orders",
               color=COLOURS.get(str(prod).lower()))
        bottom = o[prod] / 1e6 if bottom is None else bottom + o[prod] / 1e6
    ax.set_ylabel("million tablets ordered")
    _month_ticks(ax, labels, step)
    return _finish(ax, "Order plan (month placed)")


def budget_axes(result: ForecastResult, ax: Axes | None = None) -> Axes:
    """Budget by year, stacked: MMS, IFA and programme costs."""
    ax = new_axes(ax, 7, 4)
    b = result.budget
    bottom_v = [0.0] * len(b)
    for p in ["mms_total", "ifa_total", "programme_total"]:
        vals = list(b[p].astype(float))
        ax.bar([str(y) for y in b["year"]], vals, bottom=bottom_v,
               color=COLOURS.get(p.replace("_total", "")),
               label=p.replace("_total", "").upper() if p != "programme_total" else "programme")
        bottom_v = [u + v for u, v in zip(bottom_v, vals, strict=True)]
    ax.set_ylabel(result.scenario.currency)
    return _finish(ax, "Budget by year")


def write_forecast_charts(result: ForecastResult, out_dir: Path) -> list[Path]:
    """Write stock.png, orders.png and budget.png to out_dir; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save_axes(stock_axes(result), out_dir / "stock.png"),
            save_axes(orders_axes(result), out_dir / "orders.png"),
            save_axes(budget_axes(result), out_dir / "budget.png")]


def _finish(ax: Axes, title: str) -> Axes:
    """Title and legend."""
    ax.set_title(title)
    ax.legend()
    return ax
