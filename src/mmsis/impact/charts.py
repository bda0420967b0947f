"""Charts of an impact analysis: tornado (one-way sensitivity), outcomes with 95% UIs, the
cost-effectiveness plane and the cost-effectiveness acceptability curve.

Each chart draws on given Axes (or a new figure); `write_impact_charts` writes the four PNGs
the CLI and the demo leave in their output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mmsis.results import new_axes, save_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mmsis.impact.engine import ImpactResult

OUTCOMES = ["lbw_averted", "preterm_averted", "sga_averted", "stillbirths_averted",
            "neonatal_deaths_averted"]


def tornado_axes(result: ImpactResult, ax: Axes | None = None) -> Axes:
    """One-way sensitivity: the output's range as each parameter moves over its range."""
    t = result.tornado.iloc[::-1]
    ax = new_axes(ax, 8, max(2.5, 0.4 * len(t) + 1))
    if len(t):
        c = float(t["central"].iloc[0])
        lo = t[["output_low", "output_high"]].min(axis=1)
        hi = t[["output_low", "output_high"]].max(axis=1)
        y = range(len(t))
        ax.barh(y, hi - lo, left=lo, color="#4C72B0")
        ax.axvline(c, color="black", lw=1)
        from mmsis.present.labels import default_labels
        from mmsis.present.numbers import number

        lab = default_labels()
        names = [lab.label(p, "parameter").split(" (0 = off")[0] for p in t["parameter"]]
        ax.set_yticks(list(y), [f"{p} ({number(a)} to {number(b)})" for p, a, b in
                                zip(names, t["low"], t["high"], strict=True)])
        ax.set_xlabel(f"{lab.label(t['metric'].iloc[0], 'output')} "
                      f"({result.scenario.currency})")
    ax.set_title("One-way sensitivity (tornado)")
    return ax


def outcomes_axes(result: ImpactResult, ax: Axes | None = None) -> Axes:
    """Events averted (central with the 95% uncertainty interval) per birth outcome."""
    ax = new_axes(ax, 7, 3.5)
    s = result.measures.set_index("measure")
    for i, n in enumerate(OUTCOMES):
        r = s.loc[n]
        ax.errorbar([r["central"]], [i], xerr=[[r["central"] - r["ui_low"]],
                                               [r["ui_high"] - r["central"]]], fmt="o",
                    color="#C44E52")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(OUTCOMES)), [n.replace("_", " ") for n in OUTCOMES])
    ax.set_xlabel("events averted (central, 95% UI)")
    ax.set_title("Health impact of MMS vs IFA")
    return ax


def ce_plane_axes(result: ImpactResult, ax: Axes | None = None) -> Axes:
    """Incremental DALYs against incremental cost, one point per draw (at most 5,000)."""
    ax = new_axes(ax, 6.5, 4.5)
    d = result.draws
    n = len(d["dalys_averted"])
    step = max(1, n // 5000)
    ax.scatter(d["dalys_averted"][::step], d["incremental_cost"][::step], s=3, alpha=0.3,
               color="#4C72B0", label="Monte Carlo draws")
    c = result.measures.set_index("measure")
    ax.scatter([c.loc["dalys_averted", "central"]], [c.loc["incremental_cost", "central"]],
               color="black", marker="x", label="central")
    x_hi = max(float(d["dalys_averted"].max()), 1.0)
    for _, t in result.thresholds.iterrows():
        ax.plot([0, x_hi], [0, x_hi * t["value"]], lw=0.8, ls="--", label=t["threshold"])
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    cur = f"{result.scenario.currency} {result.scenario.currency_year}"
    ax.set_xlabel("DALYs averted (MMS vs IFA)")
    ax.set_ylabel(f"incremental cost ({cur})")
    ax.set_title("Cost-effectiveness plane")
    ax.legend(fontsize=7)
    return ax


def acceptability_axes(result: ImpactResult, ax: Axes | None = None) -> Axes:
    """Probability MMS is cost-effective against willingness to pay, thresholds marked."""
    ax = new_axes(ax, 6.5, 4)
    a = result.acceptability
    ax.plot(a["wtp"], a["probability_cost_effective"], color="#C44E52")
    for _, t in result.thresholds.iterrows():
        ax.axvline(t["value"], ls="--", lw=0.8, color="grey")
        ax.text(t["value"], 0.02, f" {t['threshold']}", rotation=90, fontsize=7,
                va="bottom")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"willingness to pay per DALY averted ({result.scenario.currency} "
                  f"{result.scenario.currency_year})")
    ax.set_ylabel("probability cost-effective")
    ax.set_title("Cost-effectiveness acceptability curve")
    return ax


def write_impact_charts(result: ImpactResult, out_dir: Path) -> list[Path]:
    """Write tornado.png, outcomes.png, ce_plane.png and acceptability.png; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save_axes(tornado_axes(result), out_dir / "tornado.png"),
            save_axes(outcomes_axes(result), out_dir / "outcomes.png"),
            save_axes(ce_plane_axes(result), out_dir / "ce_plane.png"),
            save_axes(acceptability_axes(result), out_dir / "acceptability.png")]
