"""Power curves (power against clusters or effect size) written as PNG or SVG with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mmsis.errors import InputError


def power_curve(
    path: Path | str,
    x: Sequence[float],
    power: Sequence[float],
    *,
    xlabel: str,
    title: str,
    target: float | None = 0.8,
    mark: float | None = None,
) -> Path:
    """Write a power curve to PNG or SVG (chosen by the file suffix) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError("the plot file must end in .png or .svg", field="plot")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(list(x), list(power), marker="o", ms=3, color="#1f5f8b")
    if target is not None:
        ax.axhline(target, ls="--", color="grey", lw=1, label=f"target power {target:g}")
    if mark is not None:
        ax.axvline(mark, ls=":", color="#c0392b", lw=1, label="this design")
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("power")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if target is not None or mark is not None:
        ax.legend(loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
