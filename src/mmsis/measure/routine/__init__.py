"""mmsis.measure.routine: routine (DHIS2) indicators and the data-quality review."""

from mmsis.measure.routine.indicators import compute_indicators
from mmsis.measure.routine.quality import QualityReview, quality_review

__all__ = ["QualityReview", "compute_indicators", "quality_review"]
