"""mmsis.impact: health impact and cost-effectiveness of MMS vs IFA, with uncertainty.

Public API (imported lazily so that `mmsis --help` stays fast): ``run_impact``,
``ImpactResult``, ``build_units``, ``compute``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_API = {
    "run_impact": "mmsis.impact.engine",
    "ImpactResult": "mmsis.impact.engine",
    "build_units": "mmsis.impact.engine",
    "compute": "mmsis.impact.model",
}
__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'mmsis.impact' has no attribute '{name}'")
