"""The programme team's workspace as data: phases, key-result statuses with evidence, regions,
context, data links, barriers, strategies, agenda settings, decisions and actions.

These pydantic models are what a country team records about its programme (the plan file
`mmsis-plan.yaml`, the web workspace's saved programme); they sit in `data` so that the typed
programme (`mmsis.data.programme.CountryProgramme.statuses`) can carry them to every layer.
`mmsis.plan.workspace` reads and writes them as YAML and `mmsis.plan` computes from them
(scorecard, agenda, strategies, roadmap); `mmsis.plan.workspace` and `mmsis.plan.decisions`
re-export the names, so either import gives the same classes.

Strategy specifications follow Proctor, Powell & McMillen (Implement Sci 2013;8:139);
adaptations carry the fields of FRAME-IS (Miller, Wiltsey-Stirman & Baumann, Implement Sci
2021;16:36).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, field_validator

__all__ = [
    "ACTION_STATUSES", "DEFAULT_WEIGHTS", "KR_STATUSES", "MODIFIED", "NATURE", "OPEN_STATUSES",
    "PHASES", "PILLARS", "REASON_LEVELS", "Action", "Adaptation", "AgendaSettings", "Barrier",
    "Context", "DataLinks", "Decision", "KRStatusValue", "KeyResultStatus", "Measurement",
    "Phase", "Programme", "QuestionRating", "Region", "StatusEvidence", "StrategyChoice",
    "StrategySpec",
]

_Modified = Literal["content", "context", "evaluation", "training", "implementation_strategy",
                    "other"]
_Nature = Literal["adding", "removing", "tailoring", "lengthening", "shortening",
                  "substituting", "reordering", "integrating", "repeating",
                  "loosening_structure", "other"]
_ReasonLevel = Literal["sociopolitical", "organisation", "implementer", "recipient"]
_ActionStatus = Literal["not_started", "in_progress", "done", "blocked", "dropped"]

MODIFIED: tuple[str, ...] = get_args(_Modified)
"""FRAME-IS's what is modified."""
NATURE: tuple[str, ...] = get_args(_Nature)
"""FRAME-IS's nature of modification (content), as its coding manual lists them."""
REASON_LEVELS: tuple[str, ...] = get_args(_ReasonLevel)
"""FRAME-IS's levels of the reasons for a modification."""
ACTION_STATUSES: tuple[str, ...] = get_args(_ActionStatus)
OPEN_STATUSES = ("not_started", "in_progress", "blocked")
"""The action statuses that still call for work (`Action.overdue`)."""


def _share_check(v: float | None, message: str) -> float | None:
    """`v` when it is missing or a share 0-1; else a ValueError with `message` and the value."""
    if v is not None and not 0.0 <= v <= 1.0:
        raise ValueError(f"{message}, got {v}")
    return v


class StrategySpec(BaseModel):
    """An implementation strategy specified as Proctor et al. 2013 recommend."""

    actor: str = Field("", description="Who delivers the strategy.")
    action: str = Field("", description="What they do, in steps.")
    target: str = Field("", description="Who or what the action aims to change.")
    temporality: str = Field("", description="When, or at which phase, it is used.")
    dose: str = Field("", description="How often and how intensely.")
    outcome: str = Field("", description="The implementation outcome it should move.")
    justification: str = Field("", description="Why this should work: evidence or theory.")

    def missing(self) -> list[str]:
        """Dimensions not yet specified (a strategy is fully specified when this is empty)."""
        return [name for name, value in self.model_dump().items() if not str(value).strip()]


class Adaptation(BaseModel):
    """One decision or adaptation, with the FRAME-IS fields a TAG records."""

    date: dt.date
    what: str = Field(..., min_length=1, max_length=2000,
                      description="What was modified (the strategy or component, in words).")
    modified: _Modified = "implementation_strategy"
    nature: _Nature = "tailoring"
    goal: str = Field("", max_length=2000, description="What the change should achieve.")
    planned: bool = Field(True, description="Planned (proactive) or a reaction (unplanned).")
    decided_by: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=50,
        description="Who took part in deciding (roles or bodies).")
    reasons: list[_ReasonLevel] = Field(default_factory=list, max_length=4)
    evidence: str = Field("", max_length=4000, description="The evidence that led to it.")
    key_result: str | None = Field(None, max_length=100)
    strategy: str | None = Field(None, max_length=200)


class Action(BaseModel):
    """An action towards a key result: owner, due date, status."""

    key_result: str = Field(..., max_length=100)
    action: str = Field(..., min_length=1, max_length=1000)
    owner: str = Field("", max_length=200)
    start: dt.date | None = None
    due: dt.date | None = None
    status: _ActionStatus = "not_started"

    @field_validator("due")
    @classmethod
    def _after_start(cls, v: dt.date | None, info: object) -> dt.date | None:
        """A due date no earlier than the start."""
        start = getattr(info, "data", {}).get("start")
        if v is not None and start is not None and v < start:
            raise ValueError("the due date is before the start")
        return v

    def overdue(self, today: dt.date) -> bool:
        """Open and past its due date."""
        return self.status in OPEN_STATUSES and self.due is not None and self.due < today


Phase = Literal["explore", "introduce", "scale_up", "sustain"]
KRStatusValue = Literal["met", "partly", "not_met", "not_applicable"]
Decision = Literal["suggested", "accepted", "rejected"]

PHASES: tuple[str, ...] = get_args(Phase)
PILLARS: tuple[str, ...] = ("policy", "financing", "supply", "delivery", "demand", "data")
KR_STATUSES: tuple[str, ...] = get_args(KRStatusValue)


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
        """Prevalences and coverages are shares 0-1."""
        return _share_check(v, "must be a share between 0 and 1")


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
        """Ratings are 0-1."""
        return _share_check(v, "ratings are 0-1")


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
        """Known criteria, weights >= 0, the defaults for those not given."""
        unknown = set(v) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown criteria {sorted(unknown)}; use {sorted(DEFAULT_WEIGHTS)}")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return {**DEFAULT_WEIGHTS, **v}


def _all_explore() -> dict[str, Phase]:
    """Every pillar in the first phase (a new programme)."""
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
        """Known pillars only; a pillar not given is in the first phase."""
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
