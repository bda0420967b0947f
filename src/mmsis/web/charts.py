"""Small server-side SVG charts (no JavaScript charting library to ship or audit)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PALETTE = ("#1f5f8b", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#34495e")


@dataclass
class LineChart:
    """Points ready for an SVG template: polylines, axis ticks and the legend."""

    width: int
    height: int
    lines: list[dict[str, object]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    x_label: str
    y_label: str
    title: str


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    return [
        start + i * step
        for i in range(int((hi - start) / step) + 2)
        if start + i * step <= hi + 1e-9
    ]


def _fmt(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.0f}k"
    if abs(v) >= 100 or v == int(v):
        return f"{v:.0f}"
    return f"{v:.2f}"


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_names: Mapping[float, str] | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 640,
    height: int = 280,
) -> LineChart:
    """Lay out named (x, y) series on shared axes for the SVG line-chart template."""
    pts = [p for s in series.values() for p in s if math.isfinite(p[1])]
    left, right, top, bottom = 60, 12, 12, 40
    xs = [p[0] for p in pts] or [0.0, 1.0]
    ys = [p[1] for p in pts] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0 = min(ys) if y_min is None else y_min
    y1 = max(ys) if y_max is None else y_max
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    lines: list[dict[str, object]] = []
    for i, (name, s) in enumerate(series.items()):
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s if math.isfinite(y))
        lines.append({"name": name, "points": coords, "color": PALETTE[i % len(PALETTE)]})
    if x_names:
        keys = sorted(x_names)
        stride = max(1, len(keys) // 6)
        x_ticks = [(sx(k), x_names[k]) for k in keys[::stride]]
    else:
        x_ticks = [(sx(t), _fmt(t)) for t in _nice_ticks(x0, x1)]
    y_ticks = [(sy(t), _fmt(t)) for t in _nice_ticks(y0, y1)]
    return LineChart(width, height, lines, x_ticks, y_ticks, x_label, y_label, title)


def heat_class(value: float | None) -> str:
    """CSS class of a scorecard cell from its score in [0, 1] (None = not assessed)."""
    if value is None or not math.isfinite(value):
        return "heat-na"
    return f"heat-{min(4, int(value * 5))}"
