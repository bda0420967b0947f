"""`mmsis impact` from the command line: JSON contract and seeded reproducibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
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
    paths = {p["pathway"]: p for p in da["pathways"]}
    assert set(paths) == {"neonatal_preterm", "neonatal_sga", "neonatal_direct",
                          "stillbirth", "lbw"}
    assert sum(p["dalys_central"] for p in paths.values()) == pytest.approx(
        da["dalys_averted"]["central"], rel=1e-9)
    curve = da["acceptability"]
    probs = [c["probability_cost_effective"] for c in curve]
    assert curve[0]["wtp"] == 0 and probs[0] == 0.0 and probs[-1] > 0.5
    assert all(0 <= p <= 1 for p in probs)


def test_impact_json_thresholds_and_conversion(tmp_path: Path, scen: dict[str, Any]) -> None:
    s = {**scen, "currency": "XOF", "currency_year": 2026,
         "impact": {**scen["impact"], "thresholds": {"gdp_per_capita": 500_000.0},
                    "currency_conversion": {"exchange_rates": {2016: 600.0},
                                            "gdp_deflator": {2016: 100.0, 2026: 130.0}}},
         "mms": {"price_per_tablet": 12.0}, "ifa": {"price_per_tablet": 3.0}}
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(s))
    res = CliRunner().invoke(app, ["impact", "--scenario", str(p), "--draws", "300",
                                   "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    marks = {t["threshold"]: t for t in d["thresholds"]}
    assert marks["3x GDP per capita"]["value"] == 1_500_000.0
    assert 0 <= marks["1x GDP per capita"]["probability_cost_effective"] <= 1
    assert 1_500_000.0 in [c["wtp"] for c in d["acceptability"]]
    kashi = next(a for a in d["anchors"] if "Pakistan" in a["study"])
    # 41.54 US$ 2016 -> XOF 2016 at 600 -> XOF 2026 by the deflator 130/100
    assert kashi["cost_per_daly_converted"] == pytest.approx(41.54 * 600 * 1.3)


def test_impact_writes_charts(tmp_path: Path, scen: dict[str, Any]) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(scen))
    res = CliRunner().invoke(app, ["impact", "--scenario", str(p), "--draws", "200",
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "tornado.png").stat().st_size > 1000
    assert (tmp_path / "o" / "ce_plane.png").stat().st_size > 1000
    assert (tmp_path / "o" / "acceptability.png").stat().st_size > 1000
    assert "neonatal_preterm" in (tmp_path / "o" / "impact_pathways.csv").read_text()
    assert "cost_per_daly" in (tmp_path / "o" / "impact_summary.csv").read_text()
