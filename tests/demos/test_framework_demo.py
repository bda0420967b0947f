"""The framework demo step prints the map and writes its files."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from mmsis.demos.steps.framework import run_demo


def test_run_demo_writes_outputs(tmp_path: Path) -> None:
    console = Console(record=True, width=160)
    out = run_demo(tmp_path, None, phase="scale_up", console=console)
    text = console.export_text()
    assert "Key results for phase 'Scale up'" in text and "<- now" in text
    assert out["phase"] == "scale_up" and len(out["top_questions"]) == 8
    qs = json.loads((tmp_path / "framework" / "questions_scale_up.json").read_text())
    assert qs and all("scale_up" in q["phases"] for q in qs)
    assert (tmp_path / "framework" / "key_results.csv").read_text().count("\n") > 48


def test_current_phase_from_rollout() -> None:
    import pandas as pd

    from mmsis.demos.steps.framework import current_phase

    class Country:
        country = {"end_period": "202412"}
        rollout = pd.DataFrame({"mms_start": ["202207", "202301"], "pilot": [True, False]})

    assert current_phase(Country()) == "scale_up"
    Country.rollout = pd.DataFrame({"mms_start": ["202207", "202501"], "pilot": [True, False]})
    assert current_phase(Country()) == "introduce"
    Country.rollout = pd.DataFrame({"mms_start": ["202601"], "pilot": [True]})
    assert current_phase(Country()) == "explore"
    assert current_phase(None) == "introduce"


def test_run_demo_on_example_country(tmp_path: Path, example_country: object) -> None:
    out = run_demo(tmp_path, example_country, console=Console(record=True, width=120))
    assert out["phase"] == "scale_up"  # every district has MMS by the end of the series
