"""Charts the CLI and the report write read right (issue #15): axis titles set, numbers on
the axes without a "1e6" offset or scientific ticks, time axes dated (not 202412 or month
numbers), legends naming series in words (no MMS_CLIENTS, no snake_case), the intervention
marked on the ITS chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.people_checks import problems

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    """A forecast, an impact run and an ITS fit on a dated monthly series."""
    import mmsis

    sc = mmsis.load_scenario(ROOT / "examples/scenarios/example_country.yaml")
    months = pd.period_range("2021-01", periods=48, freq="M")
    rng = np.random.default_rng(5)
    mms = (np.arange(48) >= 24).astype(int)
    series = pd.DataFrame({"period": [p.strftime("%Y%m") for p in months], "mms": mms,
                           "value": rng.poisson(np.exp(7 + 0.3 * mms))})
    return {"forecast": mmsis.run_forecast(sc), "impact": mmsis.run_impact(sc, draws=500),
            "its": mmsis.fit_its(series, "value", "period", "mms")}


def _charts(r: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    from mmsis.forecast import charts as fc
    from mmsis.impact import charts as ic

    return {"stock": lambda: fc.stock_axes(r["forecast"]),
            "orders": lambda: fc.orders_axes(r["forecast"]),
            "budget": lambda: fc.budget_axes(r["forecast"]),
            "tornado": lambda: ic.tornado_axes(r["impact"]),
            "outcomes": lambda: ic.outcomes_axes(r["impact"]),
            "ce plane": lambda: ic.ce_plane_axes(r["impact"]),
            "acceptability": lambda: ic.acceptability_axes(r["impact"]),
            "its": lambda: r["its"].plot()}


NAMES = ["stock", "orders", "budget", "tornado", "outcomes", "ce plane", "acceptability", "its"]


@pytest.mark.parametrize("name", NAMES)
def test_chart_reads_right(results: dict[str, Any], name: str, tmp_path: Path) -> None:
    from mmsis.results import save_axes

    ax = _charts(results)[name]()
    save_axes(ax, tmp_path / "chart.png")  # as the CLI writes it
    wrong = []
    if not ax.get_ylabel() and not ax.get_xlabel():
        wrong.append("no axis title")
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_offset_text().get_text():
            wrong.append(f"offset text {axis.get_offset_text().get_text()!r}")
    ticks = [t.get_text() for t in [*ax.get_xticklabels(), *ax.get_yticklabels()]]
    legend = ax.get_legend()
    entries = [t.get_text() for t in legend.get_texts()] if legend else []
    wrong += problems([t for t in [*ticks, *entries, ax.get_title(), ax.get_xlabel(),
                                   ax.get_ylabel()] if t], {"MMS_CLIENTS", "IFA_CLIENTS"})
    wrong += [f"series named by a code {e!r}" for e in entries if e.isupper() and "_" in e]
    assert not wrong, f"{name}: {wrong}"


def test_its_chart_is_dated_and_marks_the_start(results: dict[str, Any]) -> None:
    ax = results["its"].plot()
    ax.figure.canvas.draw()
    ticks = " ".join(t.get_text() for t in ax.get_xticklabels())
    assert any(str(y) in ticks for y in (2021, 2022, 2023, 2024)), ticks  # dates, not 0-48
    texts = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
    assert any("start" in t.lower() or "mms" in t.lower() for t in texts) or ax.lines, texts


def test_its_fitted_line_breaks_at_the_start(results: dict[str, Any]) -> None:
    """The fitted values are two segments (before, after): no line drawn across the jump."""
    res = results["its"]
    ax = res.plot()
    start = res.series.loc[res.series["intervention"] == 1, "time"].min()
    fitted = [ln for ln in ax.lines if ln.get_color() == "C0"]
    assert len(fitted) == 2
    for ln in fitted:
        x = ln.get_xdata()
        assert min(x) >= start or max(x) < start, (min(x), max(x), start)


def test_products_keep_their_colour_across_charts(results: dict[str, Any]) -> None:
    from matplotlib.colors import to_hex

    from mmsis.forecast import charts as fc

    def colours(ax: Any) -> dict[str, str]:
        leg = ax.get_legend()
        return {t.get_text().split()[0]: to_hex(h.get_facecolor())
                for t, h in zip(leg.get_texts(), leg.legend_handles, strict=True)}

    orders, budget = colours(fc.orders_axes(results["forecast"])), colours(
        fc.budget_axes(results["forecast"]))
    assert orders["MMS"] == budget["MMS"] and orders["IFA"] == budget["IFA"]
