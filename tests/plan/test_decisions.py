"""Decisions on record: FRAME-IS adaptations, Proctor strategy specifications, actions on key
results with owners and due dates, the roadmap per phase and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from mmsis.demos.examples import example_programme
from mmsis.plan.decisions import (
    Action,
    Adaptation,
    StrategySpec,
    decision_log,
    overdue_actions,
    roadmap,
)
from mmsis.plan.workspace import Programme, load_programme, save_programme

MMSIS = str(Path(sys.executable).with_name("mmsis"))
TODAY = dt.date(2025, 1, 15)


def test_overdue_is_open_and_past_due() -> None:
    due = dt.date(2025, 1, 1)
    assert Action(key_result="k", action="a", due=due).overdue(TODAY)
    assert Action(key_result="k", action="a", due=due, status="blocked").overdue(TODAY)
    assert not Action(key_result="k", action="a", due=due, status="done").overdue(TODAY)
    assert not Action(key_result="k", action="a", due=dt.date(2025, 2, 1)).overdue(TODAY)
    assert not Action(key_result="k", action="a").overdue(TODAY)
    with pytest.raises(ValidationError, match="before the start"):
        Action(key_result="k", action="a", start=dt.date(2025, 3, 1), due=due)


def test_adaptations_keep_frame_is_vocabulary() -> None:
    a = Adaptation(date=dt.date(2024, 3, 1), what="x", nature="adding", planned=False,
                   reasons=["recipient"])
    log = decision_log([a, Adaptation(date=dt.date(2023, 1, 1), what="earlier")])
    assert list(log["what"]) == ["earlier", "x"] and log.loc[1, "planned"] == "reactive"
    with pytest.raises(ValidationError):
        Adaptation(date=dt.date(2024, 3, 1), what="x", nature="improvising")
    with pytest.raises(ValidationError):
        Adaptation(date=dt.date(2024, 3, 1), what="")


def test_strategy_spec_lists_what_is_missing() -> None:
    spec = StrategySpec(actor="midwives", action="count tablets")
    assert spec.missing() == ["target", "temporality", "dose", "outcome", "justification"]


def test_roadmap_orders_by_phase_then_due_and_flags_overdue() -> None:
    acts = [Action(key_result="b", action="later phase", due=dt.date(2024, 1, 1)),
            Action(key_result="a", action="second", due=dt.date(2025, 6, 1)),
            Action(key_result="a", action="first", due=dt.date(2024, 6, 1))]
    road = roadmap(acts, {"a": "introduce", "b": "scale_up"}, today=TODAY)
    assert list(road["action"]) == ["first", "second", "later phase"]
    assert list(road["overdue"]) == [True, False, True]
    assert [a.action for a in overdue_actions(acts, TODAY)] == ["later phase", "first"]


def test_plan_file_round_trip_and_cli(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    prog = example_programme()
    save_programme(prog, plan)
    back = load_programme(plan)
    assert back.adaptations == prog.adaptations and back.actions == prog.actions
    spec = next(s.spec for s in back.strategies if s.spec is not None)
    assert spec.actor and not spec.missing()
    out = subprocess.run([MMSIS, "plan", "roadmap", "--file", str(plan), "--json", "--chart",
                          str(tmp_path / "road.png")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == len(prog.actions) and {"phase", "owner", "due", "overdue"} <= set(rows[0])
    assert (tmp_path / "road.png").stat().st_size > 10_000
    log = json.loads(subprocess.run([MMSIS, "plan", "decisions", "--file", str(plan), "--json"],
                                    capture_output=True, text=True, check=True).stdout)
    assert [r["date"] for r in log] == sorted(r["date"] for r in log)
    save_programme(Programme(country="X"), plan)
    empty = subprocess.run([MMSIS, "plan", "roadmap", "--file", str(plan)], capture_output=True,
                           text=True)
    assert empty.returncode == 0 and "No actions yet" in " ".join(empty.stdout.split())
