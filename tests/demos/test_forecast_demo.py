"""The demo step runs forecast and impact on the example country and writes its outputs."""

from __future__ import annotations

from pathlib import Path

from mmsis.datasets import ExampleCountry
from mmsis.demos.steps.forecast import run_demo


def test_run_demo(tmp_path: Path, example_country: ExampleCountry) -> None:
    res = run_demo(tmp_path, example_country)
    assert res["forecast"]["mms_tablets_short"] == 0
    assert res["forecast"]["pregnancies_covered"] > 0
    assert res["impact"]["dalys_averted"] > 0
    assert res["impact"]["cost_per_daly"] > 0
    for f in ("forecast/stock.png", "forecast/forecast_orders.csv", "forecast/scenario.yaml",
              "impact/tornado.png", "impact/impact_summary.csv"):
        assert (tmp_path / f).stat().st_size > 0, f
