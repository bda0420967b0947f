"""Charts of a forecast: stock projection, orders and budget by year (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mmsis.forecast.engine import ForecastResult


def plot_forecast(result: ForecastResult, out_dir: Path) -> list[Path]:
    """Write stock.png, orders.png and budget.png; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    m = result.months
    by_month = m.groupby("month", as_index=False).sum(numeric_only=True)
    x = range(len(by_month))
    labels = list(by_month["month"])
    step = max(1, len(labels) // 12)
    paths = []

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(x, by_month["mms_stock_end_tablets"] / 1e6, label="MMS stock (end of month)")
    ax.plot(x, by_month["ifa_stock_end_tablets"] / 1e6, label="IFA stock (end of month)")
    ax.plot(x, by_month["mms_tablets_needed"] / 1e6, "--", label="MMS need")
    ax.plot(x, by_month["ifa_tablets_needed"] / 1e6, ":", label="IFA need")
    ax.set_ylabel("million tablets")
    ax.set_xticks(list(x)[::step], labels[::step], rotation=45, ha="right")
    paths.append(_save(fig, ax, f"Stock projection: {result.scenario.name}", out_dir / "stock.png"))

    fig, ax = plt.subplots(figsize=(9, 4))
    o = result.orders.groupby(["order_month", "product"])["tablets"].sum().unstack(fill_value=0)
    o = o.reindex(labels, fill_value=0)
    bottom = None
    for prod in o.columns:
        ax.bar(x, o[prod] / 1e6, bottom=bottom, label=f"{prod.upper()} orders")
        bottom = o[prod] / 1e6 if bottom is None else bottom + o[prod] / 1e6
    ax.set_ylabel("million tablets ordered")
    ax.set_xticks(list(x)[::step], labels[::step], rotation=45, ha="right")
    paths.append(_save(fig, ax, "Order plan (month placed)", out_dir / "orders.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    b = result.budget
    parts = ["mms_total", "ifa_total", "programme_total"]
    bottom_v = [0.0] * len(b)
    for p in parts:
        vals = list(b[p].astype(float))
        ax.bar([str(y) for y in b["year"]], vals, bottom=bottom_v,
               label=p.replace("_total", "").upper() if p != "programme_total" else "programme")
        bottom_v = [u + v for u, v in zip(bottom_v, vals, strict=True)]
    ax.set_ylabel(result.scenario.currency)
    paths.append(_save(fig, ax, "Budget by year", out_dir / "budget.png"))
    return paths


def _save(fig: Figure, ax: Axes, title: str, path: Path) -> Path:
    """Title, legend, tight layout; write the PNG and free the figure."""
    import matplotlib.pyplot as plt

    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
