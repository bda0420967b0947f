"""The programme workspace: a country team's state (phases, context, key results, data links).

Plain pydantic models saved as readable YAML for the CLI; the web workspace stores the same
model (``Programme.model_dump(mode="json")``) in its database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from mmsis.errors import InputError
from mmsis.plan.decisions import Action, Adaptation, StrategySpec

PHASES: tuple[str, ...] = ("explore", "introduce", "scale_up", "sustain")
PILLARS: tuple[str, ...] = ("policy", "financing", "supply", "delivery", "demand", "data")
KR_STATUSES: tuple[str, ...] = ("met", "partly", "not_met", "not_applicable")

Phase = Literal["explore", "introduce", "scale_up", "sustain"]
KRStatusValue = Literal["met", "partly", "not_met", "not_applicable"]
Decision = Literal["suggested", "accepted", "rejected"]


class StatusEvidence(BaseModel):
    """One piece of evidence behind a key-result status: a note, a file, a date, who."""

    note: str = ""
    file: str | None = None
    date: dt.date | None = None
    who: str | None = None


class KeyResultStatus(BaseModel):
    """The team's judgement on one key result (optionally for one region only)."""

    key_result: str
    status: KRStatusValue
    region: str | None = None
    evidence: list[StatusEvidence] = Field(default_factory=list)


class Measurement(BaseModel):
    """A measured indicator value (routine or survey) with its date and source."""

    value: float
    date: str
    source: str
    region: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None


class Region(BaseModel):
    """A subnational area; ``phases`` overrides the programme's phase for some pillars."""

    id: str
    name: str
    phases: dict[str, Phase] = Field(default_factory=dict)
    measurements: dict[str, Measurement] = Field(default_factory=dict)


class Context(BaseModel):
    """Country context that shapes the agenda and the impact estimates (shares 0-1)."""

    anaemia_prevalence: float | None = None
    anc1_coverage: float | None = None
    anc4_coverage: float | None = None
    lbw_rate: float | None = None
    pregnancies_per_year: float | None = None
    delivery_channels: list[str] = Field(default_factory=list)
    source: str = ""

    @field_validator("anaemia_prevalence", "anc1_coverage", "anc4_coverage", "lbw_rate")
    @classmethod
    def _share(cls, v: float | None) -> float | None:
        if v is not None and not 0.0 <= v <= 1.0:
            raise ValueError(f"must be a share between 0 and 1, got {v}")
        return v


class DataLinks(BaseModel):
    """Where the programme's data live: the local store, survey files, roll-out table and
    forecast scenario (paths relative to the plan file's folder); `mmsis report` reads them."""

    store: str | None = None
    surveys: list[str] = Field(default_factory=list)
    dhis2_url: str | None = None
    rollout: str | None = None
    scenario: str | None = None


class Barrier(BaseModel):
    """A CFIR construct the team flags as a barrier, with why."""

    cfir: str
    note: str = ""
    region: str | None = None


class StrategyChoice(BaseModel):
    """The team's decision on a suggested ERIC strategy for a flagged barrier, and once chosen
    its specification (actor, action, target, temporality, dose, outcome, justification)."""

    strategy: str
    cfir: str
    decision: Decision = "suggested"
    note: str = ""
    spec: StrategySpec | None = None


class QuestionRating(BaseModel):
    """The team's own 0-1 ratings of a question on some criteria (override the defaults)."""

    answerability: float | None = None
    decision_value: float | None = None
    equity: float | None = None
    feasibility: float | None = None
    kr_relevance: float | None = None
    partner: str | None = None
    timing: str | None = None

    @field_validator("answerability", "decision_value", "equity", "feasibility", "kr_relevance")
    @classmethod
    def _unit(cls, v: float | None) -> float | None:
        if v is not None and not 0.0 <= v <= 1.0:
            raise ValueError(f"ratings are 0-1, got {v}")
        return v


DEFAULT_WEIGHTS: dict[str, float] = {
    "answerability": 1.0,
    "decision_value": 2.0,
    "equity": 1.0,
    "feasibility": 1.0,
    "kr_relevance": 2.0,
}


class AgendaSettings(BaseModel):
    """How the team ranks questions: criterion weights and per-question ratings."""

    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    ratings: dict[str, QuestionRating] = Field(default_factory=dict)
    partners: dict[str, str] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown criteria {sorted(unknown)}; use {sorted(DEFAULT_WEIGHTS)}")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return {**DEFAULT_WEIGHTS, **v}


def _all_explore() -> dict[str, Phase]:
    return {p: "explore" for p in PILLARS}


class Programme(BaseModel):
    """A country (or subnational) MMS programme as its team sees it."""

    country: str
    name: str = ""
    level: Literal["national", "subnational"] = "national"
    phases: dict[str, Phase] = Field(default_factory=lambda: _all_explore())
    regions: list[Region] = Field(default_factory=list)
    context: Context = Field(default_factory=Context)
    key_results: list[KeyResultStatus] = Field(default_factory=list)
    measurements: dict[str, Measurement] = Field(default_factory=dict)
    data: DataLinks = Field(default_factory=DataLinks)
    barriers: list[Barrier] = Field(default_factory=list)
    strategies: list[StrategyChoice] = Field(default_factory=list)
    agenda: AgendaSettings = Field(default_factory=AgendaSettings)
    adaptations: list[Adaptation] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)

    @field_validator("phases")
    @classmethod
    def _pillars(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = set(v) - set(PILLARS)
        if unknown:
            raise ValueError(f"unknown pillars {sorted(unknown)}; use {list(PILLARS)}")
        return {p: v.get(p, "explore") for p in PILLARS}

    def phase_of(self, pillar: str, region: str | None = None) -> str:
        """The phase of a pillar, for a region when it overrides the national phase."""
        if region is not None:
            for r in self.regions:
                if r.id == region and pillar in r.phases:
                    return r.phases[pillar]
        return self.phases[pillar]

    def status_of(self, key_result: str, region: str | None = None) -> KeyResultStatus | None:
        """The team's status entry for a key result (regional entry first, then national)."""
        national = None
        for s in self.key_results:
            if s.key_result == key_result:
                if s.region == region:
                    return s
                if s.region is None:
                    national = s
        return national


def save_programme(programme: Programme, path: Path) -> None:
    """Write the programme as readable YAML (block style, keys in model order)."""
    data = programme.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(
        "# mmsis programme workspace: edit statuses, evidence, barriers and weights here.\n" + text,
        encoding="utf-8",
    )


def load_programme(path: Path) -> Programme:
    """Read a programme YAML file; errors name the file and the field at fault."""
    if not path.exists():
        raise InputError("plan file not found; create it with `mmsis plan init`", file=str(path))
    from mmsis.data import yamlread

    raw = yamlread.load_yaml(path)  # decoded by textio; size, depth and aliases bounded
    if not isinstance(raw, dict):
        raise InputError("expected a mapping at the top level", file=str(path))
    try:
        return Programme.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise InputError(f"{err['msg']}{more}", file=str(path), field=loc) from exc
