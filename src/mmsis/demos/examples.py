"""The example country's (Examplia's) programme workspace and forecast scenario.

Both are built from `mmsis.datasets.example_country()`'s tables plus made-up settings in
`demos/data/`: the team's synthetic judgements (`example_plan.yaml`: statuses, barriers,
partners, strategies) and the scenario's illustrative costs, stock and uptake
(`example_settings.yaml`). Everything here is an assumption about a made-up country.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from mmsis.forecast.scenario import defaults, month_index, month_label
from mmsis.plan.decisions import Action, Adaptation
from mmsis.plan.workspace import (
    AgendaSettings,
    Barrier,
    Context,
    DataLinks,
    KeyResultStatus,
    Programme,
    Region,
    StatusEvidence,
    StrategyChoice,
)

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def example_plan_data() -> dict[str, Any]:
    """The raw example plan (demos/data/example_plan.yaml)."""
    text = resources.files("mmsis.demos").joinpath("data/example_plan.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def example_programme(country: ExampleCountry | None = None) -> Programme:
    """Examplia's programme: phases, statuses with evidence, barriers, partners, regions.

    `country` (an `ExampleCountry`) supplies the regions and the data links; without it the
    regions are left empty. Measured indicator values are added by the caller (see
    `mmsis.demos.steps.plan.measured_example_programme`).
    """
    raw = example_plan_data()
    statuses = []
    for kr, (status, note, file, when, who) in raw["statuses"].items():
        statuses.append(KeyResultStatus(
            key_result=kr, status=status,
            evidence=[StatusEvidence(note=note, file=file or None,
                               date=date.fromisoformat(when) if when else None, who=who)],
        ))
    regions: list[Region] = []
    if country is not None:
        ou = country.org_units
        for r in ou[ou["level"] == 2].itertuples():
            regions.append(Region(id=str(r.id), name=str(r.name),
                                  phases=raw.get("region_phases", {}).get(str(r.id), {})))
    return Programme(
        country=raw["country"], name=raw["name"], level=raw["level"], phases=raw["phases"],
        regions=regions, context=Context(**raw["context"]), key_results=statuses,
        # the files the README tour makes: `mmsis datasets example --out example/`, the
        # `mmsis routine import` commands (default store) and the bundled example scenario
        data=DataLinks(store="mmsis.duckdb", surveys=["example/survey.csv"],
                       rollout="example/rollout.csv",
                       scenario="examples/scenarios/example_country.yaml"),
        barriers=[Barrier(**b) for b in raw["barriers"]],
        strategies=[StrategyChoice(**s) for s in raw.get("strategies", [])],
        agenda=AgendaSettings(partners=raw["partners"]),
        adaptations=[Adaptation.model_validate(a) for a in raw.get("adaptations", [])],
        actions=[Action.model_validate(a) for a in raw.get("actions", [])],
    )


def _settings() -> dict[str, Any]:
    """The illustrative scenario settings (demos/data/example_settings.yaml)."""
    text = resources.files("mmsis.demos").joinpath("data/example_settings.yaml").read_text()
    out = yaml.safe_load(text)
    assert isinstance(out, dict)
    return out


def example_scenario(country: ExampleCountry) -> dict[str, Any]:
    """The example country's scenario: pilot districts switch first, national in three years.

    Built from ``mmsis.datasets.example_country()``'s tables: districts (level 3 org units with
    their population), the roll-out plan (each district's MMS start month) and the country facts
    (crude birth rate, pregnancy-loss adjustment). Uptake, opening stock, programme costs and
    uncertainty ranges are the illustrative settings in ``example_settings.yaml`` (assumptions).

    Returns the scenario mapping (write it with yaml.safe_dump).
    """
    s = _settings()
    dflt = defaults()
    ou: pd.DataFrame = country.org_units
    ro: pd.DataFrame = country.rollout.sort_values(["mms_start", "district_id"])
    facts = country.country
    districts = ou[ou["level"] == 3].sort_values("id")
    start = month_index(str(ro["mms_start"].min()))
    horizon = int(s["horizon_months"])
    pilots = set(ro.loc[ro["pilot"].astype(bool), "district_id"])
    cbr = float(facts["crude_birth_rate"])
    adj = float(facts["pregnancy_loss_adjustment"])
    per_preg = float(dflt["anc1_coverage"]) * float(dflt["regimen"]["tablets_per_pregnancy"])
    monthly_per_person = cbr * adj * per_preg / 12
    pilot_pop = float(districts[districts["id"].isin(pilots)]["population"].sum())
    all_pop = float(districts["population"].sum())
    years = sorted({int(str(m)[:4]) for m in ro["mms_start"]})
    costs: list[dict[str, Any]] = []
    for y in years:
        n = int((ro["mms_start"].astype(str).str[:4] == str(y)).sum())
        costs.append({"phase": "initial implementation" if y == years[0] else "scale-up",
                      "category": "training", "year": y,
                      "amount": float(s["training_per_switching_district"]) * n})
    for y in range(start // 12, (start + horizon - 1) // 12 + 1):
        costs.append({"phase": "all", "category": "sbc", "year": y,
                      "amount": float(s["sbc_per_year"])})
        costs.append({"phase": "all", "category": "monitoring", "year": y,
                      "amount": float(s["monitoring_per_year"])})
    return {
        "name": f"{facts['name']}: pilot districts to national MMS in three years",
        "currency": s["currency"],
        "currency_year": s["currency_year"],
        "start": month_label(start),
        "horizon_months": horizon,
        "geography": {
            "level": "district",
            "districts": [{"id": str(r.id), "name": str(r.name), "population": int(r.population)}
                          for r in districts.itertuples()],
        },
        "pregnancies": {"method": "population", "crude_birth_rate": cbr,
                        "pregnancy_loss_adjustment": adj},
        "rollout": {
            "ramp_months": s["ramp_months"],
            "uptake": s["uptake"],
            "districts": [{"district": str(r.district_id),
                           "start": month_label(month_index(str(r.mms_start)))}
                          for r in ro.itertuples()],
        },
        "inventory": {
            "level": "national",
            "review_period_months": s["review_period_months"],
            "opening_stock": {
                "mms": [{"tablets": round(pilot_pop * monthly_per_person
                                          * s["opening_mms_months_of_pilot_need"])}],
                "ifa": [{"tablets": round(all_pop * monthly_per_person
                                          * s["opening_ifa_months_of_national_need"]),
                         "expires": month_label(start + s["opening_ifa_expires_after_months"])}],
            },
        },
        "programme_costs": costs,
        "uncertain": s["uncertain"],
    }
