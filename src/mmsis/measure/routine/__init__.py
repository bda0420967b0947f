"""mmsis.measure.routine: routine (DHIS2) indicators and the data-quality review."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.measure.routine.indicators import compute_indicators
    from mmsis.measure.routine.quality import QualityReview, quality_review
    from mmsis.measure.routine.series import monthly_series

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "compute_indicators": ".indicators",
    "QualityReview": ".quality",
    "quality_review": ".quality",
    "monthly_series": ".series",
})
