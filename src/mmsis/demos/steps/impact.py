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
    from mmsis.i18n import gettext as _
    from mmsis.impact.cli import write_impact
    from mmsis.impact.engine import run_impact
    from mmsis.present import format as fmt

    out = Path(out_dir)
    sc = scenario_from_dict(example_scenario(country))
    result = run_impact(sc, draws=10_000, seed=2024)
    write_impact(result, out)
    key = {m: result.measure(m) for m in ("lbw_averted", "neonatal_deaths_averted",
                                          "dalys_averted", "incremental_cost",
                                          "cost_per_daly")}
    c = key["cost_per_daly"]
    d = key["dalys_averted"]
    Console().print(_(
        "[bold]Impact[/bold] %(name)s: %(lbw)s low-birthweight births and %(deaths)s neonatal "
        "deaths averted; %(dalys)s DALYs (95%% UI %(dalys_low)s-%(dalys_high)s); %(cost)s per "
        "DALY (95%% UI %(cost_low)s-%(cost_high)s). Outputs in %(folder)s") % {
        "name": sc.name, "lbw": fmt.count(key["lbw_averted"]["central"]),
        "deaths": fmt.count(key["neonatal_deaths_averted"]["central"]),
        "dalys": fmt.count(d["central"]), "dalys_low": fmt.count(d["ui_low"]),
        "dalys_high": fmt.count(d["ui_high"]),
        "cost": fmt.money(c["central"], sc.currency), "cost_low": fmt.count(c["ui_low"]),
        "cost_high": fmt.count(c["ui_high"]), "folder": out})
    return {k: v["central"] for k, v in key.items()} | {"out_dir": str(out)}
