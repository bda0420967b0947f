"""Demo: supply forecast and health impact of the example country's scale-up (pilots to
national in three years). Outputs go to <out_dir>/forecast and <out_dir>/impact."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Forecast the example country's IFA -> MMS transition and its health impact."""
    from mmsis.demos.steps.impact import run_demo as run_impact_demo

    fc = run_forecast_demo(Path(out_dir) / "forecast", country)
    imp = run_impact_demo(Path(out_dir) / "impact", country)
    return {"forecast": fc, "impact": imp}


def run_forecast_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Forecast the example country's IFA -> MMS transition; write tables, charts, scenario."""
    from rich.console import Console

    from mmsis.demos.examples import example_scenario
    from mmsis.forecast.cli import write_forecast
    from mmsis.forecast.consumption import history_from_data_values
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import scenario_from_dict

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = example_scenario(country)
    (out / "scenario.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    sc = scenario_from_dict(data)
    history = history_from_data_values(country.data_values, country.org_units)
    result = run_forecast(sc, history=history)
    write_forecast(result, out)
    s = dict(zip(result.totals["item"], result.totals["value"], strict=True))
    mms = result.consumption[result.consumption["product"] == "mms"] if (
        result.consumption is not None) else None
    ratio = (float(mms["consumption_monthly"].sum() / mms["demographic_monthly"].sum())
             if mms is not None else float("nan"))
    key = {
        "pregnancies_covered": float(s["pregnancies covered by MMS"]),
        "mms_packs_ordered": float(s["MMS packs ordered"]),
        "mms_tablets_short": float(s["MMS tablets short"]),
        "budget_total": float(result.budget["total"].sum()),
        "consumption_to_demographic_mms": ratio,
        "out_dir": str(out),
    }
    from mmsis.demos.steps import fixed
    from mmsis.i18n import gettext as _
    from mmsis.present import format as fmt

    Console().print(_("[bold]Forecast[/bold] %(name)s: %(pregnancies)s pregnancies covered by "
                      "MMS over %(months)s months; %(bottles)s MMS bottles ordered; budget "
                      "%(budget)s; routine consumption = %(ratio)s x demographic need. Outputs "
                      "in %(folder)s") % {
        "name": sc.name, "pregnancies": fmt.count(key["pregnancies_covered"]),
        "months": sc.horizon_months, "bottles": fmt.count(key["mms_packs_ordered"]),
        "budget": fmt.money(key["budget_total"], sc.currency), "ratio": fixed(ratio, 2),
        "folder": out})
    return key
