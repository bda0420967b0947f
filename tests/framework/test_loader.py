"""Loading, country folders (replace / extend) and the integrity errors for broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mmsis.errors import FrameworkError, InputError
from mmsis.framework import UnknownIdError, check_framework, load_framework

Writer = Callable[..., Path]
Data = Callable[[str], dict[str, Any]]


def _raises(folder: Path) -> FrameworkError:
    with pytest.raises(FrameworkError) as info:
        load_framework(folder)
    return info.value


def test_default_is_cached() -> None:
    assert load_framework() is load_framework()
    assert load_framework(None) is load_framework()


def test_unknown_ids_raise_keyerror_like_input_error() -> None:
    fw = load_framework()
    for call, bad in [
        (fw.phase, "pilot"),
        (fw.pillar, "hr"),
        (fw.indicator, "nope"),
        (fw.question, "q_x"),
        (fw.effect_size, "anaemia"),
    ]:
        with pytest.raises(UnknownIdError) as info:
            call(bad)
        assert isinstance(info.value, KeyError) and isinstance(info.value, InputError)
        assert f"'{bad}'" in str(info.value)


def test_replace_a_file(write_country: Writer, default_data: Data) -> None:
    data = default_data("questions.yaml")
    data["questions"] = data["questions"][:3]
    data["questions"][0]["text"] = "Our own wording?"
    fw = load_framework(write_country({"questions.yaml": data}))
    assert len(fw.questions) == 3
    assert fw.questions[0].text == "Our own wording?"
    assert len(fw.key_results) == len(load_framework().key_results)


def test_extend_with_another_file(write_country: Writer, default_data: Data) -> None:
    extra = {
        "questions": [
            {
                "id": "q_country_bottle_colour",
                "text": "Does bottle colour matter?",
                "phases": ["introduce"],
                "pillars": ["demand"],
                "outcomes": ["acceptability"],
                "designs": ["rapid_formative"],
                "data_sources": ["qualitative"],
            }
        ]
    }
    fw = load_framework(write_country({"country_questions.yaml": extra}))
    assert len(fw.questions) == len(load_framework().questions) + 1
    assert fw.question("q_country_bottle_colour").pillars == ["demand"]


def test_other_packages_files_are_ignored(write_country: Writer, default_data: Data) -> None:
    folder = write_country(
        {
            "routine_indicators.yaml": "indicators: {not: [a list}",
            "scenario_defaults.yaml": "whatever: 1\n",
            "notes.yaml": "something_else: [1, 2]\n",
        }
    )
    assert len(load_framework(folder).indicators) == len(load_framework().indicators)


def test_broken_reference_in_key_result(write_country: Writer, default_data: Data) -> None:
    data = default_data("key_results.yaml")
    data["key_results"][21]["indicator"] = "stockout_rte"
    kr_id = data["key_results"][21]["id"]
    err = _raises(write_country({"key_results.yaml": data}))
    assert err.file == "key_results.yaml" and err.field == "indicator"
    assert getattr(err, "entry", None) == kr_id
    assert "stockout_rte" in str(err) and kr_id in str(err)


def test_broken_question_references(write_country: Writer, default_data: Data) -> None:
    data = default_data("questions.yaml")
    q = data["questions"][5]
    q["outcomes"] = ["coverage", "happiness"]
    q["designs"] = ["crystal_ball"]
    folder = write_country({"questions.yaml": data})
    err = _raises(folder)
    assert (err.file, getattr(err, "entry", None), err.field) == (
        "questions.yaml",
        q["id"],
        "outcomes",
    )
    problems = check_framework(folder)
    assert {(p.field, p.entry) for p in problems} == {("outcomes", q["id"]), ("designs", q["id"])}


def test_broken_indicator_pillar(write_country: Writer, default_data: Data) -> None:
    data = default_data("indicators.yaml")
    data["indicators"][0]["pillar"] = "politics"
    err = _raises(write_country({"indicators.yaml": data}))
    assert (err.file, err.field) == ("indicators.yaml", "pillar")
    assert "anc1_coverage" in str(err)


def test_removing_an_indicator_breaks_its_users(write_country: Writer, default_data: Data) -> None:
    data = default_data("indicators.yaml")
    data["indicators"] = [i for i in data["indicators"] if i["id"] != "stockout_rate"]
    problems = check_framework(write_country({"indicators.yaml": data}))
    files = {p.file for p in problems}
    assert files == {"key_results.yaml", "questions.yaml"}
    assert all("stockout_rate" in p.message for p in problems)


def test_duplicate_ids(write_country: Writer, default_data: Data) -> None:
    data = default_data("pillars.yaml")
    data["pillars"].append(dict(data["pillars"][0]))
    err = _raises(write_country({"pillars.yaml": data}))
    assert (err.file, getattr(err, "entry", None), err.field) == ("pillars.yaml", "policy", "id")


def test_duplicate_id_across_extension(write_country: Writer, default_data: Data) -> None:
    extra = {"questions": [default_data("questions.yaml")["questions"][0]]}
    err = _raises(write_country({"more.yaml": extra}))
    assert err.file == "more.yaml" and err.field == "id" and "questions.yaml" in str(err)


def test_number_without_source(write_country: Writer, default_data: Data) -> None:
    kr = default_data("key_results.yaml")
    target = next(k for k in kr["key_results"] if k.get("threshold"))
    del target["threshold_source"]
    err = _raises(write_country({"key_results.yaml": kr}))
    assert getattr(err, "entry", None) == target["id"] and "threshold_source" in str(err)

    ev = default_data("evidence.yaml")
    del ev["effect_sizes"][2]["source"]
    err = _raises(
        write_country({"key_results.yaml": default_data("key_results.yaml"), "evidence.yaml": ev})
    )
    assert (err.file, getattr(err, "entry", None), err.field) == (
        "evidence.yaml",
        "preterm",
        "source",
    )


def test_indicator_without_source(write_country: Writer, default_data: Data) -> None:
    data = default_data("indicators.yaml")
    del data["indicators"][3]["source"]
    err = _raises(write_country({"indicators.yaml": data}))
    assert (getattr(err, "entry", None), err.field) == ("anc_first_trimester", "source")


def test_effect_size_ci_must_bracket_rr(write_country: Writer, default_data: Data) -> None:
    ev = default_data("evidence.yaml")
    ev["effect_sizes"][0]["ci_high"] = 0.80
    err = _raises(write_country({"evidence.yaml": ev}))
    assert err.file == "evidence.yaml" and getattr(err, "entry", None) == "lbw"


def test_evidence_type_indicator_needs_threshold(write_country: Writer, default_data: Data) -> None:
    kr = default_data("key_results.yaml")
    target = next(k for k in kr["key_results"] if k["evidence_type"] == "indicator")
    del target["threshold"]
    err = _raises(write_country({"key_results.yaml": kr}))
    assert getattr(err, "entry", None) == target["id"] and "threshold" in str(err)


def test_wrong_type_names_the_field(write_country: Writer, default_data: Data) -> None:
    data = default_data("phases.yaml")
    data["phases"][1]["order"] = "second"
    err = _raises(write_country({"phases.yaml": data}))
    assert (err.file, getattr(err, "entry", None), err.field) == (
        "phases.yaml",
        "introduce",
        "order",
    )


def test_invalid_yaml_names_the_line(write_country: Writer, default_data: Data) -> None:
    err = _raises(write_country({"pillars.yaml": "pillars:\n  - id: policy\n    name: [x\n"}))
    assert err.file == "pillars.yaml" and err.row is not None


def test_unexpected_key_in_replaced_file(write_country: Writer, default_data: Data) -> None:
    data = default_data("pillars.yaml")
    data["questions"] = []
    err = _raises(write_country({"pillars.yaml": data}))
    assert (err.file, err.field) == ("pillars.yaml", "questions")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="not found"):
        load_framework(tmp_path / "absent")


def test_default_is_valid() -> None:
    assert check_framework() == []


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Point the parsed-defaults disk cache at tmp_path and clear the in-process caches."""
    from mmsis.framework import loader

    monkeypatch.setenv("MMSIS_CACHE_DIR", str(tmp_path / "cache"))
    loader._default_raw.cache_clear()
    loader.clear_cache()
    yield tmp_path / "cache"
    loader._default_raw.cache_clear()
    loader.clear_cache()


def test_disk_cache_is_written_and_reused(fresh_cache: Path) -> None:
    from mmsis.framework import loader

    reference = load_framework().records("questions")
    files = list(fresh_cache.glob("framework-*.json"))
    assert len(files) == 1
    loader._default_raw.cache_clear()
    loader.clear_cache()
    assert load_framework().records("questions") == reference  # read back from JSON
    files[0].write_text("{not json", encoding="utf-8")
    loader._default_raw.cache_clear()
    loader.clear_cache()
    assert load_framework().records("questions") == reference  # corrupt cache is ignored


def test_disk_cache_can_be_disabled(monkeypatch: pytest.MonkeyPatch, fresh_cache: Path) -> None:
    monkeypatch.setenv("MMSIS_CACHE_DIR", "none")
    assert load_framework().phases
    assert not fresh_cache.exists()


def test_document_result_needs_evidence_and_no_threshold(
    write_country: Writer, default_data: Data
) -> None:
    kr = default_data("key_results.yaml")
    doc = next(k for k in kr["key_results"] if k["evidence_type"] == "document")
    doc["evidence"] = ""
    err = _raises(write_country({"key_results.yaml": kr}))
    assert getattr(err, "entry", None) == doc["id"] and "needs 'evidence'" in str(err)
    doc["evidence"] = "Minutes"
    doc["threshold"] = {"op": ">=", "value": 0.5}
    doc["threshold_source"] = "assumption"
    err = _raises(write_country({"key_results.yaml": kr}))
    assert getattr(err, "entry", None) == doc["id"] and "only to evidence_type" in str(err)
