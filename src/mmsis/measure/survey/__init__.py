"""Design-based survey estimation (R survey semantics) and the MMS coverage cascade."""

from mmsis.measure.survey.design import LONELY_POLICIES, Design
from mmsis.measure.survey.estimators import mean, proportion, ratio, total

__all__ = ["LONELY_POLICIES", "Design", "mean", "proportion", "ratio", "total"]
