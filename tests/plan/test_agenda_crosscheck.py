"""IR agenda cross-checks: the documented score and tie-break recomputed on seeded random
programmes, regional scorecards, bad settings, and indicators that exist in the KB."""

from __future__ import annotations

import random

import pytest

from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.plan.agenda import CRITERIA, build_agenda
from mmsis.plan.scorecard import assess
from mmsis.plan.workspace import (
    PHASES,
    PILLARS,
    KeyResultStatus,
    Programme,
    Region,
    load_programme,
)


@pytest.fixture(scope="module")
def fw():  # type: ignore[no-untyped-def]
    return load_framework()


def test_score_order_and_indicators_on_random_programmes(fw) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(2)
    indicators = {i.id for i in fw.indicators}
    for _ in range(25):
        phases = {p: rng.choice(PHASES) for p in PILLARS}
        krs = [KeyResultStatus(key_result=k.id,
                               status=rng.choice(["met", "partly", "not_met", "not_applicable"]))
               for k in fw.key_results if rng.random() < 0.7]
        weights = {c: rng.choice([0.0, 0.5, 1.0, 2.0, 3.0]) for c in CRITERIA}
        weights["equity"] += 1.0
        prog = Programme(country="X", phases=phases, key_results=krs,
                         agenda={"weights": weights})
        items = build_agenda(prog, fw, assess(prog, fw), top=None).items
        # every question tagged for a current phase is a candidate
        expected = {q.id for q in fw.questions
                    if any(phases[p] in q.phases for p in q.pillars)}
        assert expected <= {it.question for it in items}
        raw = []
        for it in items:
            s = sum(weights[c] * it.ratings[c] for c in CRITERIA) / sum(weights.values())
            assert it.score == pytest.approx(s, abs=1e-4)
            assert all(0.0 <= v <= 1.0 for v in it.ratings.values())
            assert set(it.indicators) <= indicators  # each has a reference sheet in the KB
            raw.append((-round(s, 9), it.question))
        # highest score first; equal scores (float noise aside) by question id
        assert raw == sorted(raw)
        assert [it.rank for it in items] == list(range(1, len(items) + 1))


def test_regional_scorecard_drives_the_phases(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(country="X", phases={p: "scale_up" for p in PILLARS},
                     regions=[Region(id="W", name="West", phases={"delivery": "explore"})])
    national = build_agenda(prog, fw, assess(prog, fw), top=None)
    west = build_agenda(prog, fw, assess(prog, fw, region="W"), top=None)
    explore_delivery = {q.id for q in fw.questions
                        if "delivery" in q.pillars and "explore" in q.phases
                        and "scale_up" not in q.phases}
    assert explore_delivery
    assert explore_delivery <= {it.question for it in west.items}
    assert not explore_delivery & {it.question for it in national.items}


def test_bad_top_weights_and_ratings_are_refused(fw, tmp_path) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(country="X")
    card = assess(prog, fw)
    with pytest.raises(InputError, match="top"):
        build_agenda(prog, fw, card, top=0)
    with pytest.raises(InputError, match="unknown criteria"):
        build_agenda(prog, fw, card, weights={"speed": 1.0})
    with pytest.raises(InputError, match=">= 0"):
        build_agenda(prog, fw, card, weights={"equity": -1.0})
    plan = tmp_path / "plan.yaml"
    plan.write_text("country: X\nagenda:\n  ratings:\n    q_any:\n      equity: 4\n")
    with pytest.raises(InputError, match="0-1") as exc:
        load_programme(plan)
    assert exc.value.field == "agenda.ratings.q_any.equity"
