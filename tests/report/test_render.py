"""Report rendering on small hand-made inputs: self-contained HTML, formatting, sources,
escaping, and the optional PDF step."""

from __future__ import annotations

import re

import pandas as pd

from mmsis.report import build as build_mod
from mmsis.report.html import render_html, table_html
from mmsis.report.sections import Table, cascade_section, frames_section, routine_section

CASCADE = pd.DataFrame({
    "step": ["ANC1+", "Received any MMS", "Consumed >= 180"],
    "estimate": [0.82, 0.26, 0.03], "ci_low": [0.80, 0.24, 0.02], "ci_high": [0.84, 0.29, 0.04],
    "n": [4857, 4857, 4857],
})


def test_html_is_self_contained_with_sources() -> None:
    eq = pd.DataFrame({"group": ["wealth", "wealth"], "level": ["poorest", "richest"],
                       "estimate": [0.2, 0.3], "ci_low": [0.18, 0.27], "ci_high": [0.22, 0.33],
                       "n": [900, 950]})
    trends = pd.DataFrame({"period": ["202401", "202402"] * 2,
                           "indicator": ["a", "a", "b", "b"], "value": [0.1, 0.2, 0.5, 0.6]})
    secs = [
        cascade_section(CASCADE, eq, ["survey X (synthetic)"]),
        routine_section(trends, None, ["DHIS2 Y"]),
        frames_section("decide", "Forecast", "", {"Budget": pd.DataFrame(
            {"year": [2024.0], "total": [1234567.0]})}, ["scenario Z"]),
    ]
    html = render_html(secs, title="Report <T>", notice="synthetic")
    assert "Report &lt;T&gt;" in html  # escaped
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from outside
    imgs = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(imgs) == 3 and all(len(i) > 1000 for i in imgs)
    for src in ("survey X (synthetic)", "DHIS2 Y", "scenario Z"):
        assert src in html
    assert html.count("Sources of these numbers") == 3
    assert ">82.0%<" in html and ">26.0%<" in html  # percent columns
    # years without separators; a budget total is money (labels.yaml: total is money)
    assert ">2024<" in html and ">USD\xa01,234,567<" in html


def test_table_formatting_and_truncation() -> None:
    df = pd.DataFrame({"x": [float("nan"), 0.123456, 12345.6], "ok": [True, False, True],
                       "name": ["<b>", "a", "b"]})
    html = str(table_html(Table(caption="T", frame=df)))
    assert "<td></td>" in html and ">0.123<" in html and ">12,346<" in html
    assert ">yes<" in html and "&lt;b&gt;" in html
    big = pd.DataFrame({"i": range(100)})
    assert "first 60 of 100 rows" in str(table_html(Table(caption="B", frame=big)))


def test_missing_section_says_why() -> None:
    from mmsis.report.sections import unavailable

    html = render_html([unavailable("x", "Evaluation", "no routine data")], title="R")
    assert "Not available: no routine data" in html


def test_pdf_is_skipped_cleanly_without_weasyprint(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):  # type: ignore[no-untyped-def]
        if name == "weasyprint":
            raise ImportError("no weasyprint")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    assert build_mod._pdf("<html></html>", tmp_path / "r.pdf") is None
    assert not (tmp_path / "r.pdf").exists()
