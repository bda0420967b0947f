"""What a report is built from when the data are not the example country's.

`ReportInputs` has the same attributes as `mmsis.datasets.example_country()` (``country``,
``org_units``, ``data_elements``, ``data_values``, ``reports``, ``rollout``, ``survey``,
``truth``) but any data part may be absent (None); it also carries the forecast scenario and
one line per part saying where the data came from, which the report prints as its sources.
The routine data come either as ``data_values`` (loaded into a throwaway in-memory store) or as
an open ``store`` (`mmsis.data.store.Store`, e.g. a local file opened read-only), used as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Report parts whose data may be absent, and what the report says then (after "no ").
PARTS = {
    "routine": "DHIS2 routine data values",
    "survey": "survey microdata",
    "rollout": "MMS start month per district",
    "scenario": "forecast scenario",
}


@dataclass(eq=False)
class ReportInputs:
    """A country's data for the report; parts that are None make their sections unavailable.

    ``country`` holds at least ``name``; ``start_period``/``end_period`` (YYYYMM) and the
    constants ``crude_birth_rate``, ``pregnancy_loss_adjustment`` are used when present.
    ``origin`` names where the inputs came from in "not available" reasons ("this workspace").
    ``store``, when given, is an open `mmsis.data.store.Store` holding the routine data (org
    units, data elements, values, reports, constants, populations); the report reads it as is
    instead of loading ``data_values`` into a store of its own. Close it with `close()`.
    """

    country: dict[str, Any]
    org_units: pd.DataFrame
    data_values: pd.DataFrame | None = None
    data_elements: pd.DataFrame | None = None
    reports: pd.DataFrame | None = None
    rollout: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    truth: dict[str, Any] | None = None
    scenario: dict[str, Any] | None = None
    sources: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    origin: str = "the report inputs"
    synthetic: bool = False
    store: Any | None = None

    def close(self) -> None:
        """Close the routine store the inputs hold, if any (a read-only file stays unlocked)."""
        if self.store is not None:
            self.store.close()
            self.store = None


def is_synthetic(country: Any) -> bool:
    """True for the bundled example country (or inputs marked synthetic)."""
    from mmsis.datasets import ExampleCountry

    return isinstance(country, ExampleCountry) or bool(getattr(country, "synthetic", False))


def has(country: Any, part: str) -> bool:
    """Whether the inputs hold data for a report part (routine, survey, rollout, scenario)."""
    if part == "scenario":
        return is_synthetic(country) or getattr(country, "scenario", None) is not None
    store = getattr(country, "store", None)
    if part == "routine" and store is not None:
        return bool(store.count("data_values") > 0)
    attr = {"routine": "data_values"}.get(part, part)
    frame = getattr(country, attr, None)
    return frame is not None and len(frame) > 0


def missing_reason(country: Any, part: str) -> str:
    """Why a part is absent: the caller's own words, else "no <part> in <origin>"."""
    own = getattr(country, "missing", {}) or {}
    if part in own:
        return str(own[part])
    return f"no {PARTS[part]} in {getattr(country, 'origin', 'the report inputs')}"


def source_of(country: Any, part: str, synthetic_text: str) -> str:
    """Where a part's data came from: the synthetic label, or the inputs' own description."""
    if is_synthetic(country):
        return synthetic_text
    own = getattr(country, "sources", {}) or {}
    return str(own.get(part) or f"{PARTS[part]} of {country.country.get('name', 'the country')}")


def rollout_from_scenario(scenario: dict[str, Any] | None, org_units: pd.DataFrame,
                          district_level: int | None = None) -> pd.DataFrame | None:
    """District MMS start months (YYYYMM) from a forecast scenario's ``rollout.districts``,
    for the districts of ``org_units`` (units at ``district_level``: the concept mapping's,
    default the level above the deepest); None when the scenario names none of them."""
    if not scenario or org_units is None or org_units.empty:
        return None
    from mmsis.forecast.scenario import month_index

    levels = pd.to_numeric(org_units["level"], errors="coerce")
    if district_level is None:
        district_level = max(1, int(levels.max()) - 1)
    districts = set(org_units.loc[levels == district_level, "id"].astype(str))
    rows = []
    for d in (scenario.get("rollout") or {}).get("districts") or []:
        if not isinstance(d, dict) or str(d.get("district")) not in districts:
            continue
        try:
            m = month_index(d.get("start"))
        except (ValueError, TypeError):
            continue
        if 1900 * 12 <= m < 2200 * 12:
            rows.append({"district_id": str(d["district"]),
                         "mms_start": f"{m // 12:04d}{m % 12 + 1:02d}"})
    return pd.DataFrame(rows) if rows else None
