"""Report charts drawn with matplotlib and returned as PNG bytes (embedded as base64)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.labels import label


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    from mmsis.results import readable_axes

    readable_axes(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def scorecard_png(card: Any) -> bytes:
    """The phase x pillar heat map of a scorecard."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = card.plot(Path(tmp) / "scorecard.png")
        return bytes(path.read_bytes())


def cascade_png(cascade: pd.DataFrame) -> bytes:
    """Horizontal bars of the cascade steps with their 95% CIs."""
    plt = _plt()
    df = cascade.iloc[::-1]
    labels = df["label"] if "label" in df else df["step"]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(df) + 1.2))
    est = df["estimate"].to_numpy(dtype=float)
    ax.barh(range(len(df)), est, color="#3b7dd8")
    if {"ci_low", "ci_high"} <= set(df.columns):
        lo = est - df["ci_low"].to_numpy(dtype=float)
        hi = df["ci_high"].to_numpy(dtype=float) - est
        ax.errorbar(est, range(len(df)), xerr=[lo, hi], fmt="none", ecolor="black", capsize=3)
    right = df["ci_high"].to_numpy(dtype=float) if "ci_high" in df else est
    for i, v in enumerate(est):
        ax.text(min(right[i] + 0.015, 0.93), i, fmt.percent(v, 0), va="center", fontsize=8)
    ax.set_yticks(range(len(df)), [_(str(x)) for x in labels], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(_("share of women with a recent live birth"))
    fig.tight_layout()
    return _png(fig)


def equity_png(equity: pd.DataFrame) -> bytes:
    """Dot plot of the estimate by group level, one panel row per group."""
    plt = _plt()
    df = equity.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(df) + 1.2))
    y = range(len(df))
    ax.plot(df["estimate"], y, "o", color="#d8733b")
    if {"ci_low", "ci_high"} <= set(df.columns):
        ax.hlines(y, df["ci_low"], df["ci_high"], color="#d8733b")
    ax.set_yticks(list(y), [f"{_(str(g))}: {_(str(lv))}"
                            for g, lv in zip(df["group"], df["level"], strict=False)],
                  fontsize=8)
    ax.invert_yaxis()
    top = float(df["ci_high"].max()) if "ci_high" in df else float(df["estimate"].max())
    ax.set_xlim(0, min(1.0, top * 1.25) if top > 0 else 1.0)
    ax.set_xlabel(_("estimate"))
    fig.tight_layout()
    return _png(fig)


def trends_png(trends: pd.DataFrame) -> bytes:
    """Line chart of routine indicators by period (one line per indicator)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for ind, g in trends.groupby("indicator", sort=False):
        g = g.sort_values("period")
        x = pd.to_datetime(g["period"].astype(str), format="%Y%m")
        ax.plot(x, g["value"], label=label(str(ind)), lw=1.5)
    ax.set_ylabel(_("value"))
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def bars_png(labels: list[str], values: list[float], xlabel: str) -> bytes:
    """Simple horizontal bars (forecast budgets, impact)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(labels) + 1.2))
    from matplotlib.ticker import FuncFormatter

    ax.barh(range(len(labels)), values, color="#5a9e6f")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fmt.count(round(x))))
    for i, v in enumerate(values):
        ax.text(v, i, f" {fmt.count(round(v))}", va="center", fontsize=8)
    ax.set_xlim(0, max(values, default=1) * 1.18)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return _png(fig)

