"""Query functions: filters, records and top questions."""

from __future__ import annotations

import pytest

from mmsis.errors import InputError
from mmsis.framework import Threshold, load_framework


def test_key_results_for_filters_exactly() -> None:
    fw = load_framework()
    krs = fw.key_results_for(phase="scale_up", pillar="financing")
    assert krs and all(k.phase == "scale_up" and k.pillar == "financing" for k in krs)
    assert len(fw.key_results_for(phase="explore")) == sum(
        k.phase == "explore" for k in fw.key_results
    )


def test_questions_for_orders_by_priority() -> None:
    fw = load_framework()
    qs = fw.questions_for(phase="introduce", pillar="demand")
    assert qs and all("introduce" in q.phases and "demand" in q.pillars for q in qs)
    ranks = [{"high": 0, "medium": 1, "low": 2}[q.priority] for q in qs]
    assert ranks == sorted(ranks)


def test_top_questions_spread_across_pillars() -> None:
    fw = load_framework()
    top = fw.top_questions("introduce", n=6)
    assert len(top) == 6 and all("introduce" in q.phases for q in top)
    assert len({q.pillars[0] for q in top}) == 6


def test_indicators_for_phase_are_those_used_there() -> None:
    fw = load_framework()
    used = {i.id for i in fw.indicators_for(phase="sustain")}
    assert "domestic_financing_share" in used
    assert "feasibility_fim" not in used  # only used in explore/introduce entries


def test_records_are_plain_dicts() -> None:
    fw = load_framework()
    recs = fw.records("results", phase="introduce", pillar="data")
    assert recs and all(r["phase"] == "introduce" and r["pillar"] == "data" for r in recs)
    assert fw.records("designs", phase="explore")
    assert all("explore" in r["phases"] for r in fw.records("designs", phase="explore"))
    with pytest.raises(InputError):
        fw.records("results", outcome="joy")


def test_threshold_met() -> None:
    assert Threshold(op="<=", value=0.05).met(0.05)
    assert not Threshold(op="<", value=0.05).met(0.05)
    assert Threshold(op=">=", value=0.9).met(0.95) and not Threshold(op=">", value=0.9).met(0.9)
