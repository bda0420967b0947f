"""Charts for the plan: the readiness heat map (phase x pillar) and the roadmap Gantt chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.present.labels import label

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
                text = _("n/a")
            else:
                text = fmt.percent(cell.share_met, 0)
                if cell.required_open:
                    text += "\n" + _("%(n)s req. open") % {"n": len(cell.required_open)}
            ax.text(c, r, text, ha="center", va="center", fontsize=8)
            if cell.current:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5,
                                       edgecolor="#1f3a93"))
    ax.set_xticks(range(len(card.phases)), [_(PHASE_NAMES.get(p, p.replace("_", " ")))
                                            for p in card.phases])
    ax.set_yticks(range(len(card.pillars)), [label(p, "pillar") for p in card.pillars])
    title = _("Readiness: %(programme)s") % {"programme": card.programme} + (
        f" ({card.region})" if card.region else "")
    ax.set_title(title + "\n" + _("share of key results met; box = current phase; faded = "
                                  "later phases"), fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04, label=_("weighted share met"))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


STATUS_COLOURS = {"not_started": "#9e9e9e", "in_progress": "#1f77b4", "done": "#2ca02c",
                  "blocked": "#ff7f0e", "dropped": "#d9d9d9"}
PHASE_NAMES = {"explore": N_("Explore & prepare"), "introduce": N_("Introduce"),
               "scale_up": N_("Scale up"), "sustain": N_("Sustain")}
"""Short phase names for chart axes (English; translated where drawn)."""
NO_PHASE = N_("no phase")
STATUS_WORDS = {"not_started": N_("not started"), "in_progress": N_("in progress"),
                "done": N_("done"), "blocked": N_("blocked"), "dropped": N_("dropped")}


def roadmap_gantt(road: pd.DataFrame, path: Path, today: dt.date | None = None) -> Path:
    """Gantt chart of the roadmap: one bar per action (start to due), grouped by phase,
    coloured by status, overdue actions outlined in red, and a line at today."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

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
        phase = _(PHASE_NAMES.get(r["phase"], r["phase"] or NO_PHASE))
        text = str(r["action"])
        labels.append(f"{phase}: {text[:45] + '...' if len(text) > 48 else text}"
                      + (f" ({r['owner']})" if r["owner"] else ""))
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(mdates.date2num(day), color="#d62728", linestyle="--", linewidth=1)
    ax.text(mdates.date2num(day), -0.6, _("today %(day)s") % {"day": fmt.day(day)} + " ",
            color="#d62728", fontsize=8, ha="right")
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda x, _pos: fmt.period(mdates.num2date(x).strftime("%Y%m"))))
    ax.set_xlabel(_("Date (bar: start to due date; red outline: overdue)"))
    ax.set_title(_("Roadmap of actions on key results, by phase"))
    ax.legend(handles=[Patch(color=c, label=_(STATUS_WORDS.get(s, s.replace("_", " "))))
                       for s, c in STATUS_COLOURS.items()],
              loc="lower right", fontsize=7, title=_("Status"), title_fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
