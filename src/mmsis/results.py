"""One shape for every result (survey, design, evaluate, forecast, impact): the `Result` protocol.

A result has a tidy `summary` table (a property: estimate, se, ci_low, ci_high, n and method
where they apply), `to_dict()` for JSON, `plot(ax=None)` drawing on matplotlib Axes (a new
figure when none is given; callers write files with `save_plot`) and `_repr_html_` for
notebooks. It sits in the lowest layer so that every package can implement it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

#: The tidy columns a summary uses where they apply (others may follow, e.g. term, p, deff).
SUMMARY_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "n", "method")


@runtime_checkable
class Result(Protocol):
    """What every result class offers; `tests/test_results.py` walks them all."""

    @property
    def summary(self) -> pd.DataFrame:
        """A tidy table of the result (estimate, se, ci_low, ci_high, n, method where apply)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The key results as plain values for JSON output."""
        ...

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the result on `ax` (a new figure when None) and return the Axes."""
        ...

    def _repr_html_(self) -> str:
        """The summary as an HTML table, for notebooks."""
        ...


def new_axes(ax: Axes | None = None, width: float = 8.0, height: float = 4.5) -> Axes:
    """`ax`, or the Axes of a new figure on the non-interactive backend (safe on servers)."""
    if ax is not None:
        return ax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(width, height))
    return new


def readable_axes(fig: Any) -> None:
    """Numbers on every plain numeric axis of `fig` as people write them (2,834,000, 0.0105),
    never with a "1e6" offset or scientific ticks; date, category and log axes are kept."""
    from matplotlib.ticker import FuncFormatter, ScalarFormatter

    from mmsis.present.numbers import number

    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))


def save_axes(ax: Axes, path: str | Path) -> Path:
    """Write the figure holding `ax` to `path` (PNG/SVG/PDF by suffix), close it, return path."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = ax.figure
    while not isinstance(fig, Figure):  # Axes on a subfigure: save the whole figure
        fig = fig.figure
    readable_axes(fig)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def save_plot(result: Result, path: str | Path) -> Path:
    """Draw `result` on a new figure and write it to `path`; returns the path."""
    return save_axes(result.plot(), path)


def summary_html(result: Result, title: str | None = None) -> str:
    """The HTML a notebook shows for a result: its class (or `title`) over its summary table."""
    head = html.escape(title or type(result).__name__)
    return f"<div><strong>{head}</strong>{result.summary.to_html(index=False)}</div>"


def table_axes(frame: pd.DataFrame, ax: Axes | None = None, title: str = "") -> Axes:
    """Draw a small table (e.g. a sample-size result) as a figure: the numbers, no chart."""
    ax = new_axes(ax, width=6.0, height=0.4 + 0.3 * (len(frame) + 1))
    ax.axis("off")
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    ax.table(cellText=cells, colLabels=list(frame.columns), loc="center")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _cell(v: Any) -> str:
    """A table cell: numbers with up to 4 significant digits, the rest as text."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)
