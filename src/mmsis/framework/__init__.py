"""mmsis.framework: the implementation-science knowledge base for MMS introduction and scale-up.

Phases, pillars, key results, implementation outcomes, indicators, study designs, the question
bank, CFIR / RE-AIM / EPIS / ERIC and the evidence on MMS, as YAML data validated by pydantic.
"""

from mmsis.framework.framework import KINDS, Framework, UnknownIdError
from mmsis.framework.loader import DATA_DIR, check_framework, load_framework
from mmsis.framework.models import (
    CfirConstruct,
    CfirDomain,
    CostEffectivenessAnchor,
    DataSource,
    EffectSize,
    EpisStage,
    EricCluster,
    EricStrategy,
    Evidence,
    Indicator,
    KeyResult,
    MortalityMultiplier,
    Outcome,
    Phase,
    Pillar,
    Product,
    Question,
    ReaimDimension,
    StudyDesign,
    Threshold,
)

__all__ = [
    "DATA_DIR",
    "KINDS",
    "CfirConstruct",
    "CfirDomain",
    "CostEffectivenessAnchor",
    "DataSource",
    "EffectSize",
    "EpisStage",
    "EricCluster",
    "EricStrategy",
    "Evidence",
    "Framework",
    "Indicator",
    "KeyResult",
    "MortalityMultiplier",
    "Outcome",
    "Phase",
    "Pillar",
    "Product",
    "Question",
    "ReaimDimension",
    "StudyDesign",
    "Threshold",
    "UnknownIdError",
    "check_framework",
    "load_framework",
]
