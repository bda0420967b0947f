"""The root command: version, help listing the loop, clean errors for user mistakes."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from mmsis import __version__
from mmsis.cli import app


def test_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"mmsis {__version__}"


def test_help_lists_the_loop() -> None:
    res = CliRunner().invoke(app, ["--help"])
    assert res.exit_code == 0
    for command in ["framework", "plan", "design", "survey", "routine", "evaluate",
                    "forecast", "impact", "report", "datasets", "serve", "demo"]:
        assert command in res.output


def test_user_error_exits_2_without_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "mmsis.cli", "survey", "estimate", str(missing), "--stat", "mean",
         "--var", "y"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "nope.csv" in proc.stderr
