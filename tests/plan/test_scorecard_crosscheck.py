"""Scorecard edge cases and an independent recomputation of docs/plan.md's rules on seeded
random programmes (status precedence, weighted share, required open, verdict)."""

from __future__ import annotations

import random

import pytest

from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.plan.scorecard import assess
from mmsis.plan.workspace import PHASES, PILLARS, KeyResultStatus, Measurement, Programme, Region

CREDIT = {"met": 1.0, "partly": 0.5, "not_met": 0.0, "not_assessed": 0.0}
STATUSES = ["met", "partly", "not_met", "not_applicable"]


@pytest.fixture(scope="module")
def fw():  # type: ignore[no-untyped-def]
    return load_framework()


def _m(value: float, source: str = "test") -> Measurement:
    return Measurement(value=value, date="2024Q4", source=source)


def _expected(fw, prog: Programme, region: str | None, ready_share: float):  # type: ignore[no-untyped-def]
    """docs/plan.md's rules written out again, independently of mmsis.plan.scorecard."""
    reg = next((r for r in prog.regions if r.id == region), None)
    regional_m = reg.measurements if reg else {}
    status: dict[str, str] = {}
    for k in fw.key_results:
        entries = [s for s in prog.key_results if s.key_result == k.id]
        reg_team = [s for s in entries if region is not None and s.region == region]
        team = (reg_team or [s for s in entries if s.region is None] or [None])[0]
        if team is not None and team.status == "not_applicable":
            status[k.id] = "not_applicable"
            continue
        value = None
        if k.evidence_type == "indicator":
            if k.indicator in regional_m:
                value = regional_m[k.indicator].value
            elif not reg_team and k.indicator in prog.measurements:
                value = prog.measurements[k.indicator].value
        if value is not None:
            if fw.indicator(k.indicator).direction == "closer_to_zero":
                value = abs(value)
            op, t = k.threshold.op, k.threshold.value
            ok = {">=": value >= t, "<=": value <= t, ">": value > t, "<": value < t}[op]
            status[k.id] = "met" if ok else "not_met"
        else:
            status[k.id] = team.status if team else "not_assessed"
    cells, ready = {}, {}
    for pillar in PILLARS:
        for phase in PHASES:
            app = [k for k in fw.key_results
                   if k.phase == phase and k.pillar == pillar and status[k.id] != "not_applicable"]
            w = sum(k.weight for k in app)
            share = sum(k.weight * CREDIT[status[k.id]] for k in app) / w if w else None
            req = [k.id for k in app if k.required and status[k.id] != "met"]
            cells[(phase, pillar)] = (share, req)
        share, req = cells[(prog.phase_of(pillar, region), pillar)]
        ready[pillar] = share is not None and not req and share >= ready_share
    return status, cells, ready


def test_scorecard_matches_the_documented_rules_on_random_programmes(fw) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261130)
    indicators = sorted({k.indicator for k in fw.key_results if k.evidence_type == "indicator"})
    for _ in range(40):
        krs = [KeyResultStatus(key_result=k.id, status=rng.choice(STATUSES))
               for k in fw.key_results if rng.random() < 0.8]
        krs += [KeyResultStatus(key_result=k.id, status=rng.choice(STATUSES), region="R1")
                for k in fw.key_results if rng.random() < 0.2]

        def values() -> dict[str, Measurement]:
            return {i: _m(rng.choice([rng.random(), 0.05, 0.8, 0.9]) if fw.indicator(i).unit
                          in ("proportion", "ratio") else rng.uniform(-0.3, 60))
                    for i in indicators if rng.random() < 0.4}

        prog = Programme(
            country="X", phases={p: rng.choice(PHASES) for p in PILLARS}, key_results=krs,
            measurements=values(),
            regions=[Region(id="R1", name="R1", measurements=values(),
                            phases={p: rng.choice(PHASES) for p in PILLARS if rng.random() < .5})],
        )
        share_needed = rng.choice([0.5, 0.8, 1.0])
        for region in (None, "R1"):
            card = assess(prog, fw, region=region, ready_share=share_needed)
            status, cells, ready = _expected(fw, prog, region, share_needed)
            assert {i.key_result: i.status for i in card.items} == status
            for c in card.cells:
                share, req = cells[(c.phase, c.pillar)]
                assert c.share_met == pytest.approx(share) and c.required_open == req
            assert {v.pillar: v.ready for v in card.verdicts} == ready


def test_signed_wealth_gap_is_judged_by_its_size(fw) -> None:  # type: ignore[no-untyped-def]
    # wealth_gap_mms_coverage is Q5 - Q1 with direction closer_to_zero: a gap of -0.3 (poorest
    # far ahead) is as far from equity as +0.3, so `<= 0.1` must not be met by it.
    def status(gap: float) -> str:
        card = assess(Programme(country="X", measurements={"wealth_gap_mms_coverage": _m(gap)}),
                      fw)
        return next(i.status for i in card.items if i.key_result == "scale_up_data_equity")

    assert status(-0.3) == "not_met"
    assert status(0.3) == "not_met"
    assert status(-0.05) == "met"
    assert status(0.1) == "met"


def test_regional_status_wins_over_national_value(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(
        country="X",
        measurements={"stockout_rate": _m(0.01, "national LMIS")},
        key_results=[KeyResultStatus(key_result="introduce_supply_stockouts", status="not_met",
                                     region="R1")],
        regions=[Region(id="R1", name="R1"), Region(id="R2", name="R2")],
    )

    def item(region: str | None, **kw):  # type: ignore[no-untyped-def]
        card = assess(prog, fw, region=region, **kw)
        return next(i for i in card.items if i.key_result == "introduce_supply_stockouts")

    assert item(None).status == "met"  # national: the national value
    assert (item("R1").status, item("R1").basis) == ("not_met", "team")  # R1's own judgement
    assert item("R2").status == "met"  # R2 has nothing of its own: the national value
    # a regional value wins over everything, and over national `measured` passed in
    prog.regions[0].measurements["stockout_rate"] = _m(0.02, "R1 LMIS")
    r1 = item("R1", measured={"stockout_rate": {"value": 0.4, "date": "2024", "source": "n"}})
    assert (r1.status, r1.value_source) == ("met", "R1 LMIS")


def test_all_not_applicable_cell_has_no_share_and_blocks(fw) -> None:  # type: ignore[no-untyped-def]
    krs = [KeyResultStatus(key_result=k.id, status="not_applicable")
           for k in fw.key_results_for("explore", "policy")]
    card = assess(Programme(country="X", key_results=krs), fw)
    cell = next(c for c in card.cells if (c.phase, c.pillar) == ("explore", "policy"))
    assert cell.share_met is None and cell.n_applicable == 0 and cell.required_open == []
    v = next(v for v in card.verdicts if v.pillar == "policy")
    assert not v.ready and "no applicable key results" in "; ".join(v.reasons)


def test_percentage_given_for_a_proportion_is_refused(fw) -> None:  # type: ignore[no-untyped-def]
    prog = Programme(country="X", measurements={"mms_share_of_anc1": _m(85.0)})
    with pytest.raises(InputError, match="proportion") as exc:
        assess(prog, fw)
    assert exc.value.field == "measurements.mms_share_of_anc1.value"
