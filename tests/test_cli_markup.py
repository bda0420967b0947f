"""The command line prints a user's text as it is, never as rich markup (issue #12: no
traceback for any input): a concept, file, org unit or cell named like '[/x]' ended commands in
a rich MarkupError traceback (`mmsis routine series --concept '[/x]'`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mmsis._cli import console, err_console, print_table
from mmsis.cli import app


def test_an_unknown_concept_named_like_markup_is_an_error_not_a_traceback(
        tmp_path: Path) -> None:
    from mmsis.data.store import Store

    store = tmp_path / "s.duckdb"
    Store(store).close()
    res = CliRunner().invoke(app, ["routine", "series", "--store", str(store), "--concept",
                                   "[/x]"])
    assert res.exit_code == 2, (res.exception, res.output)
    assert "unknown concept(s) [/x]" in " ".join(res.output.split())


def test_text_and_tables_print_brackets_as_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    console.print("Forecast (qat) written to /tmp/x[/y]")
    err_console.print("[yellow]warning:[/yellow] kept")  # real markup still styles
    print_table(pd.DataFrame({"[/col]": ["[/x] land", "[bold]b"]}), title="[/t]")
    out = capsys.readouterr()
    assert "written to /tmp/x[/y]" in out.out
    assert "[/x] land" in out.out and "[bold]b" in out.out and "[/col]" in out.out
    assert "[/t]" in out.out
    assert "warning: kept" in out.err and "[yellow]" not in out.err
