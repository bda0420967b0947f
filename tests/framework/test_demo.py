"""The framework demo step prints the map and writes its files."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from mmsis.framework.demo import run_demo


def test_run_demo_writes_outputs(tmp_path: Path) -> None:
    console = Console(record=True, width=160)
    out = run_demo(tmp_path, None, phase="scale_up", console=console)
    text = console.export_text()
    assert "Key results for phase 'Scale up'" in text and "<- now" in text
    assert out["phase"] == "scale_up" and len(out["top_questions"]) == 8
    qs = json.loads((tmp_path / "framework" / "questions_scale_up.json").read_text())
    assert qs and all("scale_up" in q["phases"] for q in qs)
    assert (tmp_path / "framework" / "key_results.csv").read_text().count("\n") > 48
