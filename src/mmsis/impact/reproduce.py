"""Published models re-run: each paper's stated inputs as an mmsis scenario, its results beside
the paper's, the percentage difference, and what the paper's result implies for the main input
mmsis could not obtain (the neonatal mortality rate)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mmsis.forecast.scenario import Scenario, load_scenario, scenario_from_dict
from mmsis.impact.engine import run_impact

DRAWS = 200  # the comparison uses central values; draws only feed the (unused) UIs


def _data_dir() -> Path:
    return Path(str(resources.files("mmsis.framework").joinpath("data")))


@lru_cache(maxsize=1)
def reproductions() -> dict[str, Any]:
    """The reproduction list (framework/data/reproductions.yaml)."""
    out = yaml.safe_load((_data_dir() / "reproductions.yaml").read_text())
    assert isinstance(out, dict)
    return out


def scenario_path(entry_id: str) -> Path:
    """The shipped scenario file of a reproduction."""
    entry = next(e for e in reproductions()["reproductions"] if e["id"] == entry_id)
    return _data_dir() / str(entry["scenario"])


def _central(sc: Scenario, measure: str) -> float:
    return run_impact(sc, draws=DRAWS, seed=1).measure(measure)["central"]


def implied_nmr(sc: Scenario, measure: str, target: float) -> float:
    """The neonatal mortality rate at which the scenario gives the paper's value of a measure.

    DALYs and deaths averted are linear in the NMR (all else as the scenario has it); a cost
    per DALY or per death is turned into the DALYs or deaths it implies at the scenario's cost.
    """
    raw = sc.model_dump()
    base = float(raw["impact"]["baseline"]["neonatal_mortality"])
    ratio = {"cost_per_daly": "dalys_averted", "cost_per_death_averted": "deaths_averted"}
    outcome = ratio.get(measure, measure)
    if measure in ratio:
        target = _central(sc, "incremental_cost") / target
    points = []
    for nmr in (base, 2 * base if base > 0 else 0.01):
        raw["impact"]["baseline"]["neonatal_mortality"] = nmr
        points.append((nmr, _central(scenario_from_dict(raw), outcome)))
    (x0, y0), (x1, y1) = points
    slope = (y1 - y0) / (x1 - x0)
    return float("nan") if slope == 0 else x0 + (target - y0) / slope


def reproduction_table() -> pd.DataFrame:
    """Paper value, mmsis value, % difference and within-tolerance flag for every published
    result, with the NMR the paper's value implies."""
    cfg = reproductions()
    rows = []
    for e in cfg["reproductions"]:
        sc = load_scenario(_data_dir() / str(e["scenario"]))
        res = run_impact(sc, draws=DRAWS, seed=1)
        for measure, paper in e["published"].items():
            ours = res.measure(measure)["central"]
            diff = (ours - float(paper)) / float(paper)
            rows.append({
                "id": e["id"], "study": e["study"], "paper": e["paper"], "measure": measure,
                "currency_year": e["currency_year"], "paper_value": float(paper),
                "mmsis_value": ours, "difference_pct": 100 * diff,
                "within_tolerance": abs(diff) <= float(cfg["tolerance"]),
                "nmr_in_scenario": sc.impact.baseline.neonatal_mortality,
                "nmr_implied": implied_nmr(sc, measure, float(paper)),
                "scenario": e["scenario"],
            })
    return pd.DataFrame(rows)


def differences() -> pd.DataFrame:
    """Term-by-term differences between each paper's model and mmsis."""
    rows = [{"study": study, "term": d["term"], "paper_model": d["paper"],
             "mmsis_model": d["mmsis"]}
            for study, items in reproductions()["differences"].items() for d in items]
    return pd.DataFrame(rows, columns=["study", "term", "paper_model", "mmsis_model"])
