"""`mmsis forecast` from the command line: JSON contract, output files, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from mmsis.cli import app


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_forecast_json_contract(tmp_path: Path, base: dict[str, Any]) -> None:
    res = CliRunner().invoke(app, ["forecast", "--scenario", str(_write(tmp_path, base)),
                                   "--json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert {"months", "orders", "budget"} <= set(d)
    row = d["months"][0]
    for k in ("month", "pregnancies_covered", "mms_tablets_needed", "mms_packs_needed",
              "ifa_tablets_needed", "stock_end", "order_packs"):
        assert k in row
    assert row["mms_tablets_needed"] == 18000.0
    assert (tmp_path / "out" / "stock.png").stat().st_size > 1000
    assert (tmp_path / "out" / "forecast_budget.csv").exists()


def test_forecast_bad_input_exits_2(tmp_path: Path, base: dict[str, Any]) -> None:
    base["mms"]["pack_size"] = 0
    res = CliRunner().invoke(app, ["forecast", "--scenario", str(_write(tmp_path, base))])
    assert res.exit_code != 0
    assert "mms.pack_size" in str(res.exception)


def test_forecast_history_from_scenario_and_option(tmp_path: Path, base: dict[str, Any]) -> None:
    (tmp_path / "h.csv").write_text(
        "period,mms_tablets_dispensed\n202411,9000\n202412,9000\n")
    data = dict(base, consumption={"file": "h.csv", "months": 2})
    res = CliRunner().invoke(app, ["forecast", "--scenario", str(_write(tmp_path, data)),
                                   "--json"])
    assert res.exit_code == 0, res.output
    c = json.loads(res.stdout)["consumption"]
    assert c[0]["consumption_monthly"] == 9000 and c[0]["demographic_monthly"] == 18000
    res = CliRunner().invoke(app, ["forecast", "--scenario", str(_write(tmp_path, base)),
                                   "--history", str(tmp_path / "h.csv"), "--json"])
    assert json.loads(res.stdout)["consumption"][0]["ratio_consumption_to_demographic"] == 0.5
