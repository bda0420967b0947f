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
from mmsis.demos.steps import fixed
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt
from mmsis.serialize import to_jsonable

#: The loop, in order: (title, key in the returned results, module holding ``run_demo``).
STEPS: list[tuple[str, str, str]] = [
    (N_("Knowledge base: phases, pillars, key results, questions"), "framework",
     "mmsis.demos.steps.framework"),
    (N_("Assess and plan: scorecard, IR agenda, field tools"), "plan", "mmsis.demos.steps.plan"),
    (N_("Design: a stepped-wedge roll-out across districts"), "design", "mmsis.demos.steps.design"),
    (N_("Measure: survey cascade and equity"), "measure.survey", "mmsis.demos.steps.survey"),
    (N_("Measure: routine indicators and data quality"), "measure.routine",
     "mmsis.demos.steps.routine"),
    (N_("Evaluate: what changed where MMS arrived"), "evaluate", "mmsis.demos.steps.evaluate"),
    (N_("Decide: supply, cost, health impact and cost-effectiveness"), "forecast",
     "mmsis.demos.steps.forecast"),
    (N_("Report for the TAG"), "report", "mmsis.demos.steps.report"),
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
    console.rule(_("[bold]mmsis demo: %(country)s[/bold] (synthetic example)")
                 % {"country": country.country["name"]})
    console.print(_("Example country written to %(folder)s (%(files)s files, %(values)s routine "
                    "values, %(women)s surveyed women)") % {
        "folder": out_dir / "data", "files": len(paths),
        "values": fmt.count(len(country.data_values)), "women": fmt.count(len(country.survey))},
        highlight=False)
    results: dict[str, Any] = {}
    for title, key, module in STEPS:
        console.rule(_(title))
        started = time.perf_counter()
        results[key] = _step(module)(out_dir, country)
        console.print(f"[dim]{fixed(time.perf_counter() - started, 1)} s[/dim]")
    elapsed = time.perf_counter() - t0
    (out_dir / "demo-summary.json").write_text(
        json.dumps(to_jsonable(results), indent=2, ensure_ascii=False))
    console.rule(_("Done in %(seconds)s s; outputs in %(folder)s") % {
        "seconds": fixed(elapsed, 1), "folder": out_dir})
    return results

