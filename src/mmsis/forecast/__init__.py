"""mmsis.forecast: supply and cost of the IFA -> MMS transition (need, stock, orders, budget).

Public names load lazily so that `mmsis --help` stays fast. What impact shares with the
forecast is public too: `mmsis.forecast.need` (demographic need), `mmsis.forecast.evidence`
(effect sizes and their sources), `mmsis.forecast.budget` and `mmsis.forecast.scenario` (inputs).
Supply-planning formats: `write_qat` / `read_qat_consumption` (QAT's data entry templates and
its consumption) and `write_unicef` (a UNICEF supply forecast sheet); docs/supply_formats.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.forecast.consumption import history_from_data_values
    from mmsis.forecast.engine import ForecastResult, run_forecast
    from mmsis.forecast.qat import read_qat_consumption, write_qat
    from mmsis.forecast.scenario import Scenario, load_scenario, scenario_from_dict
    from mmsis.forecast.unicef import write_unicef

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "load_scenario": ".scenario",
    "scenario_from_dict": ".scenario",
    "Scenario": ".scenario",
    "run_forecast": ".engine",
    "ForecastResult": ".engine",
    "history_from_data_values": ".consumption",
    "write_qat": ".qat",
    "read_qat_consumption": ".qat",
    "write_unicef": ".unicef",
})
