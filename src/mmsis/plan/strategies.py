"""Implementation strategies (ERIC) suggested for the CFIR barriers a team flags.

The mapping lives in plan/data/cfir_eric.yaml (simplified after the CFIR-ERIC Matching Tool,
Waltz et al. 2019; status: assumption). Suggestions are shown with the team's decision
(suggested, accepted or rejected) recorded in the plan file, and an accepted strategy with its
specification (Proctor et al. 2013: actor, action, target, temporality, dose, outcome,
justification) and the dimensions still blank.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import pandas as pd
import yaml

from mmsis.errors import InputError
from mmsis.framework.framework import Framework
from mmsis.plan.decisions import StrategySpec
from mmsis.plan.workspace import Programme

SPEC_DIMENSIONS = tuple(StrategySpec.model_fields)
"""Proctor et al. 2013's seven dimensions of a specified strategy."""


@functools.cache
def cfir_eric_map() -> dict[str, Any]:
    """The CFIR construct -> ERIC strategy ids mapping with its source and status."""
    text = resources.files("mmsis.plan").joinpath("data/cfir_eric.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def suggest_strategies(programme: Programme, fw: Framework) -> pd.DataFrame:
    """One row per flagged barrier x suggested ERIC strategy, with the team's decision."""
    mapping = cfir_eric_map()["strategies"]
    constructs = {c.id: c for c in fw.cfir_constructs()}
    decisions = {(s.cfir, s.strategy): s for s in programme.strategies}
    rows = []
    for i, b in enumerate(programme.barriers):
        if b.cfir not in constructs:
            known = ", ".join(sorted(constructs))
            raise InputError(f"unknown CFIR construct '{b.cfir}' (known: {known})",
                             field=f"barriers.{i}.cfir")
        for sid in mapping.get(b.cfir, []):
            s = fw.eric_strategy(sid)
            d = decisions.get((b.cfir, sid))
            rows.append({
                "cfir": b.cfir, "construct": constructs[b.cfir].name, "barrier": b.note,
                "region": b.region, "strategy": sid, "strategy_name": s.name,
                "cluster": s.cluster, "definition": s.definition,
                "decision": d.decision if d else "suggested", "team_note": d.note if d else "",
                **{f"spec_{k}": getattr(d.spec, k) if d and d.spec else ""
                   for k in SPEC_DIMENSIONS},
                "spec_missing": ", ".join(d.spec.missing() if d.spec else SPEC_DIMENSIONS)
                if d and d.decision == "accepted" else "",
            })
    cols = ["cfir", "construct", "barrier", "region", "strategy", "strategy_name", "cluster",
            "definition", "decision", "team_note", *(f"spec_{k}" for k in SPEC_DIMENSIONS),
            "spec_missing"]
    return pd.DataFrame(rows, columns=cols)
