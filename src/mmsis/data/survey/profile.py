"""Declarative survey profiles (YAML): where a survey keeps its design, domains and MMS answers.

A new survey (MICS, an IR exit interview) is a new profile file, not new code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from mmsis.data import yamlread
from mmsis.errors import InputError

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
OPERATORS = (">=", ">", "<=", "<", "==", "!=")


class DesignSpec(BaseModel):
    """Design columns of the survey file."""

    weight: str | None = None
    weight_divisor: float = 1.0
    cluster: list[str] = Field(default_factory=list)
    strata: str | None = None
    fpc: list[str] = Field(default_factory=list)
    nest: bool = False
    lonely_psu: Literal["fail", "remove", "certainty", "adjust", "average"] = "fail"


class DomainSpec(BaseModel):
    """A column used to break results down (region, residence, wealth)."""

    column: str
    label: str | None = None
    labels: dict[int, str] = Field(default_factory=dict)


class VariableSpec(BaseModel):
    """A survey question: its column and special codes."""

    column: str
    dont_know: list[float] = Field(default_factory=list)
    missing: list[float] = Field(default_factory=list)
    required: bool = True
    codes: dict[int, str] = Field(default_factory=dict)


class StepSpec(BaseModel):
    """One cascade step: conditions on variables, steps it requires, and its parent step."""

    id: str
    label: str
    when: list[tuple[str, str, float]]
    requires: list[str] = Field(default_factory=list)
    after: str | None = None
    supplement_step: bool = False
    # overrides the profile's dont_know_as for this step: "yes" when a "don't know" answer
    # implies the step was reached (m14 = 98 "don't know how many visits" implies ANC1+)
    dont_know_as: Literal["no", "yes", "missing"] | None = None

    @field_validator("when")
    @classmethod
    def _ops(cls, value: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
        for _, op, _ in value:
            if op not in OPERATORS:
                raise ValueError(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
        return value


class PeriodSpec(BaseModel):
    """Reference period: births within `months` of the interview (CMC dates)."""

    interview_cmc: str
    birth_cmc: str
    months: int = 60
    # child's age in months (DHS b19); used instead of interview - birth when the file has it
    child_age: str | None = None


class AdherenceSpec(BaseModel):
    """Adherence = consumed / expected among women at step `among`."""

    consumed: str
    expected: str | float
    threshold: float = 0.9
    among: str | None = None


class SurveyProfile(BaseModel):
    """A whole survey profile."""

    name: str
    description: str = ""
    source: str = ""
    design: DesignSpec
    domains: dict[str, DomainSpec] = Field(default_factory=dict)
    variables: dict[str, VariableSpec]
    dont_know_as: Literal["no", "missing"] = "no"
    # "no": a missing code (99, 9, 999) counts as not reaching a step, kept in the denominator
    # as DHS tables do ("don't know/missing" category); "missing": dropped (na.rm)
    missing_as: Literal["no", "missing"] = "missing"
    reference_period: PeriodSpec | None = None
    cascade: list[StepSpec] = Field(default_factory=list)
    adherence: AdherenceSpec | None = None


def available_profiles() -> list[str]:
    """Names of the bundled profiles."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> SurveyProfile:
    """Load a bundled profile by name (``dhs``) or a profile YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILES_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise InputError(
                f"unknown survey profile '{name_or_path}' (bundled: "
                f"{', '.join(available_profiles())}; or give a YAML file path)",
                field="profile",
            )
    if not path.exists():
        raise InputError("profile file not found", file=str(path))
    raw = yamlread.load_yaml(path)  # decoded by textio; size, depth and aliases bounded
    try:
        profile = SurveyProfile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(f"{err['msg']}", file=str(path), field=loc) from exc
    _check_steps(profile, str(path))
    return profile


def _check_steps(profile: SurveyProfile, file: str) -> None:
    seen: set[str] = set()
    for step in profile.cascade:
        for var, _, _ in step.when:
            if var not in profile.variables:
                raise InputError(
                    f"step '{step.id}' uses unknown variable '{var}'", file=file, field="cascade"
                )
        for ref in [*step.requires, *([step.after] if step.after else [])]:
            if ref not in seen:
                raise InputError(
                    f"step '{step.id}' refers to '{ref}', which is not an earlier step",
                    file=file,
                    field="cascade",
                )
        seen.add(step.id)
