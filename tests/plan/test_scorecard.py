"""Readiness scorecard: weighted shares, required key results, indicator thresholds, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.plan.scorecard import assess
from mmsis.plan.workspace import (
    KeyResultStatus,
    Measurement,
    Programme,
    Region,
    StatusEvidence,
    load_programme,
    save_programme,
)


@pytest.fixture(scope="module")
def fw():  # type: ignore[no-untyped-def]
    return load_framework()


def _all(fw, phase: str, pillar: str, status: str) -> list[KeyResultStatus]:  # type: ignore[no-untyped-def]
    krs = fw.key_results_for(phase, pillar)
    return [KeyResultStatus(key_result=k.id, status=status) for k in krs]


def test_weighted_share_by_hand(fw) -> None:  # type: ignore[no-untyped-def]
    krs = fw.key_results_for("explore", "financing")
    assert len(krs) >= 2
    statuses = [KeyResultStatus(key_result=krs[0].id, status="met"),
                KeyResultStatus(key_result=krs[1].id, status="partly")]
    card = assess(Programme(country="X", key_results=statuses), fw)
    cell = next(c for c in card.cells if c.phase == "explore" and c.pillar == "financing")
    w = [k.weight for k in krs]
    expected = (w[0] * 1.0 + w[1] * 0.5) / sum(w)
    assert cell.share_met == pytest.approx(expected, rel=1e-12)
    # the partly-met required one is still open; the unassessed required ones too
    open_req = {k.id for k in krs[1:] if k.required}
    assert set(cell.required_open) == open_req


def test_not_applicable_leaves_the_denominator(fw) -> None:  # type: ignore[no-untyped-def]
    krs = fw.key_results_for("explore", "policy")
    statuses = [KeyResultStatus(key_result=krs[0].id, status="met")] + [
        KeyResultStatus(key_result=k.id, status="not_applicable") for k in krs[1:]
    ]
    card = assess(Programme(country="X", key_results=statuses), fw)
    cell = next(c for c in card.cells if c.phase == "explore" and c.pillar == "policy")
    assert cell.share_met == 1.0 and cell.n_applicable == 1 and cell.required_open == []


def test_ready_verdict_when_all_met(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(country="X", key_results=_all(fw, "explore", "policy", "met"))
    card = assess(prog, fw)
    v = next(v for v in card.verdicts if v.pillar == "policy")
    assert v.ready and v.next_phase == "introduce" and v.verdict == "ready to move to introduce"
    v2 = next(v for v in card.verdicts if v.pillar == "supply")
    assert not v2.ready and v2.verdict == "stay in explore"
    assert any("is open" in r for r in v2.reasons)


def test_share_below_threshold_blocks_even_without_required_open(fw) -> None:  # type: ignore[no-untyped-def]
    krs = fw.key_results_for("explore", "financing")
    optional = [k for k in krs if not k.required]
    assert optional, "needs an optional key result in explore x financing"
    statuses = [KeyResultStatus(key_result=k.id, status="met" if k.required else "not_met")
                for k in krs]
    card = assess(Programme(country="X", key_results=statuses), fw, ready_share=0.99)
    v = next(v for v in card.verdicts if v.pillar == "financing")
    assert not v.ready and any("below 99%" in r for r in v.reasons)


def test_indicator_key_result_judged_from_measured_value(fw) -> None:  # type: ignore[no-untyped-def]
    kr = fw.key_result("introduce_supply_stockouts")
    assert kr.threshold is not None and kr.indicator == "stockout_rate"
    prog = Programme(country="X", phases={"supply": "introduce"},
                     key_results=[KeyResultStatus(key_result=kr.id, status="met")])
    bad = kr.threshold.value + 0.03 if kr.threshold.op in ("<=", "<") else kr.threshold.value - 0.03
    card = assess(prog, fw, measured={"stockout_rate": {"value": bad, "date": "2024-12",
                                                        "source": "LMIS"}})
    item = next(i for i in card.items if i.key_result == kr.id)
    assert item.status == "not_met" and item.basis == "measured"
    assert item.value == bad and item.value_date == "2024-12" and item.value_source == "LMIS"
    assert "the team recorded 'met'" in item.note
    good = kr.threshold.value - 0.01 if kr.threshold.op in ("<=", "<") else kr.threshold.value
    card = assess(prog, fw, measured={"stockout_rate": Measurement(value=good, date="2024-12",
                                                                   source="LMIS")})
    assert next(i for i in card.items if i.key_result == kr.id).status == "met"


def test_region_phase_and_measurements_override(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(
        country="X", phases={"supply": "scale_up"},
        regions=[Region(id="R1", name="North", phases={"supply": "introduce"},
                        measurements={"stockout_rate": Measurement(value=0.5, date="2024",
                                                                   source="LMIS R1")})],
    )
    card = assess(prog, fw, region="R1")
    assert next(v for v in card.verdicts if v.pillar == "supply").phase == "introduce"
    item = next(i for i in card.items if i.key_result == "introduce_supply_stockouts")
    assert item.value == 0.5 and item.value_source == "LMIS R1"
    with pytest.raises(InputError, match="unknown region"):
        assess(prog, fw, region="nowhere")


def test_yaml_round_trip_and_errors(tmp_path: Path) -> None:
    prog = Programme(country="X", key_results=[KeyResultStatus(
        key_result="explore_policy_tag", status="partly",
        evidence=[StatusEvidence(note="draft decree", file="d.pdf", who="MoH")])])
    path = tmp_path / "plan.yaml"
    save_programme(prog, path)
    text = path.read_text()
    assert "explore_policy_tag" in text and "draft decree" in text
    assert load_programme(path) == prog
    path.write_text(text.replace("status: partly", "status: halfway"))
    with pytest.raises(InputError) as exc:
        load_programme(path)
    assert exc.value.field == "key_results.0.status" and exc.value.file == str(path)
    with pytest.raises(InputError, match="not found"):
        load_programme(tmp_path / "missing.yaml")


def test_heatmap_written(tmp_path: Path, fw) -> None:  # type: ignore[no-untyped-def]
    card = assess(Programme(country="X"), fw)
    for suffix in ("png", "svg"):
        out = card.plot(tmp_path / f"heat.{suffix}")
        assert out.stat().st_size > 1000
    assert out.read_text().lstrip().startswith("<?xml")
