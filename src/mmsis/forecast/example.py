"""The example country's scenario: its pilot districts switch first, national in three years.

Built from ``mmsis.datasets.example_country()``'s tables: districts (level 3 org units with
their population), the roll-out plan (each district's MMS start month) and the country facts
(crude birth rate, pregnancy-loss adjustment). The programme costs and opening stock are
illustrative settings for the synthetic country (status: assumption).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmsis.forecast.scenario import month_index, month_label


def example_scenario(country: Any) -> dict[str, Any]:
    """Scenario mapping for the example country (write it with yaml.safe_dump)."""
    ou: pd.DataFrame = country.org_units
    ro: pd.DataFrame = country.rollout.sort_values(["mms_start", "district_id"])
    facts: dict[str, Any] = country.country
    districts = ou[ou["level"] == 3].sort_values("id")
    start = month_index(str(ro["mms_start"].min()))
    pilots = set(ro.loc[ro["pilot"].astype(bool), "district_id"])
    cbr = float(facts["crude_birth_rate"])
    adj = float(facts["pregnancy_loss_adjustment"])
    pilot_pop = float(districts[districts["id"].isin(pilots)]["population"].sum())
    # Illustrative opening MMS stock: the first procurement for the pilots (12 months of need
    # at full uptake and the default ANC1 coverage), received before the launch.
    pilot_need = pilot_pop * cbr * adj * 0.83 * 180
    national_ifa_month = float(districts["population"].sum()) * cbr * adj * 0.83 * 180 / 12
    years = sorted({int(str(m)[:4]) for m in ro["mms_start"]})
    costs: list[dict[str, Any]] = []
    for y in years:
        n = int((ro["mms_start"].astype(str).str[:4] == str(y)).sum())
        costs.append({"phase": "initial implementation" if y == years[0] else "scale-up",
                      "category": "training", "year": y, "amount": 5000.0 * n})
    first, last = start // 12, (start + 35) // 12
    for y in range(first, last + 1):
        costs.append({"phase": "all", "category": "sbc", "year": y, "amount": 40000.0})
        costs.append({"phase": "all", "category": "monitoring", "year": y, "amount": 15000.0})
    return {
        "name": f"{facts['name']}: pilot districts to national MMS in three years",
        "currency": "USD",
        "currency_year": 2024,
        "start": month_label(start),
        "horizon_months": 36,
        "geography": {
            "level": "district",
            "districts": [{"id": str(r.id), "name": str(r.name), "population": int(r.population)}
                          for r in districts.itertuples()],
        },
        "pregnancies": {"method": "population", "crude_birth_rate": cbr,
                        "pregnancy_loss_adjustment": adj},
        "rollout": {
            "ramp_months": 6,
            "uptake": 0.85,
            "districts": [{"district": str(r.district_id),
                           "start": month_label(month_index(str(r.mms_start)))}
                          for r in ro.itertuples()],
        },
        "inventory": {
            "level": "national",
            "review_period_months": 3,
            "opening_stock": {
                "mms": [{"tablets": round(pilot_need)}],
                "ifa": [{"tablets": round(4 * national_ifa_month),
                         "expires": month_label(start + 18)}],
            },
        },
        "programme_costs": costs,
        "impact": {"subgroups": {"anaemic_share": None, "female_share": None}},
        "uncertain": {
            "mms.price_per_tablet": {"low": 0.01, "high": 0.02},
            "impact.baseline.neonatal_mortality": {"low": 0.012, "high": 0.025,
                                                   "dist": "triangular"},
            "programme_costs": {"low": 0.8, "high": 1.5},
        },
    }
