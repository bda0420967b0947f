"""`mmsis plan` commands on a workspace file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.plan.workspace import KeyResultStatus, load_programme, save_programme

runner = CliRunner()


def test_init_then_assess_json(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["plan", "init", "--country", "Testland", "--file", str(plan)])
    assert res.exit_code == 0, res.output
    prog = load_programme(plan)
    assert prog.country == "Testland" and set(prog.phases.values()) == {"explore"}
    # refuses to overwrite
    res = runner.invoke(app, ["plan", "init", "--country", "Testland", "--file", str(plan)])
    assert res.exit_code != 0
    prog.key_results.append(KeyResultStatus(key_result="explore_policy_tag", status="met"))
    save_programme(prog, plan)
    chart = tmp_path / "heat.svg"
    res = runner.invoke(app, ["plan", "assess", "--file", str(plan), "--json", "--chart",
                              str(chart)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    item = next(i for i in out["items"] if i["key_result"] == "explore_policy_tag")
    assert item["status"] == "met" and item["basis"] == "team"
    assert {v["pillar"] for v in out["verdicts"]} == set(prog.phases)
    assert all(not v["ready"] for v in out["verdicts"])
    assert chart.exists()
    res = runner.invoke(app, ["plan", "assess", "--file", str(plan)])
    assert res.exit_code == 0 and "stay in explore" in res.output


def test_assess_bad_file_names_the_field(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("country: X\nphases: {policy: launch}\n")
    res = runner.invoke(app, ["plan", "assess", "--file", str(plan)])
    assert res.exit_code != 0
    assert "phases.policy" in str(res.exception)
