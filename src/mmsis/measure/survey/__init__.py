"""Design-based survey estimation (R survey semantics), the MMS coverage cascade, adherence and
equity, with the profile-driven recode they start from.

Public names load lazily so that `mmsis --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.data.survey.profile import load_profile
    from mmsis.data.survey.recode import RecodedSurvey, recode
    from mmsis.measure.survey.cascade import adherence, cascade, design_of
    from mmsis.measure.survey.design import LONELY_POLICIES, Design
    from mmsis.measure.survey.equity import equity
    from mmsis.measure.survey.estimators import mean, proportion, ratio, total
    from mmsis.measure.survey.results import AdherenceTable, CascadeTable, EquityResult

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "LONELY_POLICIES": ".design",
    "Design": ".design",
    "mean": ".estimators",
    "proportion": ".estimators",
    "ratio": ".estimators",
    "total": ".estimators",
    "cascade": ".cascade",
    "adherence": ".cascade",
    "design_of": ".cascade",
    "equity": ".equity",
    "CascadeTable": ".results",
    "AdherenceTable": ".results",
    "EquityResult": ".results",
    "recode": "mmsis.data.survey.recode",
    "RecodedSurvey": "mmsis.data.survey.recode",
    "load_profile": "mmsis.data.survey.profile",
})
