"""Charts for the plan: the readiness heat map (phase x pillar)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
