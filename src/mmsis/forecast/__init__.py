"""mmsis.forecast: supply and cost of the IFA -> MMS transition (need, stock, orders, budget).

Public API (imported lazily so that `mmsis --help` stays fast):
``load_scenario``, ``scenario_from_dict``, ``Scenario``, ``run_forecast``, ``ForecastResult``,
``history_from_data_values``, ``example_scenario``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_API = {
    "load_scenario": "mmsis.forecast.scenario",
    "scenario_from_dict": "mmsis.forecast.scenario",
    "Scenario": "mmsis.forecast.scenario",
    "run_forecast": "mmsis.forecast.engine",
    "ForecastResult": "mmsis.forecast.engine",
    "history_from_data_values": "mmsis.forecast.consumption",
    "example_scenario": "mmsis.forecast.example",
}
__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'mmsis.forecast' has no attribute '{name}'")
