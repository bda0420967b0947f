"""Demo step for the knowledge base: the phase x pillar map and the top questions for a phase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from mmsis.framework.loader import load_framework
from mmsis.framework.views import evidenced_by
from mmsis.i18n import gettext as _
from mmsis.present.labels import default_labels

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def current_phase(country: ExampleCountry | None) -> str:
    """The phase a country is in, read from its roll-out table: no district started -> explore,
    only pilot districts -> introduce, non-pilot districts too -> scale_up."""
    rollout = country.rollout if country is not None else None
    if country is None or rollout is None or len(rollout) == 0:
        return "introduce"
    end = str(country.country.get("end_period", "999999"))
    started = rollout[rollout["mms_start"].astype(str) <= end]
    if started.empty:
        return "explore"
    return "introduce" if bool(started["pilot"].all()) else "scale_up"


def run_demo(
    out_dir: Path,
    country: ExampleCountry | None = None,
    phase: str | None = None,
    top: int = 8,
    console: Console | None = None,
) -> dict[str, Any]:
    """Print the key-result map and the top IR questions for a phase; write them under out_dir.

    The phase is `phase` if given, else the example country's current phase (from its
    roll-out table), else `introduce`.
    """
    con = console or Console()
    fw = load_framework()
    current = fw.phase(phase or current_phase(country))
    out = Path(out_dir) / "framework"
    out.mkdir(parents=True, exist_ok=True)

    lab = default_labels()
    grid = Table(title=_("Key results per pillar x phase (required / total)"))
    grid.add_column(_("pillar"))
    for ph in fw.phases:
        grid.add_column(_("%(phase)s <- now") % {"phase": _(ph.name)} if ph.id == current.id
                        else _(ph.name))
    for pil in fw.pillars:
        cells = []
        for ph in fw.phases:
            krs = fw.key_results_for(phase=ph.id, pillar=pil.id)
            cells.append(f"{sum(k.required for k in krs)} / {len(krs)}")
        grid.add_row(_(pil.name), *cells)
    con.print(grid)

    results = fw.key_results_for(phase=current.id)
    kr_table = Table(title=_("Key results for phase '%(phase)s' (* required to move on)")
                     % {"phase": _(current.name)})
    for col in (_("pillar"), _("key result"), _("evidenced by")):
        kr_table.add_column(col, overflow="fold")
    for k in results:
        kr_table.add_row(lab.label(k.pillar, "pillar"),
                         ("* " if k.required else "  ") + _(k.title), evidenced_by(k))
    con.print(kr_table)

    questions = fw.top_questions(current.id, n=top)
    q_table = Table(title=_("Top %(n)s implementation-research questions (%(phase)s)")
                    % {"n": len(questions), "phase": _(current.name)})
    for col in (_("pillars"), _("priority"), _("question"), _("designs")):
        q_table.add_column(col, overflow="fold")
    for q in questions:
        q_table.add_row(", ".join(lab.label(p, "pillar") for p in q.pillars), _(q.priority),
                        _(q.text), ", ".join(lab.label(d, "design") for d in q.designs))
    con.print(q_table)

    pd.DataFrame(
        [{**k.model_dump(mode="json"), "evidenced_by": evidenced_by(k)} for k in fw.key_results]
    ).drop(columns=["threshold"]).to_csv(out / "key_results.csv", index=False)
    (out / f"questions_{current.id}.json").write_text(
        json.dumps(fw.records("questions", phase=current.id), indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    return {
        "phase": current.id,
        "n_key_results": len(fw.key_results),
        "n_key_results_phase": len(results),
        "n_questions": len(fw.questions),
        "n_indicators": len(fw.indicators),
        "top_questions": [q.id for q in questions],
        "files": [str(out / "key_results.csv"), str(out / f"questions_{current.id}.json")],
    }
