"""Evidence shared by forecast and impact: effect sizes, mortality multipliers, CE anchors,
product facts and the impact model's facts (adherence dose-response, stillbirth DALY
conventions, cost-effectiveness thresholds).

Effect sizes come through ``mmsis.framework.load_framework()`` when it is available, falling
back to ``framework/data/evidence.yaml``; model facts from ``framework/data/impact_model.yaml``.
One public module, so forecast and impact read one source of numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Effect:
    """A relative risk (or mortality multiplier) with its 95% CI and source."""

    id: str
    rr: float
    ci_low: float | None
    ci_high: float | None
    source: str
    status: str


@dataclass(frozen=True)
class EvidenceFacts:
    """The evidence numbers forecast and impact need, as plain values."""

    effects: dict[str, Effect]
    multipliers: dict[str, Effect]
    anchors: list[dict[str, Any]]
    product: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)

    def effect(self, id: str) -> Effect:
        """The MMS-vs-IFA relative risk with this id."""
        return self.effects[id]

    def multiplier(self, id: str) -> Effect:
        """The neonatal mortality multiplier with this id (Katz 2013)."""
        return self.multipliers[id]


def _data_file(name: str) -> dict[str, Any]:
    text = resources.files("mmsis.framework").joinpath(f"data/{name}").read_text()
    out = yaml.safe_load(text)
    assert isinstance(out, dict)
    return out


def _from_mapping(raw: dict[str, Any]) -> EvidenceFacts:
    def eff(e: dict[str, Any]) -> Effect:
        return Effect(
            id=str(e["id"]),
            rr=float(e["rr"]),
            ci_low=None if e.get("ci_low") is None else float(e["ci_low"]),
            ci_high=None if e.get("ci_high") is None else float(e["ci_high"]),
            source=str(e.get("source", "")),
            status=str(e.get("status", "")),
        )

    return EvidenceFacts(
        effects={e["id"]: eff(e) for e in raw["effect_sizes"]},
        multipliers={e["id"]: eff(e) for e in raw["mortality_multipliers"]},
        anchors=[dict(a) for a in raw.get("cost_effectiveness_anchors", [])],
        product=dict(raw.get("product", {})),
        model=_data_file("impact_model.yaml"),
    )


@lru_cache(maxsize=1)
def evidence() -> EvidenceFacts:
    """The knowledge base's evidence, via the framework API when present, else the YAML file."""
    from mmsis.errors import MmsisError

    try:
        from mmsis.framework import load_framework

        ev = load_framework().evidence
        return _from_mapping(ev.model_dump())
    except (ImportError, AttributeError, MmsisError):
        # the knowledge base as a whole is unavailable (or another file in it is invalid):
        # read the evidence file on its own so impact still runs on the same numbers.
        return _from_mapping(_data_file("evidence.yaml"))
