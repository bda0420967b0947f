"""Pydantic models for the knowledge base: one model per kind of entry in the YAML files."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Status = Literal["confirmed", "partly confirmed", "unconfirmed", "assumption"]
EvidenceType = Literal["document", "decision", "indicator"]
Priority = Literal["high", "medium", "low"]


class _Entry(BaseModel):
    """Base for every knowledge-base entry: strict fields, frozen, an `id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")


class Phase(_Entry):
    """A phase of MMS introduction and scale-up, with entry/exit criteria and mappings."""

    name: str
    order: int = Field(ge=1)
    purpose: str
    entry_criteria: list[str] = Field(min_length=1)
    exit_criteria: list[str] = Field(min_length=1)
    hmhb_stage: str
    world_map_category: int = Field(ge=1, le=4)
    world_map_label: str
    epis_stage: str
    epis_stages: list[str] = Field(default_factory=list)
    source: str


class Pillar(_Entry):
    """A pillar (workstream) of a national MMS programme."""

    name: str
    description: str
    themes: list[str] = Field(default_factory=list)
    source: str


class Threshold(BaseModel):
    """A comparison that an indicator value must satisfy (e.g. stockout_rate <= 0.05)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal[">=", "<=", ">", "<"]
    value: float

    def met(self, x: float) -> bool:
        """True when the value `x` satisfies the threshold."""
        return {
            ">=": x >= self.value,
            "<=": x <= self.value,
            ">": x > self.value,
            "<": x < self.value,
        }[self.op]


class KeyResult(_Entry):
    """A result a country should achieve in one phase x pillar cell, and how it is evidenced."""

    phase: str
    pillar: str
    title: str
    description: str
    evidence_type: EvidenceType
    evidence: str = ""
    indicator: str | None = None
    threshold: Threshold | None = None
    threshold_source: str | None = None
    scope: str | None = None
    required: bool = True
    weight: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _check_evidence(self) -> KeyResult:
        if self.evidence_type == "indicator":
            if self.indicator is None:
                raise ValueError("evidence_type 'indicator' needs an 'indicator' id")
            if self.threshold is None:
                raise ValueError("evidence_type 'indicator' needs a 'threshold' {op, value}")
        else:
            if self.threshold is not None:
                raise ValueError(
                    f"a threshold applies only to evidence_type 'indicator', not "
                    f"'{self.evidence_type}'"
                )
            if not self.evidence.strip():
                raise ValueError(
                    f"evidence_type '{self.evidence_type}' needs 'evidence' (which document "
                    "or decision shows the result)"
                )
        if self.threshold is not None and not self.threshold_source:
            raise ValueError("a threshold needs 'threshold_source' (a citation, or 'assumption')")
        return self


class Outcome(_Entry):
    """An implementation (or programme) outcome with its definition, measures and sources."""

    name: str
    definition: str
    measures: list[str] = Field(min_length=1)
    instruments: list[str] = Field(default_factory=list)
    data_sources: list[str] = Field(min_length=1)
    level: str = ""
    reaim: list[str] = Field(default_factory=list)
    source: str


class DataSource(_Entry):
    """Where evidence comes from (survey, HMIS, LMIS, interviews...)."""

    name: str
    description: str


class Question(_Entry):
    """An implementation-research question tagged for planning and search."""

    text: str
    phases: list[str] = Field(min_length=1)
    pillars: list[str] = Field(min_length=1)
    outcomes: list[str] = Field(min_length=1)
    designs: list[str] = Field(min_length=1)
    data_sources: list[str] = Field(min_length=1)
    indicators: list[str] = Field(default_factory=list)
    cfir: list[str] = Field(default_factory=list)
    priority: Priority = "medium"
    rationale: str = ""
    source: str | None = None


class Indicator(_Entry):
    """An indicator reference sheet (definition, numerator, denominator, sources, mappings)."""

    name: str
    definition: str
    numerator: str
    denominator: str
    disaggregation: list[str] = Field(default_factory=list)
    data_source: str
    frequency: str
    pillar: str
    outcome: str
    unit: Literal["proportion", "ratio", "months", "count", "usd", "score", "difference"]
    direction: Literal[
        "higher_is_better", "lower_is_better", "closer_to_zero", "closer_to_one", "within_range"
    ]
    dhs_mapping: str | None = None
    dhis2_mapping: str | None = None
    notes: str = ""
    source: str


class StudyDesign(_Entry):
    """A study design and the phases and questions it fits."""

    name: str
    description: str
    phases: list[str] = Field(min_length=1)
    hybrid_type: int | None = Field(default=None, ge=1, le=3)
    when_to_use: str
    strengths: list[str] = Field(default_factory=list)
    limitations: list[str] = Field(default_factory=list)
    mmsis_support: str = ""
    source: str


class CfirConstruct(_Entry):
    """A CFIR construct (determinant of implementation)."""

    name: str
    definition: str


class CfirDomain(_Entry):
    """A CFIR 2022 domain and its constructs."""

    name: str
    definition: str
    constructs: list[CfirConstruct] = Field(min_length=1)
    source: str


class ReaimDimension(_Entry):
    """A RE-AIM dimension with its level and MMS example measure."""

    name: str
    definition: str
    level: str
    mms_example: str
    outcomes: list[str] = Field(default_factory=list)
    source: str


class EpisStage(_Entry):
    """An EPIS stage and the mmsis phases it corresponds to."""

    name: str
    definition: str
    phases: list[str] = Field(min_length=1)
    source: str


class EricCluster(_Entry):
    """One of the nine ERIC strategy clusters (Waltz 2015)."""

    name: str


class EricStrategy(_Entry):
    """An ERIC implementation strategy (Powell 2015), in its Waltz 2015 cluster."""

    name: str
    cluster: str
    definition: str


# --- evidence ------------------------------------------------------------------------------


class _Sourced(BaseModel):
    """An evidence entry: every number in it is covered by its `source` and `status`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    status: Status

    @field_validator("status", mode="before")
    @classmethod
    def _status_lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


class EffectSize(_Sourced):
    """Relative risk of an outcome with MMS versus IFA, with its 95% CI."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    outcome: str
    population: str
    rr: float = Field(gt=0)
    ci_low: float = Field(gt=0)
    ci_high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ci_order(self) -> EffectSize:
        if not self.ci_low <= self.rr <= self.ci_high:
            raise ValueError(
                f"need ci_low <= rr <= ci_high, got {self.ci_low}, {self.rr}, {self.ci_high}"
            )
        return self


class MortalityMultiplier(_Sourced):
    """Neonatal mortality relative risk for a birth outcome (Katz 2013)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    rr: float = Field(gt=0)
    ci_low: float | None = Field(default=None, gt=0)
    ci_high: float | None = Field(default=None, gt=0)


class CostEffectivenessAnchor(_Sourced):
    """A published cost-effectiveness or benefit-cost result used as a benchmark."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    study: str
    cost_per_daly_usd: float | None = None
    currency_year: int | None = None

    @model_validator(mode="after")
    def _extras_are_numbers_or_text(self) -> CostEffectivenessAnchor:
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, (int, float, str)) or isinstance(value, bool):
                raise ValueError(f"field '{key}' must be a number or text")
        return self

    def value(self, key: str) -> float | None:
        """A numeric field by name, including the study-specific extra fields."""
        v = getattr(self, key, None)
        if v is None:
            v = (self.model_extra or {}).get(key)
        return float(v) if isinstance(v, (int, float)) else None


class Nutrient(BaseModel):
    """One nutrient of the UNIMMAP tablet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nutrient: str
    amount: float = Field(gt=0)
    unit: str


class Pack(_Sourced):
    """The default MMS pack."""

    container: str
    tablets_per_pack: int = Field(gt=0)
    shelf_life_months: int = Field(gt=0)
    climatic_zone: str


class Price(_Sourced):
    """Price per tablet in US$, a user input with a default."""

    low: float = Field(gt=0)
    high: float = Field(gt=0)
    default: float = Field(gt=0)


class Product(_Sourced):
    """The MMS product: formulation, composition, pack, price and the tablets per pregnancy."""

    formulation: str
    tablets_per_pregnancy: int = Field(gt=0)
    tablets_per_pregnancy_source: str = Field(min_length=1)
    composition: list[Nutrient] = Field(min_length=1)
    pack: Pack
    price_per_tablet_usd: Price


class Evidence(BaseModel):
    """Effect sizes, mortality multipliers, cost-effectiveness anchors and product facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effect_sizes: list[EffectSize] = Field(min_length=1)
    mortality_multipliers: list[MortalityMultiplier] = Field(min_length=1)
    cost_effectiveness_anchors: list[CostEffectivenessAnchor] = Field(default_factory=list)
    product: Product

    def effect_size(self, id: str) -> EffectSize:
        """The effect size with this id (raises InputError naming the id if unknown)."""
        from mmsis.framework.framework import _lookup

        return _lookup(self.effect_sizes, id, "effect size")

    def mortality_multiplier(self, id: str) -> MortalityMultiplier:
        """The mortality multiplier with this id (raises InputError if unknown)."""
        from mmsis.framework.framework import _lookup

        return _lookup(self.mortality_multipliers, id, "mortality multiplier")

    def anchor(self, id: str) -> CostEffectivenessAnchor:
        """The cost-effectiveness anchor with this id (raises InputError if unknown)."""
        from mmsis.framework.framework import _lookup

        return _lookup(self.cost_effectiveness_anchors, id, "cost-effectiveness anchor")
