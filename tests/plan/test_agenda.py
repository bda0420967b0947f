"""IR agenda: selection by phase, transparent scores, team weights and ratings, designs with
sample sizes from mmsis.design, and ERIC suggestions for flagged CFIR barriers."""

from __future__ import annotations

import pytest

from mmsis.demos.examples import example_programme
from mmsis.design.survey import survey_sample_size
from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.plan.agenda import CRITERIA, agenda_defaults, build_agenda
from mmsis.plan.decisions import StrategySpec
from mmsis.plan.scorecard import assess
from mmsis.plan.strategies import cfir_eric_map, suggest_strategies
from mmsis.plan.workspace import Barrier, Measurement, Programme, QuestionRating, StrategyChoice


@pytest.fixture(scope="module")
def fw():  # type: ignore[no-untyped-def]
    return load_framework()


@pytest.fixture(scope="module")
def example(fw):  # type: ignore[no-untyped-def]
    prog = example_programme()
    return prog, assess(prog, fw)


def test_questions_fit_the_current_phase_and_are_ranked(fw, example) -> None:  # type: ignore[no-untyped-def]
    prog, card = example
    agenda = build_agenda(prog, fw, card, top=8)
    assert len(agenda.items) == 8 and agenda.n_candidates > 8
    scores = [it.score for it in agenda.items]
    assert scores == sorted(scores, reverse=True)
    for it in agenda.items:
        assert any(prog.phase_of(p) in it.phases for p in it.pillars if p in prog.phases)


def test_score_is_the_weighted_mean_of_the_ratings(fw, example) -> None:  # type: ignore[no-untyped-def]
    prog, card = example
    agenda = build_agenda(prog, fw, card, top=5)
    w = agenda.weights
    for it in agenda.items:
        expected = sum(w[c] * it.ratings[c] for c in CRITERIA) / sum(w.values())
        assert it.score == pytest.approx(expected, abs=1e-4)
        assert set(it.rating_basis) == set(CRITERIA)


def test_team_weights_and_ratings_change_the_ranking(fw, example) -> None:  # type: ignore[no-untyped-def]
    prog, card = example
    base = build_agenda(prog, fw, card, top=None)
    last = base.items[-1].question
    rated = prog.model_copy(deep=True)
    rated.agenda.ratings[last] = QuestionRating(
        answerability=1, decision_value=1, equity=1, feasibility=1, kr_relevance=1,
        partner="University X", timing="Q3 2025")
    top = build_agenda(rated, fw, card, top=1).items[0]
    assert top.question == last and top.score == pytest.approx(1.0)
    assert top.partner == "University X" and top.timing == "Q3 2025"
    assert top.rating_basis["equity"] == "team rating"
    # only feasibility counts: the top question is one with the most feasible design
    feas = build_agenda(prog, fw, card, top=3, weights={
        "answerability": 0, "decision_value": 0, "equity": 0, "kr_relevance": 0,
        "feasibility": 1})
    best = max(it.ratings["feasibility"] for it in base.items)
    assert feas.items[0].ratings["feasibility"] == best


def test_weights_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown criteria"):
        Programme.model_validate({"country": "X", "agenda": {"weights": {"speed": 1}}})


def test_sample_size_comes_from_mmsis_design(fw, example) -> None:  # type: ignore[no-untyped-def]
    prog, card = example
    agenda = build_agenda(prog, fw, card, top=None)
    surveys = [it for it in agenda.items if it.design == "coverage_survey"]
    assert surveys
    spec = dict(agenda_defaults()["designs"]["coverage_survey"]["sample_size"])
    spec.pop("kind"), spec.pop("source")
    assert surveys[0].sample_size.n == survey_sample_size(**spec).n_total
    assert surveys[0].sample_size.function == "mmsis.design.survey.survey_sample_size"
    for it in agenda.items:
        assert it.design in fw.question(it.question).designs
        assert it.sample_size.summary


def test_weak_measured_outcome_pulls_questions_in(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(country="X", phases={p: "explore" for p in
                                          ("policy", "financing", "supply", "delivery",
                                           "demand", "data")})
    prog.measurements["stockout_rate"] = Measurement(value=0.4, date="2024-12", source="LMIS")
    card = assess(prog, fw)
    agenda = build_agenda(prog, fw, card, top=None)
    weak = fw.indicator("stockout_rate").outcome
    pulled = [it for it in agenda.items if any("weak" in w for w in it.why)]
    assert pulled and all(weak in it.outcomes for it in pulled)


def test_eric_suggestions_cover_every_cfir_construct_with_valid_ids(fw) -> None:  # type: ignore[no-untyped-def]
    mapping = cfir_eric_map()
    assert "Waltz" in mapping["source"] and mapping["status"] == "assumption"
    assert set(mapping["strategies"]) == {c.id for c in fw.cfir_constructs()}
    for ids in mapping["strategies"].values():
        for sid in ids:
            fw.eric_strategy(sid)


def test_suggestions_carry_team_decisions(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(
        country="X", barriers=[Barrier(cfir="innovation_cost", note="fear of cost")],
        strategies=[StrategyChoice(cfir="innovation_cost", strategy="access_new_funding",
                                   decision="accepted", note="donor window")],
    )
    df = suggest_strategies(prog, fw)
    assert list(df["strategy"]) == cfir_eric_map()["strategies"]["innovation_cost"]
    row = df[df["strategy"] == "access_new_funding"].iloc[0]
    assert row["decision"] == "accepted" and row["team_note"] == "donor window"
    assert set(df[df["strategy"] != "access_new_funding"]["decision"]) == {"suggested"}
    assert row["spec_actor"] == "" and row["spec_missing"].count(",") == 6  # none specified
    prog.strategies[0].spec = StrategySpec(actor="district pharmacist", action="apply to the "
                                           "donor window", dose="once", outcome="adoption")
    row = suggest_strategies(prog, fw).set_index("strategy").loc["access_new_funding"]
    assert row["spec_actor"] == "district pharmacist" and row["spec_dose"] == "once"
    assert row["spec_missing"] == "target, temporality, justification"
    prog.barriers.append(Barrier(cfir="vibes"))
    with pytest.raises(InputError) as exc:
        suggest_strategies(prog, fw)
    assert exc.value.field == "barriers.1.cfir"


def test_designs_fit_the_questions_data(fw) -> None:  # type: ignore[no-untyped-def]
    from mmsis.plan.agenda import design_fits_data

    prog = example_programme()
    prog.phases = {p: "introduce" for p in prog.phases}
    agenda = build_agenda(prog, fw, assess(prog, fw), top=None)
    for it in agenda.items:
        q = fw.question(it.question)
        assert it.design, it.question
        assert design_fits_data(fw.design(it.design), q), it.question
    pharmacy = next(it for it in agenda.items if it.question == "q_delivery_pharmacy_channel")
    # routine DHIS2 data cannot see pharmacy sales: no ITS/DiD for this question
    assert pharmacy.design == "hybrid_type2"
    assert any("HMIS" in why and "does not use" in why for why in pharmacy.designs_set_aside)
