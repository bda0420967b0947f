"""Demo: health impact and cost-effectiveness of the example country's MMS scale-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Impact, CE and uncertainty (10,000 draws) for the example scenario; tables and charts."""
    from rich.console import Console

    from mmsis.demos.examples import example_scenario
    from mmsis.forecast.scenario import scenario_from_dict
    from mmsis.impact.cli import write_impact
    from mmsis.impact.engine import run_impact

    out = Path(out_dir)
    sc = scenario_from_dict(example_scenario(country))
    result = run_impact(sc, draws=10_000, seed=2024)
    write_impact(result, out)
    key = {m: result.measure(m) for m in ("lbw_averted", "neonatal_deaths_averted",
                                          "dalys_averted", "incremental_cost",
                                          "cost_per_daly")}
    c = key["cost_per_daly"]
    d = key["dalys_averted"]
    Console().print(
        f"[bold]Impact[/bold] {sc.name}: {key['lbw_averted']['central']:,.0f} low-birthweight "
        f"births and {key['neonatal_deaths_averted']['central']:,.0f} neonatal deaths averted; "
        f"{d['central']:,.0f} DALYs (95% UI {d['ui_low']:,.0f}-{d['ui_high']:,.0f}); "
        f"{sc.currency} {c['central']:,.0f} per DALY (95% UI {c['ui_low']:,.0f}-"
        f"{c['ui_high']:,.0f}). Outputs in {out}")
    return {k: v["central"] for k, v in key.items()} | {"out_dir": str(out)}
