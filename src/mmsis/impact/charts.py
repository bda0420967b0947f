"""Charts of an impact analysis: tornado (one-way sensitivity) and outcomes with 95% UIs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmsis.impact.engine import ImpactResult


def plot_impact(result: ImpactResult, out_dir: Path) -> list[Path]:
    """Write tornado.png and outcomes.png; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    t = result.tornado.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.4 * len(t) + 1)))
    if len(t):
        c = float(t["central"].iloc[0])
        lo = t[["output_low", "output_high"]].min(axis=1)
        hi = t[["output_low", "output_high"]].max(axis=1)
        y = range(len(t))
        ax.barh(y, hi - lo, left=lo, color="#4C72B0")
        ax.axvline(c, color="black", lw=1)
        ax.set_yticks(list(y), [f"{p} [{a:g}, {b:g}]" for p, a, b in
                                zip(t["parameter"], t["low"], t["high"], strict=True)])
        ax.set_xlabel(f"{t['metric'].iloc[0]} ({result.scenario.currency})")
    ax.set_title("One-way sensitivity (tornado)")
    fig.tight_layout()
    paths.append(out_dir / "tornado.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    s = result.summary.set_index("measure")
    names = ["lbw_averted", "preterm_averted", "sga_averted", "stillbirths_averted",
             "neonatal_deaths_averted"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for i, n in enumerate(names):
        r = s.loc[n]
        ax.errorbar([r["central"]], [i], xerr=[[r["central"] - r["ui_low"]],
                                               [r["ui_high"] - r["central"]]], fmt="o",
                    color="#C44E52")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.set_xlabel("events averted (central, 95% UI)")
    ax.set_title("Health impact of MMS vs IFA")
    fig.tight_layout()
    paths.append(out_dir / "outcomes.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
