"""The scorecard tables of the report write thresholds with the language's numbers."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from mmsis import i18n


def test_scorecard_thresholds_in_portuguese_numbers(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A Portuguese reader meets ">= 0,8" in the key-result tables, not ">= 0.8"."""
    from mmsis.cli import app

    monkeypatch.delenv("MMSIS_LANG", raising=False)
    with i18n.language("en"):
        r = CliRunner().invoke(app, ["report", "--out", str(tmp_path), "--lang", "pt"])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td[^>]*>\s*((?:&gt;|&lt;)=\s*[^<]*?)\s*</td>", page)
    assert cells, "no threshold cells found"
    assert not [c for c in cells if re.search(r"\d\.\d", c)], cells
    assert any("0,8" in c for c in cells), cells
