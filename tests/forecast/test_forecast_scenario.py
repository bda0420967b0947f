"""Scenario validation: defaults fill in, bad input names the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmsis.errors import InputError
from mmsis.forecast.scenario import defaults_annotated, load_scenario, scenario_from_dict


def _err(data: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as exc:
        scenario_from_dict(data)
    return exc.value


def test_defaults_fill_in(base: dict[str, Any]) -> None:
    sc = scenario_from_dict({"start": "2025-01", "geography": {"pregnancies": 1000},
                             "pregnancies": {"method": "given"}})
    assert sc.regimen.tablets_per_pregnancy == 180
    assert sc.mms.pack_size == 180 and sc.mms.shelf_life_months == 30
    assert sc.inventory.min_months == 3


def test_every_default_has_source_or_assumption() -> None:
    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and "value" in node:
            assert "source" in node or node.get("status") == "assumption", path
            return
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}")

    walk(defaults_annotated(), "")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"geography": {"level": "national", "pregnancies": -5}}, "geography.pregnancies"),
        ({"anc1_coverage": 1.2}, "anc1_coverage"),
        ({"mms": {"pack_size": 0}}, "mms.pack_size"),
        ({"rollout": {"start": "2024-06"}}, "rollout.start"),
        ({"inventory": {"min_months": 7}}, "inventory.min_months"),
        ({"uncertain": {"nonsense": {"low": 1, "high": 2}}}, "uncertain.nonsense"),
        ({"start": "2025-13"}, "start"),
        ({"geography": {"level": "national", "pregnancies": float("inf")}},
         "geography.pregnancies"),
        ({"anc1_coverage": float("nan")}, "anc1_coverage"),
        ({"uncertain": {"anc1_coverage": {"low": 0.5, "high": 1.5}}},
         "uncertain.anc1_coverage.high"),
        ({"uncertain": {"mms.price_per_tablet": {"low": -0.01, "high": 0.02}}},
         "uncertain.mms.price_per_tablet.low"),
    ],
)
def test_bad_input_names_field(base: dict[str, Any], patch: dict[str, Any], field: str) -> None:
    data = copy.deepcopy(base)
    for k, v in patch.items():
        data[k] = {**data[k], **v} if isinstance(v, dict) and isinstance(data.get(k), dict) else v
    err = _err(data)
    assert err.field == field, str(err)


def test_unknown_district_and_early_rollout(base: dict[str, Any]) -> None:
    data = copy.deepcopy(base)
    data["geography"] = {"level": "district", "districts": [{"id": "A", "pregnancies": 10}]}
    data["rollout"] = {"districts": [{"district": "A", "start": "2025-02"},
                                     {"district": "Z", "start": "2025-02"}]}
    assert _err(data).field == "rollout.districts[1].district"
    data["rollout"] = {"districts": [{"district": "A", "start": "2024-12"}]}
    assert _err(data).field == "rollout.districts[0].start"


def test_file_errors_name_file_and_row(tmp_path: Path, base: dict[str, Any]) -> None:
    (tmp_path / "d.csv").write_text("id,pregnancies\nA,100\nB,-3\n")
    data = copy.deepcopy(base)
    data["geography"] = {"level": "district", "file": "d.csv"}
    data["rollout"] = {"districts": [{"district": "A", "start": "2025-01"}]}
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as exc:
        load_scenario(f)
    assert exc.value.row == 2 and exc.value.column == "pregnancies"
    assert exc.value.file == "d.csv"
    (tmp_path / "d.csv").write_text("id,pregnancies\nA,100\nB,3\n")
    sc = load_scenario(f)
    assert [d.id for d in sc.geography.districts or []] == ["A", "B"]


def test_typo_is_refused(base: dict[str, Any]) -> None:
    data = copy.deepcopy(base)
    data["regimen"]["tablet_per_pregnancy"] = 90
    assert _err(data).field == "regimen.tablet_per_pregnancy"


def test_inline_negative_population_and_cost_outside_horizon(base: dict[str, Any]) -> None:
    data = copy.deepcopy(base)
    data["geography"] = {"level": "district", "districts": [
        {"id": "A", "pregnancies": 10}, {"id": "B", "pregnancies": -1}]}
    assert _err(data).field == "geography.districts[1].pregnancies"
    data = copy.deepcopy(base)
    data["programme_costs"] = [{"category": "training", "year": 2030, "amount": 5}]
    assert _err(data).field == "programme_costs[0].year"
    data["programme_costs"] = [{"category": "sbc", "start": "2025-06", "end": "2026-06",
                                "amount": 5}]
    assert _err(data).field == "programme_costs[0].start"
    data = copy.deepcopy(base)
    data["inventory"]["opening_stock"] = {"mms": -5}
    assert _err(data).field == "inventory.opening_stock.mms[0].tablets"
    data["inventory"]["opening_stock"] = {"ifa": [{"tablets": 5, "expires": "2024-12"}]}
    assert _err(data).field == "inventory.opening_stock.ifa[0].expires"


def test_method_inferred_from_given_pregnancies() -> None:
    sc = scenario_from_dict({"start": "2025-01", "geography": {"pregnancies": 1000}})
    assert sc.pregnancies.method == "given"
    sc = scenario_from_dict({"start": "2025-01", "geography": {"population": 1000},
                             "pregnancies": {"crude_birth_rate": 0.03}})
    assert sc.pregnancies.method == "population"
