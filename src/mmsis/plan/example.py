"""The example country's programme workspace (Examplia): the team's synthetic judgements from
plan/data/example_plan.yaml plus geography and data links from the example country."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

import yaml

from mmsis.plan.decisions import Action, Adaptation
from mmsis.plan.workspace import (
    AgendaSettings,
    Barrier,
    Context,
    DataLinks,
    Evidence,
    KeyResultStatus,
    Measurement,
    Programme,
    Region,
    StrategyChoice,
)


def example_plan_data() -> dict[str, Any]:
    """The raw example plan (plan/data/example_plan.yaml)."""
    text = resources.files("mmsis.plan").joinpath("data/example_plan.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def example_programme(country: Any | None = None) -> Programme:
    """Examplia's programme: phases, statuses with evidence, barriers, partners, regions.

    `country` (an `ExampleCountry`) supplies the regions and the data links; without it the
    regions are left empty. Measured indicator values are added by the caller (see
    `measured_example_programme`).
    """
    raw = example_plan_data()
    statuses = []
    for kr, (status, note, file, when, who) in raw["statuses"].items():
        statuses.append(KeyResultStatus(
            key_result=kr, status=status,
            evidence=[Evidence(note=note, file=file or None,
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


def measured_example_programme(country: Any) -> Programme:
    """`example_programme(country)` with the indicator values measured from the country's data.

    The values come from `mmsis.report.gather.example_measurements` (survey and routine
    results), imported here lazily so that the plan library does not depend on those packages.
    """
    from mmsis.report.gather import example_measurements

    prog = example_programme(country)
    prog.measurements = {
        k: Measurement.model_validate(v) for k, v in example_measurements(country).items()
    }
    return prog
