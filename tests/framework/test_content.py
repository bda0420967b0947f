"""The bundled knowledge base meets the issue's content requirements."""

from __future__ import annotations

import collections
import itertools

from mmsis.framework import load_framework

REQUIRED_INDICATORS = [
    "anc1_coverage",
    "anc4_coverage",
    "anc8_coverage",
    "anc_first_trimester",
    "mms_received_any",
    "mms_received_180",
    "mms_consumed_180",
    "ifa_received_any",
    "supplement_days_90plus",
    "adherence_ratio",
    "adherence_90pct",
    "mms_share_of_anc1",
    "mms_tablets_per_client",
    "pregnancies_reaching_180",
    "ifa_to_mms_transition_share",
    "months_of_stock",
    "stockout_rate",
    "stock_between_min_max",
    "lmis_accuracy",
    "reporting_completeness",
    "reporting_timeliness",
    "wealth_gap_mms_coverage",
    "urban_rural_gap_mms_coverage",
    "slope_index_inequality",
    "cost_per_pregnancy_covered",
    "cost_per_daly_averted",
    "acceptability_aim",
    "appropriateness_iam",
    "feasibility_fim",
    "counselling_fidelity",
]


def test_phase_and_pillar_ids_are_exact() -> None:
    fw = load_framework()
    assert [p.id for p in fw.phases] == ["explore", "introduce", "scale_up", "sustain"]
    assert [p.id for p in fw.pillars] == [
        "policy",
        "financing",
        "supply",
        "delivery",
        "demand",
        "data",
    ]
    for p in fw.phases:
        assert p.purpose and p.entry_criteria and p.exit_criteria
        assert p.hmhb_stage and 1 <= p.world_map_category <= 4
        assert p.epis_stage in {e.id for e in fw.epis}


def test_phases_map_to_hmhb_world_map_and_epis() -> None:
    fw = load_framework()
    assert [p.world_map_category for p in fw.phases] == [2, 3, 4, 4]
    assert fw.phase("explore").epis_stages == ["exploration", "preparation"]
    assert fw.phase("sustain").epis_stage == "sustainment"


def test_at_least_two_key_results_per_phase_pillar_cell() -> None:
    fw = load_framework()
    counts = collections.Counter((k.phase, k.pillar) for k in fw.key_results)
    cells = list(itertools.product([p.id for p in fw.phases], [p.id for p in fw.pillars]))
    assert len(cells) == 24
    assert all(counts[c] >= 2 for c in cells), {c: counts[c] for c in cells if counts[c] < 2}
    assert len(fw.key_results) >= 48


def test_indicator_key_results_have_threshold_and_its_source() -> None:
    fw = load_framework()
    ind = [k for k in fw.key_results if k.evidence_type == "indicator"]
    assert len(ind) >= 24
    for k in ind:
        assert k.indicator is not None and k.threshold is not None and k.threshold_source
        fw.indicator(k.indicator)
    stock = fw.key_result("introduce_supply_stockouts")
    assert (stock.indicator, stock.threshold.op, stock.threshold.value) == (  # type: ignore[union-attr]
        "stockout_rate",
        "<=",
        0.05,
    )
    assert stock.threshold_source == "assumption"
    for k in fw.key_results:
        if k.evidence_type != "indicator":
            assert k.evidence, k.id


def test_outcomes_are_proctor_plus_mms() -> None:
    fw = load_framework()
    assert {o.id for o in fw.outcomes} == {
        "acceptability",
        "adoption",
        "appropriateness",
        "feasibility",
        "fidelity",
        "implementation_cost",
        "penetration",
        "sustainability",
        "coverage",
        "adherence",
        "equity",
        "cost_effectiveness",
    }
    assert any("AIM" in i for i in fw.outcome("acceptability").instruments)
    assert any("IAM" in i for i in fw.outcome("appropriateness").instruments)
    assert any("FIM" in i for i in fw.outcome("feasibility").instruments)


def test_indicator_reference_sheets() -> None:
    fw = load_framework()
    assert len(fw.indicators) >= 30
    ids = {i.id for i in fw.indicators}
    assert set(REQUIRED_INDICATORS) <= ids, set(REQUIRED_INDICATORS) - ids
    for i in fw.indicators:
        assert i.numerator and i.denominator and i.source and i.definition and i.frequency
    assert fw.indicator("anc4_coverage").dhs_mapping.startswith("m14")  # type: ignore[union-attr]
    assert fw.indicator("mms_share_of_anc1").dhis2_mapping == "#{mms_clients} / #{anc1}"


def test_frameworks_cfir_reaim_epis_eric() -> None:
    fw = load_framework()
    assert [d.id for d in fw.cfir] == [
        "innovation",
        "outer_setting",
        "inner_setting",
        "individuals",
        "implementation_process",
    ]
    assert len(fw.cfir_constructs()) >= 39
    assert [r.id for r in fw.reaim] == [
        "reach",
        "effectiveness",
        "adoption",
        "implementation",
        "maintenance",
    ]
    assert [e.id for e in fw.epis] == [
        "exploration",
        "preparation",
        "implementation",
        "sustainment",
    ]
    sizes = {k: len(v) for k, v in fw.eric_by_cluster().items()}
    # Waltz 2015: the 73 ERIC strategies fall in 9 clusters of these sizes.
    assert sorted(sizes.values()) == [4, 4, 5, 5, 8, 9, 10, 11, 17]
    assert len(fw.eric) == 73


def test_designs_include_hybrids_and_others() -> None:
    fw = load_framework()
    assert sorted(d.hybrid_type for d in fw.designs if d.hybrid_type) == [1, 2, 3]
    ids = {d.id for d in fw.designs}
    assert {
        "cluster_rct",
        "stepped_wedge",
        "interrupted_time_series",
        "controlled_its_did",
        "mixed_methods",
        "rapid_formative",
        "process_evaluation",
        "costing_cea",
        "coverage_survey",
    } <= ids
    for p in fw.phases:
        assert fw.designs_for(p.id)


def test_question_bank() -> None:
    fw = load_framework()
    assert len(fw.questions) >= 80
    for q in fw.questions:
        assert q.phases and q.pillars and q.outcomes and q.designs and q.data_sources
    for p in fw.phases:
        for pil in fw.pillars:
            assert fw.questions_for(phase=p.id, pillar=pil.id), (p.id, pil.id)
    for o in fw.outcomes:
        assert fw.questions_for(outcome=o.id), o.id
    texts = " ".join(q.text.lower() for q in fw.questions)
    for topic in [
        "bottle size",
        "pharmac",
        "counselling",
        "ifa -> mms",
        "stock-out",
        "wealth",
        "cost",
        "local manufactur",
        "dhis2",
        "essential medicines",
    ]:
        assert topic in texts, topic


def test_evidence_matches_domain_brief() -> None:
    fw = load_framework()
    lbw = fw.effect_size("lbw")
    assert (lbw.rr, lbw.ci_low, lbw.ci_high, lbw.status) == (0.88, 0.85, 0.91, "confirmed")
    assert fw.evidence.mortality_multiplier("preterm_sga").rr == 15.42
    assert fw.evidence.anchor("kashi_2019_pakistan").cost_per_daly_usd == 41.54
    assert fw.evidence.anchor("engle_stone_2019").value("cost_per_daly_usd_high") == 15
    prod = fw.evidence.product
    assert prod.tablets_per_pregnancy == 180 and len(prod.composition) == 15
    assert prod.price_per_tablet_usd.status == "assumption"


def test_routine_indicator_ids_have_reference_sheets() -> None:
    """The routine engine's indicator ids (its own file) all have a sheet here."""
    import pytest
    import yaml

    from mmsis.framework import DATA_DIR

    path = DATA_DIR / "routine_indicators.yaml"
    if not path.exists():
        pytest.skip("routine_indicators.yaml not present")
    routine = yaml.safe_load(path.read_text(encoding="utf-8"))
    ids = {i["id"] for i in routine.get("indicators", [])}
    known = {i.id for i in load_framework().indicators}
    assert ids and ids <= known, ids - known
