"""mmsis.impact: health impact and cost-effectiveness of MMS vs IFA, with uncertainty.

Public names load lazily so that `mmsis --help` stays fast. The demographic need, evidence,
budget and scenario it shares with the forecast are the public modules of `mmsis.forecast`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.impact.engine import ImpactResult, build_units, run_impact
    from mmsis.impact.model import compute

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "run_impact": ".engine",
    "ImpactResult": ".engine",
    "build_units": ".engine",
    "compute": ".model",
})
