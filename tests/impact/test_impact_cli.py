"""`mmsis impact` from the command line: JSON contract and seeded reproducibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from mmsis.cli import app

FIELDS = ("lbw_averted", "preterm_averted", "sga_averted", "stillbirths_averted",
          "neonatal_deaths_averted", "dalys_averted", "incremental_cost", "cost_per_daly")


def test_impact_json_contract(tmp_path: Path, scen: dict[str, Any]) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(scen))
    args = ["impact", "--scenario", str(p), "--draws", "500", "--seed", "3", "--json"]
    a = CliRunner().invoke(app, args)
    b = CliRunner().invoke(app, args)
    assert a.exit_code == 0, a.output
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    for f in FIELDS:
        assert set(da[f]) >= {"mean", "ui_low", "ui_high", "central"}
        assert da[f]["ui_low"] <= da[f]["ui_high"]
    assert da["lbw_averted"] == db["lbw_averted"]
    assert da["lbw_averted"]["central"] > 0


def test_impact_writes_charts(tmp_path: Path, scen: dict[str, Any]) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(scen))
    res = CliRunner().invoke(app, ["impact", "--scenario", str(p), "--draws", "200",
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "tornado.png").stat().st_size > 1000
    assert "cost_per_daly" in (tmp_path / "o" / "impact_summary.csv").read_text()
