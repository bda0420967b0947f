"""Readiness scorecard: per phase x pillar, the weighted share of key results met, the
required ones still open, and a verdict on moving each pillar to its next phase.

Scoring rule (documented in docs/plan.md): credit met = 1, partly = 0.5, not met or not
assessed = 0; not applicable key results leave the denominator; the share is
sum(weight x credit) / sum(weight). A pillar is ready for its next phase when every required
key result of its current phase is met and the share is at least `ready_share` (default 0.8,
status: assumption, a team setting). Indicator-backed key results are judged from the
measured value against the framework threshold whenever a measurement exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from mmsis.errors import InputError
from mmsis.framework.framework import Framework
from mmsis.framework.models import KeyResult
from mmsis.plan.workspace import Measurement, Programme

CREDIT: dict[str, float] = {"met": 1.0, "partly": 0.5, "not_met": 0.0, "not_assessed": 0.0}
DEFAULT_READY_SHARE = 0.8

Status = Literal["met", "partly", "not_met", "not_applicable", "not_assessed"]


class KeyResultAssessment(BaseModel):
    """One key result judged: its status, where the status came from, and the value used."""

    key_result: str
    title: str
    phase: str
    pillar: str
    required: bool
    weight: float
    evidence_type: str
    status: Status
    basis: Literal["measured", "team", "none"]
    indicator: str | None = None
    threshold: str | None = None
    threshold_source: str | None = None
    value: float | None = None
    value_date: str | None = None
    value_source: str | None = None
    team_status: str | None = None
    evidence: str = ""
    note: str = ""

    @property
    def open(self) -> bool:
        """True when the key result still needs work (not met and applicable)."""
        return self.status not in ("met", "not_applicable")


class Cell(BaseModel):
    """One phase x pillar cell of the scorecard."""

    phase: str
    pillar: str
    n: int
    n_applicable: int
    n_met: int
    n_partly: int
    share_met: float | None
    required_open: list[str]
    current: bool


class PillarVerdict(BaseModel):
    """Whether a pillar may move from its current phase to the next, and why."""

    pillar: str
    phase: str
    next_phase: str | None
    share_met: float | None
    ready: bool
    verdict: str
    reasons: list[str] = Field(default_factory=list)


class Scorecard(BaseModel):
    """The readiness scorecard of a programme (optionally of one region)."""

    programme: str
    region: str | None = None
    ready_share: float
    phases: list[str]
    pillars: list[str]
    items: list[KeyResultAssessment]
    cells: list[Cell]
    verdicts: list[PillarVerdict]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per phase x pillar cell: share met, counts, required open, current."""
        rows = [
            {**c.model_dump(exclude={"required_open"}), "required_open": ", ".join(c.required_open)}
            for c in self.cells
        ]
        return pd.DataFrame(rows)

    def items_frame(self) -> pd.DataFrame:
        """One row per key result with its status, basis, value, date and source."""
        return pd.DataFrame([i.model_dump() for i in self.items])

    def verdicts_frame(self) -> pd.DataFrame:
        """One row per pillar: current phase, share met, verdict and reasons."""
        rows = [{**v.model_dump(), "reasons": "; ".join(v.reasons)} for v in self.verdicts]
        return pd.DataFrame(rows)

    def open_key_results(self, current_only: bool = True) -> list[KeyResultAssessment]:
        """Key results still open (in each pillar's current phase by default)."""
        current = {(c.phase, c.pillar) for c in self.cells if c.current}
        return [
            i for i in self.items if i.open and (not current_only or (i.phase, i.pillar) in current)
        ]

    def plot(self, path: Path) -> Path:
        """Draw the phase x pillar heat map (PNG or SVG by the file suffix)."""
        from mmsis.plan.charts import scorecard_heatmap

        return scorecard_heatmap(self, path)


def _check_scale(fw: Framework, indicator: str, m: Measurement, where: str) -> None:
    """Refuse a proportion measured outside 0-1 (a percentage would silently meet >= 0.8)."""
    try:
        unit = fw.indicator(indicator).unit
    except KeyError:
        return
    if unit == "proportion" and not 0.0 <= m.value <= 1.0:
        raise InputError(
            f"{indicator} is a proportion (0-1) but the measured value is {m.value:g}; "
            "give shares, not percentages", field=f"{where}.{indicator}.value",
        )


def _fmt_threshold(kr: KeyResult) -> str | None:
    return f"{kr.threshold.op} {kr.threshold.value:g}" if kr.threshold else None


def _threshold_met(kr: KeyResult, value: float, fw: Framework) -> bool:
    """Whether a value meets the key result's threshold; a gap whose indicator should be
    `closer_to_zero` (e.g. the signed Q5 - Q1 wealth gap) is compared by its size |value|."""
    assert kr.threshold is not None
    try:
        direction = fw.indicator(kr.indicator).direction if kr.indicator else None
    except KeyError:
        direction = None
    return kr.threshold.met(abs(value) if direction == "closer_to_zero" else value)


def _assess_one(
    kr: KeyResult,
    programme: Programme,
    national: Mapping[str, Measurement],
    regional: Mapping[str, Measurement],
    region: str | None,
    fw: Framework,
) -> KeyResultAssessment:
    team = programme.status_of(kr.id, region)
    team_is_regional = team is not None and region is not None and team.region == region
    evidence = "; ".join(
        " | ".join(x for x in (e.note, e.file, str(e.date) if e.date else None, e.who) if x)
        for e in (team.evidence if team else [])
    )
    base: dict[str, Any] = {
        "key_result": kr.id,
        "title": kr.title,
        "phase": kr.phase,
        "pillar": kr.pillar,
        "required": kr.required,
        "weight": kr.weight,
        "evidence_type": kr.evidence_type,
        "indicator": kr.indicator,
        "threshold": _fmt_threshold(kr),
        "threshold_source": kr.threshold_source,
        "team_status": team.status if team else None,
        "evidence": evidence,
    }
    if team is not None and team.status == "not_applicable":
        return KeyResultAssessment(**base, status="not_applicable", basis="team")
    if kr.evidence_type == "indicator" and kr.indicator and kr.threshold is not None:
        # regional value > regional team status > national value > national team status
        m = regional.get(kr.indicator)
        if m is None and not team_is_regional:
            m = national.get(kr.indicator)
        if m is not None:
            ok = _threshold_met(kr, m.value, fw)
            note = (
                f"{kr.indicator} = {m.value:.3g} ({m.date}) "
                f"{'meets' if ok else 'does not meet'} {_fmt_threshold(kr)}"
            )
            if team is not None and (team.status == "met") != ok:
                note += f"; the team recorded '{team.status}'"
            return KeyResultAssessment(
                **base,
                status="met" if ok else "not_met",
                basis="measured",
                value=m.value,
                value_date=m.date,
                value_source=m.source,
                note=note,
            )
    if team is not None:
        return KeyResultAssessment(**base, status=team.status, basis="team")
    note = "no measured value and no team status" if kr.evidence_type == "indicator" else ""
    return KeyResultAssessment(**base, status="not_assessed", basis="none", note=note)


def _cell(phase: str, pillar: str, items: list[KeyResultAssessment], current: bool) -> Cell:
    applicable = [i for i in items if i.status != "not_applicable"]
    wsum = sum(i.weight for i in applicable)
    share = sum(i.weight * CREDIT[i.status] for i in applicable) / wsum if wsum > 0 else None
    return Cell(
        phase=phase,
        pillar=pillar,
        n=len(items),
        n_applicable=len(applicable),
        n_met=sum(i.status == "met" for i in items),
        n_partly=sum(i.status == "partly" for i in items),
        share_met=share,
        required_open=[i.key_result for i in applicable if i.required and i.status != "met"],
        current=current,
    )


def _verdict(
    pillar: str, phase: str, next_phase: str | None, cell: Cell, items: list[KeyResultAssessment],
    ready_share: float,
) -> PillarVerdict:
    reasons: list[str] = []
    by_id = {i.key_result: i for i in items}
    for kid in cell.required_open:
        i = by_id[kid]
        why = i.note if i.basis == "measured" else f"status: {i.status.replace('_', ' ')}"
        reasons.append(f"required '{i.title}' ({kid}) is open: {why}")
    share = cell.share_met
    if share is None:
        reasons.append("no applicable key results in this phase")
    elif share < ready_share:
        reasons.append(f"weighted share met {share:.0%} is below {ready_share:.0%}")
    ready = share is not None and not cell.required_open and share >= ready_share
    if next_phase is None:
        verdict = "sustaining: last phase" if ready else "strengthen sustainment"
    elif ready:
        verdict = f"ready to move to {next_phase}"
        reasons.append(
            f"all required key results met and {share:.0%} of the weighted key results met"
        )
    else:
        verdict = f"stay in {phase}"
    return PillarVerdict(
        pillar=pillar, phase=phase, next_phase=next_phase, share_met=share, ready=ready,
        verdict=verdict, reasons=reasons,
    )


def assess(
    programme: Programme,
    fw: Framework,
    measured: Mapping[str, Measurement | Mapping[str, Any]] | None = None,
    region: str | None = None,
    ready_share: float = DEFAULT_READY_SHARE,
) -> Scorecard:
    """Score every phase x pillar cell and judge each pillar's move to its next phase.

    `measured` (indicator id -> {value, date, source}) adds to or replaces the programme's own
    (national) measurements; for a region, the region's own measurements and statuses win over
    national ones. A proportion outside 0-1 (e.g. a percentage) is an InputError.
    """
    national: dict[str, Measurement] = dict(programme.measurements)
    for k, v in (measured or {}).items():
        national[k] = v if isinstance(v, Measurement) else Measurement.model_validate(v)
    regional: dict[str, Measurement] = {}
    if region is not None:
        reg = next((r for r in programme.regions if r.id == region), None)
        if reg is None:
            known = ", ".join(r.id for r in programme.regions)
            raise InputError(f"unknown region '{region}' (known: {known})", field="region")
        regional = dict(reg.measurements)
    for where, values in (("measurements", national), ("regions.measurements", regional)):
        for k, m in values.items():
            _check_scale(fw, k, m, where)
    phase_ids = [p.id for p in fw.phases]
    pillar_ids = [p.id for p in fw.pillars]
    items = [
        _assess_one(kr, programme, national, regional, region, fw) for kr in fw.key_results
    ]
    cells: list[Cell] = []
    verdicts: list[PillarVerdict] = []
    for pillar in pillar_ids:
        current = programme.phase_of(pillar, region)
        for phase in phase_ids:
            cell_items = [i for i in items if i.phase == phase and i.pillar == pillar]
            cells.append(_cell(phase, pillar, cell_items, phase == current))
        pos = phase_ids.index(current)
        nxt = phase_ids[pos + 1] if pos + 1 < len(phase_ids) else None
        cur_cell = next(c for c in cells if c.pillar == pillar and c.phase == current)
        cur_items = [i for i in items if i.phase == current and i.pillar == pillar]
        verdicts.append(_verdict(pillar, current, nxt, cur_cell, cur_items, ready_share))
    return Scorecard(
        programme=programme.name or programme.country,
        region=region,
        ready_share=ready_share,
        phases=phase_ids,
        pillars=pillar_ids,
        items=items,
        cells=cells,
        verdicts=verdicts,
    )
