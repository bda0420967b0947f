"""The whole implementation-science loop on the bundled example country (`mmsis demo`).

Each step of the loop has a ``run_demo(out_dir, country) -> dict`` function in its own module of
`mmsis.demos.steps`; this module only orders them and times them.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmsis._cli import console
from mmsis.serialize import to_jsonable

#: The loop, in order: (title, key in the returned results, module holding ``run_demo``).
STEPS: list[tuple[str, str, str]] = [
    ("Knowledge base: phases, pillars, key results, questions", "framework",
     "mmsis.demos.steps.framework"),
    ("Assess and plan: scorecard, IR agenda, field tools", "plan", "mmsis.demos.steps.plan"),
    ("Design: a stepped-wedge roll-out across districts", "design", "mmsis.demos.steps.design"),
    ("Measure: survey cascade and equity", "measure.survey", "mmsis.demos.steps.survey"),
    ("Measure: routine indicators and data quality", "measure.routine",
     "mmsis.demos.steps.routine"),
    ("Evaluate: what changed where MMS arrived", "evaluate", "mmsis.demos.steps.evaluate"),
    ("Decide: supply, cost, health impact and cost-effectiveness", "forecast",
     "mmsis.demos.steps.forecast"),
    ("Report for the TAG", "report", "mmsis.demos.steps.report"),
]


def _step(module: str) -> Callable[..., dict[str, Any]]:
    fn: Callable[..., dict[str, Any]] = importlib.import_module(module).run_demo
    return fn


def run_loop(out_dir: Path, seed: int = 2024) -> dict[str, Any]:
    """Build the example country and run every step of the loop; return each step's results."""
    from mmsis.datasets import example_country

    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    country = example_country(seed)
    paths = country.write(out_dir / "data")
    console.rule(f"[bold]mmsis demo: {country.country['name']}[/bold] (synthetic example)")
    console.print(f"Example country written to {out_dir / 'data'} "
                  f"({len(paths)} files, {len(country.data_values):,} routine values, "
                  f"{len(country.survey):,} surveyed women)")
    results: dict[str, Any] = {}
    for title, key, module in STEPS:
        console.rule(title)
        started = time.perf_counter()
        results[key] = _step(module)(out_dir, country)
        console.print(f"[dim]{time.perf_counter() - started:.1f} s[/dim]")
    elapsed = time.perf_counter() - t0
    (out_dir / "demo-summary.json").write_text(
        json.dumps(to_jsonable(results), indent=2, ensure_ascii=False))
    console.rule(f"Done in {elapsed:.1f} s; outputs in {out_dir}")
    return results

