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


def test_usage_error_exits_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "mmsis.cli", "design", "no-such-command"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "no-such-command" in proc.stderr


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


def test_exit_codes_of_commands_reach_the_shell() -> None:
    """A command ending in typer.Exit(code) exits with that code from the console script."""
    import typer

    from mmsis import cli

    probe = typer.Typer()

    @probe.command()
    def fail() -> None:
        raise typer.Exit(code=3)

    @probe.command()
    def other() -> None:
        """A second command keeps the probe a group."""

    cli.app.add_typer(probe, name="probe-exit")
    try:
        old_argv = sys.argv
        sys.argv = ["mmsis", "probe-exit", "fail"]
        try:
            cli.main()
        except SystemExit as exc:
            assert exc.code == 3
        else:
            raise AssertionError("main() did not exit")
    finally:
        sys.argv = old_argv
        cli.app.registered_groups.pop()
