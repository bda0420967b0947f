"""Design-based survey estimation (R survey semantics) and the MMS coverage cascade."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.measure.survey.design import LONELY_POLICIES, Design
    from mmsis.measure.survey.estimators import mean, proportion, ratio, total

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "LONELY_POLICIES": ".design",
    "Design": ".design",
    "mean": ".estimators",
    "proportion": ".estimators",
    "ratio": ".estimators",
    "total": ".estimators",
})
