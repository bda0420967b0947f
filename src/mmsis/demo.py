"""`mmsis demo`: run the whole implementation-science loop on the bundled example country.

Each step of the loop contributes a ``run_demo(out_dir, country) -> dict`` function in its own
package; this module only orders them, times them and, at the end, starts the web workspace.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from mmsis._cli import console, to_jsonable

#: The loop, in order: (title, module holding ``run_demo``).
STEPS: list[tuple[str, str]] = [
    ("Knowledge base: phases, pillars, key results, questions", "mmsis.framework.demo"),
    ("Assess and plan: scorecard, IR agenda, field tools", "mmsis.plan.demo"),
    ("Design: a stepped-wedge roll-out across districts", "mmsis.design.demo"),
    ("Measure: survey cascade and equity", "mmsis.measure.survey.demo"),
    ("Measure: routine indicators and data quality", "mmsis.measure.routine.demo"),
    ("Evaluate: what changed where MMS arrived", "mmsis.evaluate.demo"),
    ("Decide: supply, cost, health impact and cost-effectiveness", "mmsis.forecast.demo"),
    ("Report for the TAG", "mmsis.report.demo"),
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
    for title, module in STEPS:
        console.rule(title)
        started = time.perf_counter()
        results[module.removeprefix("mmsis.").removesuffix(".demo")] = _step(module)(
            out_dir, country)
        console.print(f"[dim]{time.perf_counter() - started:.1f} s[/dim]")
    elapsed = time.perf_counter() - t0
    (out_dir / "demo-summary.json").write_text(
        json.dumps(to_jsonable(results), indent=2, ensure_ascii=False))
    console.rule(f"Done in {elapsed:.1f} s; outputs in {out_dir}")
    return results


def demo(
    out: Path = typer.Option(Path("mmsis-demo"), "--out", help="Folder for the demo outputs."),
    seed: int = typer.Option(2024, "--seed", help="Seed of the example country."),
    serve: bool = typer.Option(True, "--serve/--no-serve",
                               help="Start the web workspace afterwards."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Run the loop on the example country, write every output, then open the workspace."""
    run_loop(out, seed)
    if serve:
        from mmsis.web.demo import serve_demo

        serve_demo(out, host=host, port=port)
