"""Routine indicator definitions (YAML): constants, derived facility-month items, indicators."""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from mmsis.data.concepts import ConceptMap
from mmsis.errors import InputError
from mmsis.measure.routine.expressions import Expression

DEFAULT_DEFINITIONS = "routine_indicators.yaml"


class Constant(BaseModel):
    """A named number used as C{id}, with its source."""

    value: float
    source: str | None = None
    status: str | None = None


class DerivedItem(BaseModel):
    """A facility-month item computed before aggregation: an expression or a rolling mean."""

    name: str = ""
    expression: str | None = None
    rolling_mean: str | None = None
    months: int = 3
    aggregation_type: str = "SUM"


class RoutineIndicator(BaseModel):
    """An indicator: numerator / denominator x factor, optionally annualized."""

    id: str
    name: str
    numerator: str
    denominator: str = "1"
    factor: float = 1.0
    annualized: bool = False
    source: str | None = None


class QualityThreshold(BaseModel):
    """A quality threshold with its source."""

    value: float
    source: str | None = None
    status: str | None = None


class ConsistencyPair(BaseModel):
    """An internal-consistency rule: ``lhs`` should not exceed ``rhs``."""

    id: str
    lhs: str
    rhs: str
    source: str | None = None


class QualityConfig(BaseModel):
    """Settings of the data-quality review (WHO DQR toolkit defaults)."""

    data_set: str = "reporting"  # the concept: the mapping's reporting data set
    completeness_threshold: QualityThreshold = QualityThreshold(value=80)
    timeliness_threshold: QualityThreshold = QualityThreshold(value=75)
    outlier_moderate_sd: QualityThreshold = QualityThreshold(value=2)
    outlier_extreme_sd: QualityThreshold = QualityThreshold(value=3)
    modified_z: QualityThreshold = QualityThreshold(value=3.5)
    consistency_threshold: QualityThreshold = QualityThreshold(value=33)
    outlier_data_elements: list[str] = Field(default_factory=list)
    trend_data_elements: list[str] = Field(default_factory=list)
    internal_consistency: list[ConsistencyPair] = Field(default_factory=list)
    # Planned scale-up is not a data-quality fault: elements that change by design when MMS
    # starts in a unit, the element whose first non-zero month marks the start (when no
    # roll-out file is given) and the months of ramp-up after it (no outlier flags then).
    rollout_data_elements: list[str] = Field(default_factory=list)
    rollout_start_element: str | None = None
    rollout_ramp_months: QualityThreshold = QualityThreshold(value=6)


class Definitions(BaseModel):
    """A set of indicator definitions with the constants and derived items they use."""

    constants: dict[str, Constant] = Field(default_factory=dict)
    derived_items: dict[str, DerivedItem] = Field(default_factory=dict)
    denominators: dict[str, str] = Field(default_factory=dict)
    indicators: list[RoutineIndicator] = Field(default_factory=list)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    file: str | None = None

    def resolved(self, mapping: ConceptMap) -> Definitions:
        """These definitions for a country: references to concepts (``#{anc1}``,
        ``R{reporting.EXPECTED_REPORTS}``, quality element lists) become the data-element UIDs
        and the data set its mapping names (mmsis.data.concepts); other ids are kept as written,
        and a concept the country has not mapped stays as is (no values)."""
        els, ds = mapping.elements, mapping.reporting_data_set

        def expr(text: str) -> str:
            text = _DE_REF.sub(lambda m: f"#{{{m[1]}{els.get(m[2], m[2])}", text)
            return _DS_REF.sub(lambda m: f"{m[1]}{{{m[2]}{ds}", text) if ds else text

        def el(name: str) -> str:
            return els.get(name, name)

        q = self.quality
        quality = q.model_copy(update={
            "data_set": (ds or q.data_set) if q.data_set == "reporting" else q.data_set,
            "outlier_data_elements": [el(d) for d in q.outlier_data_elements],
            "trend_data_elements": [el(d) for d in q.trend_data_elements],
            "rollout_data_elements": [el(d) for d in q.rollout_data_elements],
            "rollout_start_element": (el(q.rollout_start_element)
                                      if q.rollout_start_element else None),
            "internal_consistency": [p.model_copy(update={"lhs": el(p.lhs), "rhs": el(p.rhs)})
                                     for p in q.internal_consistency]})
        return self.model_copy(update={
            "indicators": [i.model_copy(update={"numerator": expr(i.numerator),
                                                "denominator": expr(i.denominator)})
                           for i in self.indicators],
            "derived_items": {k: d.model_copy(update={
                "expression": expr(d.expression) if d.expression else None,
                "rolling_mean": el(d.rolling_mean) if d.rolling_mean else None})
                for k, d in self.derived_items.items()},
            "denominators": {k: expr(v) for k, v in self.denominators.items()},
            "quality": quality})

    def get(self, ids: list[str] | None) -> list[RoutineIndicator]:
        """The indicators with the given ids (all when None), in the order asked."""
        if not ids:
            return list(self.indicators)
        by_id = {i.id: i for i in self.indicators}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise InputError(f"unknown indicator(s) {unknown}; known: {sorted(by_id)}",
                             file=self.file, field="indicator")
        return [by_id[i] for i in ids]


_DE_REF = re.compile(r"#\{(\s*)([A-Za-z0-9_]+)(?=[.}\s])")
"""A data-element reference's id in an expression (``#{anc1}``, ``#{anc1.coc}``)."""
_DS_REF = re.compile(r"\b(R)\{(\s*)reporting(?=\.)")
"""The reporting data set's concept in a reporting-rate reference (``R{reporting.X}``)."""


@lru_cache(maxsize=16)
def _parse_yaml(text: str) -> Any:
    """Parse YAML with libyaml when present (the shipped file is parsed once per process)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_definitions(path: str | Path | None = None) -> Definitions:
    """Load and check indicator definitions (the shipped MMS set when ``path`` is None)."""
    if path is None:
        text = resources.files("mmsis.framework").joinpath("data", DEFAULT_DEFINITIONS).read_text()
        name = f"mmsis/framework/data/{DEFAULT_DEFINITIONS}"
    else:
        p = Path(path)
        if not p.exists():
            raise InputError("definitions file not found", file=str(p))
        from mmsis.data import textio, yamlread

        text, name = textio.read_text(p), str(p)  # encodings named
        yamlread.check_yaml(text, name)  # depth and aliases bounded before parsing
    try:
        raw: Any = copy.deepcopy(_parse_yaml(text))
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=name) from exc
    if not isinstance(raw, dict):
        raise InputError("expected a mapping with 'indicators'", file=name)
    raw = {k: v for k, v in raw.items() if k in Definitions.model_fields}
    for i, ind in enumerate(raw.get("indicators") or []):
        if isinstance(ind, dict):
            for key in ("numerator", "denominator"):
                if key in ind:
                    ind[key] = str(ind[key])
        else:
            raise InputError("each indicator must be a mapping", file=name, row=i + 1)
    try:
        defs = Definitions(**raw, file=name)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(err["msg"], file=name, field=loc) from exc
    for ind in defs.indicators:
        Expression(ind.numerator, where=f"{ind.id}.numerator")
        Expression(ind.denominator, where=f"{ind.id}.denominator")
    for key, item in defs.derived_items.items():
        if (item.expression is None) == (item.rolling_mean is None):
            raise InputError("a derived item needs exactly one of expression, rolling_mean",
                             file=name, field=f"derived_items.{key}")
        if item.expression:
            Expression(item.expression, where=f"derived_items.{key}")
    return defs
