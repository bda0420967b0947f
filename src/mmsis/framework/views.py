"""Readable tables of the knowledge base: a DataFrame per kind and the phase x pillar map."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmsis.framework.framework import KINDS, Framework
from mmsis.framework.models import KeyResult

#: Columns shown in the readable table of each kind (records carry every field).
COLUMNS: dict[str, list[str]] = {
    "phases": ["order", "id", "name", "hmhb_stage", "world_map_category", "epis_stage", "purpose"],
    "pillars": ["id", "name", "description"],
    "key_results": ["id", "phase", "pillar", "title", "evidenced_by", "required"],
    "outcomes": ["id", "name", "definition", "measures"],
    "questions": ["id", "priority", "text", "phases", "pillars", "outcomes", "designs"],
    "indicators": ["id", "name", "pillar", "outcome", "numerator", "denominator", "source"],
    "designs": ["id", "name", "phases", "hybrid_type", "when_to_use"],
    "data_sources": ["id", "name", "description"],
    "cfir": ["domain", "id", "name", "definition"],
    "reaim": ["id", "name", "level", "mms_example"],
    "epis": ["id", "name", "phases", "definition"],
    "eric": ["cluster", "id", "name", "definition"],
    "eric_clusters": ["id", "name"],
    "effect_sizes": ["id", "outcome", "population", "rr", "ci_low", "ci_high", "status", "source"],
    "mortality_multipliers": ["id", "rr", "ci_low", "ci_high", "status", "source"],
    "cost_effectiveness_anchors": ["id", "study", "cost_per_daly_usd", "currency_year", "status"],
}


def evidenced_by(k: KeyResult) -> str:
    """How a key result is evidenced, in words: 'stockout_rate <= 0.05' or 'document: ...'."""
    if k.evidence_type == "indicator" and k.threshold is not None:
        src = " (assumption)" if (k.threshold_source or "").startswith("assumption") else ""
        return f"{k.indicator} {k.threshold.op} {k.threshold.value:g}{src}"
    return f"{k.evidence_type}: {k.evidence}" if k.evidence else k.evidence_type


def table(
    fw: Framework,
    kind: str,
    phase: str | None = None,
    pillar: str | None = None,
    outcome: str | None = None,
) -> pd.DataFrame:
    """The entries of one kind as a DataFrame with the columns worth reading on a screen."""
    canonical = KINDS.get(kind, kind)
    records = fw.records(kind, phase=phase, pillar=pillar, outcome=outcome)
    rows: list[dict[str, Any]]
    if canonical == "key_results":
        by_id = {k.id: k for k in fw.key_results}
        rows = [{**r, "evidenced_by": evidenced_by(by_id[r["id"]])} for r in records]
    elif canonical == "cfir":
        rows = [{**c, "domain": r["id"]} for r in records for c in r["constructs"]]
    else:
        rows = records
    cols = COLUMNS.get(canonical, list(rows[0]) if rows else ["id"])
    return pd.DataFrame(rows, columns=cols)


def phase_pillar_map(fw: Framework, phase: str | None = None) -> pd.DataFrame:
    """Key-result titles in a pillar x phase grid (required results marked with '*')."""
    phases = [fw.phase(phase)] if phase else fw.phases
    rows = []
    for pil in fw.pillars:
        row: dict[str, str] = {"pillar": pil.name}
        for ph in phases:
            items = fw.key_results_for(phase=ph.id, pillar=pil.id)
            row[ph.name] = "\n".join(f"{'*' if k.required else '-'} {k.title}" for k in items)
        rows.append(row)
    return pd.DataFrame(rows)
