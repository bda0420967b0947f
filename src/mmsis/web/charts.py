"""Small server-side SVG charts (no JavaScript charting library to ship or audit).

Charts people read: dated time axes (months as "Jan 2024"), the y axis titled with its unit,
named series in a legend (each series keeps its colour across charts by name), optional
vertical markers (the month MMS started, thresholds) and a shaded band (a counterfactual or
an uncertainty interval). Tick numbers go through ``mmsis.present`` (never "1e6").
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mmsis.i18n import gettext as _
from mmsis.present import format as fmt

PALETTE = ("#1f5f8b", "#b03a2e", "#2e7d4f", "#7d3c98", "#a04000", "#34495e")
#: Dash patterns paired with the colours, so series differ without colour too (WCAG 1.4.1).
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
#: Series whose colour is fixed wherever they appear (forecast and budget charts agree).
FIXED = {"MMS": 0, "IFA": 1}


@dataclass
class LineChart:
    """Points ready for an SVG template: polylines, axis ticks, markers, band and the legend."""

    width: int
    height: int
    lines: list[dict[str, object]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    x_label: str
    y_label: str
    title: str
    markers: list[dict[str, object]] = field(default_factory=list)
    band: dict[str, object] | None = None
    plot: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)



def _in_millions(y_label: str) -> str:
    """The axis title with its unit in millions, in the language in use ("(USD, millions)")."""
    if y_label.endswith(")"):
        return _("%(label)s, millions)") % {"label": y_label[:-1]}
    return _("%(label)s (millions)") % {"label": y_label}

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


def _fmt(v: float, unit: str = "") -> str:
    """A tick label through the one formatter: 20,000; 0.25; 40% for shares; USD for money."""
    if unit == "percent":
        return fmt.percent(v)
    if unit and unit not in ("count", "number"):
        return fmt.number(v, 3) if abs(v) < 1000 else fmt.count(v)
    if abs(v) >= 1000 or v == int(v):
        return fmt.count(v)
    return fmt.number(v, 2)


def colour(name: str, i: int) -> tuple[str, str]:
    """A series' colour and dash: fixed for MMS and IFA (so the order and budget charts agree),
    else the i-th of the other slots."""
    for key, k in FIXED.items():
        if name.split(" ")[0] == key:
            return PALETTE[k], DASHES[k]
    free = [k for k in range(len(PALETTE)) if k not in FIXED.values()]
    k = free[i % len(free)] if i >= 0 else zlib.crc32(name.encode()) % len(PALETTE)
    return PALETTE[k], DASHES[k]


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_names: Mapping[float, str] | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    y_unit: str = "",
    markers: Sequence[tuple[float, str]] = (),
    band: tuple[str, Sequence[tuple[float, float, float]]] | None = None,
    width: int = 640,
    height: int = 300,
) -> LineChart:
    """Lay out named (x, y) series on shared axes for the SVG line-chart template.

    ``x_names`` writes x ticks as words (months as "Jan 2024"); ``y_unit`` formats y ticks
    ("percent" for shares); ``markers`` are vertical lines with a label (x, text); ``band`` is
    a named shaded area of (x, low, high) points.
    """
    pts = [p for s in series.values() for p in s if math.isfinite(p[1])]
    band_pts = [b for b in (band[1] if band else []) if math.isfinite(b[1])
                and math.isfinite(b[2])]
    left, right, top, bottom = 84, 14, 18, 46
    xs = [p[0] for p in pts] + [b[0] for b in band_pts] + [m[0] for m in markers]
    ys = [p[1] for p in pts] + [b[1] for b in band_pts] + [b[2] for b in band_pts]
    xs, ys = xs or [0.0, 1.0], ys or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0 = min(ys) if y_min is None else y_min
    y1 = max(ys) if y_max is None else y_max
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    y_ticks_raw = _nice_ticks(y0, y1)
    if y_max is None and len(y_ticks_raw) > 1 and y_ticks_raw[-1] < y1:
        y1 = y_ticks_raw[-1] + (y_ticks_raw[-1] - y_ticks_raw[-2])  # the axis ends on a tick
        y_ticks_raw.append(y1)
    scale = 1e6 if max((abs(t) for t in y_ticks_raw), default=0) >= 1e6 and \
        y_unit != "percent" else 1.0
    if scale != 1.0:  # millions: short tick labels, the unit in the axis title
        y_label = _in_millions(y_label)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    lines: list[dict[str, object]] = []
    others = [n for n in series if n.split(" ")[0] not in FIXED]
    for name, s in series.items():
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s if math.isfinite(y))
        color, dash = colour(name, others.index(name) if name in others else 0)
        dash = "" if len(series) == 1 else dash  # one series: a plain line
        lines.append({"name": name, "points": coords, "color": color, "dash": dash})
    shaded: dict[str, object] | None = None
    if band and band_pts:
        upper = [f"{sx(x):.1f},{sy(hi):.1f}" for x, _, hi in band_pts]
        lower = [f"{sx(x):.1f},{sy(lo):.1f}" for x, lo, _ in reversed(band_pts)]
        shaded = {"name": band[0], "points": " ".join(upper + lower)}
    if x_names:
        keys = sorted(x_names)
        stride = max(1, math.ceil(len(keys) / 6))
        x_ticks = [(sx(k), x_names[k]) for k in keys[::stride]]
    else:
        x_ticks = [(sx(t), _fmt(t)) for t in _nice_ticks(x0, x1)]
    y_ticks = [(sy(t), _fmt(t / scale, "number" if scale != 1.0 else y_unit))
               for t in y_ticks_raw]
    # a label near the right edge is written leftwards of its line, so it stays in the plot
    marks: list[dict[str, object]] = [
        {"x": sx(x), "label": label,
         "anchor": "end" if sx(x) > left + 0.6 * (width - left - right) else "start"}
        for x, label in markers]
    return LineChart(width, height, lines, x_ticks, y_ticks, x_label, y_label, title, marks,
                     shaded, (left, top, width - right, height - bottom))


@dataclass
class ScatterChart:
    """Points and reference lines ready for the SVG scatter template."""

    width: int
    height: int
    points: list[tuple[float, float]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    x_label: str
    y_label: str
    title: str
    name: str
    lines: list[dict[str, object]]
    origin: tuple[float, float]
    plot: tuple[float, float, float, float]


def scatter_chart(
    points: Sequence[tuple[float, float]],
    *,
    title: str,
    name: str,
    x_label: str,
    y_label: str,
    y_unit: str = "",
    slopes: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 320,
) -> ScatterChart:
    """A scatter of (x, y) points (the cost-effectiveness plane: DALYs averted against extra
    cost), with the axes through zero and lines y = slope x from the origin (thresholds)."""
    pts = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    left, right, top, bottom = 84, 14, 18, 46
    xs = [p[0] for p in pts] + [0.0]
    ys = [p[1] for p in pts] + [0.0]
    xt, yt = _nice_ticks(min(xs), max(xs)), _nice_ticks(min(ys), max(ys))
    x0, x1 = min(xt[0], min(xs)), max(xt[-1], max(xs))
    y0, y1 = min(yt[0], min(ys)), max(yt[-1], max(ys))
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    scale = 1e6 if max(abs(t) for t in yt) >= 1e6 else 1.0
    if scale != 1.0:
        y_label = _in_millions(y_label)
    lines = []
    for i, (slope, label) in enumerate(slopes):
        # from the origin to where y = slope x leaves the plot
        xe = x1 if slope * x1 <= y1 else y1 / slope
        lines.append({"x1": sx(0.0), "y1": sy(0.0), "x2": sx(xe), "y2": sy(slope * xe),
                      "label": label, "dash": DASHES[1 + i % (len(DASHES) - 1)]})
    return ScatterChart(
        width, height, [(round(sx(x), 1), round(sy(y), 1)) for x, y in pts],
        [(sx(t), _fmt(t)) for t in xt],
        [(sy(t), _fmt(t / scale, "number" if scale != 1.0 else y_unit)) for t in yt],
        x_label, y_label, title, name, lines, (sx(0.0), sy(0.0)),
        (left, top, width - right, height - bottom))


def heat_class(value: float | None) -> str:
    """CSS class of a scorecard cell from its score in [0, 1] (None = not assessed)."""
    if value is None or not math.isfinite(value):
        return "heat-na"
    return f"heat-{min(4, int(value * 5))}"
