"""Every number the impact model reads from framework/data carries its source or is marked an
assumption, and the citations the issue found wrong stay fixed."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from mmsis.forecast.evidence import evidence


def _data(name: str) -> Any:
    return yaml.safe_load(resources.files("mmsis.framework").joinpath(f"data/{name}")
                          .read_text())


def _unsourced(node: Any, path: str, covered: bool) -> list[str]:
    """Paths of numbers with no `source` or `status` on them or on an enclosing mapping."""
    if isinstance(node, dict):
        covered = covered or "source" in node or "status" in node
        return [p for k, v in node.items() for p in _unsourced(v, f"{path}.{k}", covered)]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _unsourced(v, f"{path}[{i}]", covered)]
    if isinstance(node, (int, float)) and not isinstance(node, bool) and not covered:
        return [path]
    return []


def test_impact_model_numbers_are_sourced() -> None:
    for name in ("impact_model.yaml", "evidence.yaml"):
        assert _unsourced(_data(name), name, False) == []
    repro = _data("reproductions.yaml")
    assert _unsourced(repro["reproductions"], "reproductions", False) == []


def test_unsourced_number_is_caught() -> None:
    assert _unsourced({"a": {"b": 1.5}}, "x", False) == ["x.a.b"]
    assert _unsourced({"a": {"b": 1.5, "status": "assumption"}}, "x", False) == []


def test_citations_fixed() -> None:
    ev = evidence()
    kashi = [a for a in ev.anchors if a["id"].startswith("kashi_2019")]
    assert kashi and all("J Nutr 149(7):1222-1229" in a["source"] for a in kashi)
    assert not any("Nutrients 11" in str(a) for a in ev.anchors)
    cc = next(a for a in ev.anchors if a["id"] == "copenhagen_consensus")
    assert "Larsen" in cc["source"] and cc["benefit_cost_ratio"] == 37.5
    vp = next(e for e in _data("evidence.yaml")["effect_sizes"] if e["id"] == "very_preterm")
    assert "< 32 weeks" in vp["outcome"]
    male = ev.effect("neonatal_mortality_male")
    assert (male.rr, male.ci_low, male.ci_high) == (1.06, 0.95, 1.17)
    text = resources.files("mmsis.framework").joinpath("data/indicators.yaml").read_text()
    assert "HMHB MMS monitoring guidance;" not in text
    krs = _data("key_results.yaml")["key_results"]
    targets = [k for k in krs if k.get("indicator") in ("mms_received_180", "mms_consumed_180")
               and k.get("threshold")]
    assert targets and all(not k["required"] and "programme choice" in k["threshold_source"]
                           for k in targets)


def test_published_anchor_conversion_names_years_not_floats() -> None:
    """The anchors' table carries years as floats with NaN for a source without one: the
    conversion note says "2016" (not "2016.0") and names a missing year (not "nan")."""
    import math

    from mmsis.forecast.scenario import load_scenario
    from mmsis.impact.decision import convert_usd

    sc = load_scenario(_example_scenario())
    sc.impact.currency_conversion.gdp_deflator.pop(2016, None)
    value, note = convert_usd(41.54, 2016.0, sc)
    assert math.isnan(value) and "2016 and" in note and "2016.0" not in note
    value, note = convert_usd(23.61, float("nan"), sc)
    assert math.isnan(value) and "nan" not in note and "currency year" in note


def _example_scenario() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "example_country.yaml"
