"""Charts for the plan: the readiness heat map (phase x pillar) and the roadmap Gantt chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from mmsis.plan.scorecard import Scorecard


def scorecard_heatmap(card: Scorecard, path: Path) -> Path:
    """Draw share of key results met per phase x pillar; current phases are outlined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    grid = np.full((len(card.pillars), len(card.phases)), np.nan)
    cells = {(c.pillar, c.phase): c for c in card.cells}
    for r, pillar in enumerate(card.pillars):
        for c, phase in enumerate(card.phases):
            cell = cells[(pillar, phase)]
            if cell.share_met is not None:
                grid[r, c] = cell.share_met
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#e6e6e6")
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    current = {c.pillar: card.phases.index(c.phase) for c in card.cells if c.current}
    for r, pillar in enumerate(card.pillars):
        for c, phase in enumerate(card.phases):
            cell = cells[(pillar, phase)]
            if c > current.get(pillar, len(card.phases)):
                # later phases are not expected yet: fade them so they do not read as failures
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color="white", alpha=0.6))
            if cell.share_met is None:
                text = "n/a"
            else:
                text = f"{cell.share_met:.0%}"
                if cell.required_open:
                    text += f"\n{len(cell.required_open)} req. open"
            ax.text(c, r, text, ha="center", va="center", fontsize=8)
            if cell.current:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5,
                                       edgecolor="#1f3a93"))
    ax.set_xticks(range(len(card.phases)), [p.replace("_", " ") for p in card.phases])
    ax.set_yticks(range(len(card.pillars)), card.pillars)
    title = f"Readiness: {card.programme}" + (f" ({card.region})" if card.region else "")
    ax.set_title(title + "\nshare of key results met; box = current phase; faded = later phases",
                 fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04, label="weighted share met")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


STATUS_COLOURS = {"not_started": "#9e9e9e", "in_progress": "#1f77b4", "done": "#2ca02c",
                  "blocked": "#ff7f0e", "dropped": "#d9d9d9"}
PHASE_NAMES = {"explore": "Explore & prepare", "introduce": "Introduce", "scale_up": "Scale up",
               "sustain": "Sustain"}


def roadmap_gantt(road: pd.DataFrame, path: Path, today: dt.date | None = None) -> Path:
    """Gantt chart of the roadmap: one bar per action (start to due), grouped by phase,
    coloured by status, overdue actions outlined in red, and a line at today."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    day = today or dt.date.today()
    rows = road[road["due"] != ""].reset_index(drop=True)
    height = max(2.5, 0.42 * len(rows) + 1.4)
    fig, ax = plt.subplots(figsize=(9, height), dpi=110)
    labels = []
    for i, r in rows.iterrows():
        due = dt.date.fromisoformat(r["due"])
        start = dt.date.fromisoformat(r["start"]) if r["start"] else due - dt.timedelta(days=30)
        ax.barh(i, (due - start).days or 1, left=mdates.date2num(start),
                color=STATUS_COLOURS.get(r["status"], "#9e9e9e"),
                edgecolor="#d62728" if r["overdue"] else "none",
                linewidth=2 if r["overdue"] else 0)
        phase = PHASE_NAMES.get(r["phase"], r["phase"] or "no phase")
        text = str(r["action"])
        labels.append(f"{phase}: {text[:45] + '...' if len(text) > 48 else text}"
                      + (f" ({r['owner']})" if r["owner"] else ""))
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(mdates.date2num(day), color="#d62728", linestyle="--", linewidth=1)
    ax.text(mdates.date2num(day), -0.6, f"today {day:%d %b %Y} ", color="#d62728", fontsize=8,
            ha="right")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("Date (bar: start to due date; red outline: overdue)")
    ax.set_title("Roadmap of actions on key results, by phase")
    ax.legend(handles=[Patch(color=c, label=s.replace("_", " "))
                       for s, c in STATUS_COLOURS.items()],
              loc="lower right", fontsize=7, title="Status", title_fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
