"""Shared shape of fitted evaluation models: a tidy summary, a plot and a JSON form."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))
SUMMARY_COLUMNS = ["term", "estimate", "se", "ci_low", "ci_high", "p"]


def wald_row(term: str, estimate: float, se: float, log_link: bool) -> dict[str, Any]:
    """One summary row with a Wald normal CI and p-value; rate ratios added on log links."""
    z = estimate / se if se > 0 else np.nan
    row: dict[str, Any] = {
        "term": term,
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(estimate - Z95 * se),
        "ci_high": float(estimate + Z95 * se),
        "p": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
    }
    if log_link:
        row["rr"] = float(np.exp(estimate))
        row["rr_ci_low"] = float(np.exp(row["ci_low"]))
        row["rr_ci_high"] = float(np.exp(row["ci_high"]))
    return row


class EffectModel(ABC):
    """A fitted evaluation model (CausalPy style): `.summary`, `.plot(path)`, `.to_dict()`."""

    method: str
    n: int
    summary: pd.DataFrame
    warnings: list[str]

    def effect(self, term: str) -> dict[str, Any]:
        """The summary row of one term as a dict (KeyError naming the term if absent)."""
        rows = self.summary[self.summary["term"] == term]
        if rows.empty:
            raise KeyError(f"term '{term}' not in summary: {list(self.summary['term'])}")
        return {k: v for k, v in rows.iloc[0].to_dict().items() if k != "term"}

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Key results as plain values for JSON output."""

    @abstractmethod
    def plot(self, path: str | Path) -> Path:
        """Write a figure of the fit to `path` (PNG/SVG/PDF by suffix) and return the path."""


def new_figure(width: float = 8.0, height: float = 4.5) -> tuple[Any, Any]:
    """A matplotlib figure on the non-interactive backend (safe on servers and in tests)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def save_figure(fig: Any, path: str | Path) -> Path:
    """Save and close a figure, creating the folder if needed."""
    import matplotlib.pyplot as plt

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
