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
    assert res.exit_code == 0 and "stays in Explore and prepare" in " ".join(res.output.split())
    assert "explore_" not in res.output  # labels, not knowledge-base ids


def test_assess_bad_file_names_the_field(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("country: X\nphases: {policy: launch}\n")
    res = runner.invoke(app, ["plan", "assess", "--file", str(plan)])
    assert res.exit_code != 0
    assert "phases.policy" in str(res.exception)


def test_from_example_agenda_and_forms(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["plan", "init", "--country", "Examplia", "--from-example",
                              "--file", str(plan)])
    assert res.exit_code == 0, res.output
    prog = load_programme(plan)
    assert prog.regions and prog.barriers and "stockout_rate" in prog.measurements
    assert prog.measurements["stockout_rate"].source.startswith("DHIS2")
    res = runner.invoke(app, ["plan", "assess", "--file", str(plan), "--json"])
    items = {i["key_result"]: i for i in json.loads(res.output)["items"]}
    assert items["scale_up_supply_stockouts"]["basis"] == "measured"
    res = runner.invoke(app, ["plan", "agenda", "--file", str(plan), "--top", "4", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [a["rank"] for a in out["agenda"]["items"]] == [1, 2, 3, 4]
    sheet_ids = {s["id"] for s in out["indicator_sheets"]}
    assert sheet_ids == {i for a in out["agenda"]["items"] for i in a["indicators"]}
    assert all(s["numerator"] and s["definition"] for s in out["indicator_sheets"])
    accepted = [s for s in out["strategies"] if s["decision"] == "accepted"]
    assert accepted
    forms = tmp_path / "forms"
    res = runner.invoke(app, ["plan", "forms", "--out", str(forms), "--file", str(plan),
                              "--top", "4"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in forms.iterdir()) == [
        "mms_facility_readiness.xlsx", "mms_household_exit.xlsx", "mms_stock_card_audit.xlsx"]
    outcomes = {o for a in out["agenda"]["items"] for o in a["outcomes"]}
    from mmsis.plan.forms import modules_for_outcomes

    expected = ["receipt", *[m for m in modules_for_outcomes(outcomes) if m != "receipt"]]
    assert f"modules {', '.join(expected)}" in res.output.replace("\n", " ")
