"""`mmsis framework show|map|validate` through the root Typer app."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.errors import FrameworkError, InputError

runner = CliRunner()


def _json(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["framework", "show", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    "kind,minimum",
    [
        ("phases", 4),
        ("pillars", 6),
        ("results", 48),
        ("outcomes", 12),
        ("questions", 80),
        ("indicators", 30),
        ("designs", 10),
        ("cfir", 5),
        ("reaim", 5),
        ("epis", 4),
        ("eric", 73),
        ("data-sources", 5),
        ("effect-sizes", 11),
        ("mortality-multipliers", 3),
        ("anchors", 6),
    ],
)
def test_show_json_lists_records_with_ids(kind: str, minimum: int) -> None:
    records = _json(kind)
    assert len(records) >= minimum
    assert all(isinstance(r["id"], str) and r["id"] for r in records)


def test_results_carry_phase_and_pillar_and_filter() -> None:
    records = _json("results", "--phase", "introduce", "--pillar", "supply")
    assert records and {(r["phase"], r["pillar"]) for r in records} == {("introduce", "supply")}
    stock = next(r for r in records if r["indicator"] == "stockout_rate")
    assert stock["threshold"] == {"op": "<=", "value": 0.05}


def test_questions_carry_id_lists_and_filter() -> None:
    records = _json("questions", "--phase", "sustain", "--outcome", "adherence")
    assert records
    for r in records:
        for key in ("phases", "pillars", "outcomes", "designs", "indicators"):
            assert isinstance(r[key], list)
        assert "sustain" in r["phases"] and "adherence" in r["outcomes"]


def test_indicators_filter_by_pillar() -> None:
    records = _json("indicators", "--pillar", "supply")
    assert {r["pillar"] for r in records} == {"supply"}
    assert "stockout_rate" in {r["id"] for r in records}


def test_show_table_is_readable() -> None:
    result = runner.invoke(app, ["framework", "show", "pillars"])
    assert result.exit_code == 0
    assert "Policy and governance" in result.stdout and "pillars (6)" in result.stdout


def test_unknown_filter_id_is_a_clear_error() -> None:
    result = runner.invoke(app, ["framework", "show", "results", "--phase", "pilot"])
    assert isinstance(result.exception, InputError)
    assert "unknown phase id 'pilot'" in str(result.exception)
    assert "introduce" in str(result.exception)


def test_unknown_kind_and_inapplicable_filter() -> None:
    result = runner.invoke(app, ["framework", "show", "strategies"])
    assert isinstance(result.exception, InputError) and "unknown kind" in str(result.exception)
    result = runner.invoke(app, ["framework", "show", "pillars", "--outcome", "coverage"])
    assert isinstance(result.exception, InputError)
    assert "does not apply" in str(result.exception)


def test_show_with_country_framework(write_country: Callable[..., Path]) -> None:
    folder = write_country(
        {
            "pillars.yaml": {
                "pillars": [
                    {"id": p, "name": p.title(), "description": "ours", "source": "country TAG"}
                    for p in ["policy", "financing", "supply", "delivery", "demand", "data"]
                ]
            }
        }
    )
    result = runner.invoke(
        app, ["framework", "show", "pillars", "--framework", str(folder), "--json"]
    )
    assert result.exit_code == 0
    assert {r["description"] for r in json.loads(result.stdout)} == {"ours"}


def test_map_command() -> None:
    result = runner.invoke(app, ["framework", "map", "--json"])
    rows = json.loads(result.stdout)
    assert len(rows) == 6 and "Introduce (initial implementation / pilot)" in rows[0]


def test_validate_ok_and_broken(
    write_country: Callable[..., Path], default_data: Callable[[str], dict[str, Any]]
) -> None:
    good = write_country({})
    result = runner.invoke(app, ["framework", "validate", str(good)])
    assert result.exit_code == 0 and "valid" in result.stdout

    data = default_data("key_results.yaml")
    data["key_results"][0]["pillar"] = "governance"
    data["key_results"][1]["phase"] = "pilot"
    broken = write_country({"key_results.yaml": data})
    result = runner.invoke(app, ["framework", "validate", str(broken), "--json"])
    assert isinstance(result.exception, FrameworkError) and "2 problem(s)" in str(result.exception)
    problems = json.loads(result.stdout)
    assert {(p["file"], p["entry"], p["field"]) for p in problems} == {
        ("key_results.yaml", data["key_results"][0]["id"], "pillar"),
        ("key_results.yaml", data["key_results"][1]["id"], "phase"),
    }
