"""What a report is built from: a `mmsis.data.programme.CountryProgramme`.

The example country (`mmsis.datasets.example_country()`) is one programme; files
(`mmsis.report.local_inputs`) and a web workspace (`mmsis.web.report_inputs`) give others.
Any data part may be absent (None); the programme also carries the forecast scenario and one
line per part saying where the data came from, which the report prints as its sources. The
routine data come either as ``data_values`` (loaded into a throwaway in-memory store) or as
an open ``store`` (`mmsis.data.store.Store`, e.g. a local file opened read-only), used as is.
These helpers are the programme's own methods under the names the report used before.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmsis.data.programme import PARTS, CountryProgramme, Part

__all__ = ["PARTS", "has", "is_synthetic", "missing_reason", "rollout_from_scenario",
           "source_of"]


def is_synthetic(country: CountryProgramme) -> bool:
    """True for the bundled example country (or inputs marked synthetic)."""
    return country.synthetic


def has(country: CountryProgramme, part: Part) -> bool:
    """Whether the inputs hold data for a report part (routine, survey, rollout, scenario)."""
    return country.has(part)


def missing_reason(country: CountryProgramme, part: Part) -> str:
    """Why a part is absent: the caller's own words, else "no <part> in <origin>"."""
    return country.missing_reason(part)


def source_of(country: CountryProgramme, part: Part, synthetic_text: str) -> str:
    """Where a part's data came from: the synthetic label, or the inputs' own description."""
    return country.source_of(part, synthetic_text)


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
