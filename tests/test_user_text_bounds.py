"""Issue 12: every parser of user text (YAML, JSON, CSV) the CLI uses is bounded in size and
depth, decodes through textio, and refuses values beyond what a field can mean, naming the
file and the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsis.data import yamlread
from mmsis.errors import InputError

DEEP_FLOW = "a: " + "[" * 50_000 + "]" * 50_000 + "\n"
DEEP_BLOCK = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
    for p, c in zip("abcdefghi", "bcdefghij", strict=True)
) + "k: [" + ", ".join(["*j"] * 1200) + "]\n"


@pytest.mark.parametrize("text, words", [(DEEP_FLOW, "nested deeper"),
                                         (DEEP_BLOCK, "nested deeper"),
                                         (LAUGHS, "aliases"),
                                         ("a: [1, 2\nb: 3\n", "not valid YAML")])
def test_yaml_is_bounded_before_parsing(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as err:
        yamlread.loads_yaml(text, "s.yaml")
    assert err.value.file == "s.yaml" and err.value.row is not None


def test_yaml_files_are_sized_and_decoded(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(InputError, match="at most 1,000"):
        yamlread.load_yaml(big, max_bytes=1000)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: Ségou\n".encode("latin-1"))
    with pytest.raises(InputError, match="Latin-1"):
        yamlread.load_yaml(latin)
    assert yamlread.load_yaml(latin, encoding="latin-1") == {"name": "Ségou"}
    u16 = tmp_path / "u16.yaml"
    u16.write_bytes("name: Ségou\n".encode("utf-16"))
    assert yamlread.load_yaml(u16) == {"name": "Ségou"}


def test_scenario_yaml_and_its_district_csv(tmp_path: Path) -> None:
    from mmsis.forecast.scenario import load_scenario

    deep = tmp_path / "deep.yaml"
    deep.write_text(DEEP_FLOW)
    with pytest.raises(InputError, match="nested deeper"):
        load_scenario(deep)
    for value in ("inf", "2e12", "-5"):
        (tmp_path / "d.csv").write_text(f"id,population\nD1,1000\nD2,{value}\n")
        sc = tmp_path / "s.yaml"
        sc.write_text("geography:\n  level: district\n  file: d.csv\n")
        with pytest.raises(InputError) as err:
            load_scenario(sc)
        assert (err.value.row, err.value.column) == (2, "population"), value
    (tmp_path / "d.csv").write_text('id,population\nD1,1000\n"D2,2000\nD3,5\n')
    with pytest.raises(InputError) as err:
        load_scenario(sc)
    assert err.value.row == 2 and "never closed" in str(err.value)


def test_consumption_history_beyond_a_count(tmp_path: Path) -> None:
    from mmsis.forecast.consumption import read_history

    f = tmp_path / "h.csv"
    f.write_text("period,mms_tablets_dispensed\n202401,100\n202402,1e308\n")
    with pytest.raises(InputError) as err:
        read_history(f)
    assert (err.value.row, err.value.column) == (2, "mms_tablets_dispensed")


def test_definitions_profile_and_plan_yaml_are_bounded(tmp_path: Path) -> None:
    from mmsis.data.survey import load_profile
    from mmsis.measure.routine.definitions import load_definitions
    from mmsis.plan.workspace import load_programme

    deep = tmp_path / "deep.yaml"
    deep.write_text(DEEP_FLOW)
    for load in (load_definitions, load_profile, load_programme):
        with pytest.raises(InputError, match="nested deeper"):
            load(deep)  # type: ignore[operator]


def test_push_values_and_mapping_are_bounded(tmp_path: Path) -> None:
    from mmsis.data.dhis2.push import read_mapping
    from mmsis.measure.routine.push_cli import read_values

    values = tmp_path / "values.csv"
    for bad in ("1e308", "inf"):
        values.write_text(f"indicator,org_unit,period,value\nanc1,D1,202401,{bad}\n")
        with pytest.raises(InputError) as err:
            read_values(values)
        assert (err.value.row, err.value.column) == (2, "value")
    values.write_bytes("indicator,org_unit,period,value\nancé,D1,202401,3\n".encode("latin-1"))
    with pytest.raises(InputError, match="Latin-1"):
        read_values(values)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(DEEP_FLOW)
    with pytest.raises(InputError, match="nested deeper"):
        read_mapping(mapping)
