"""The bundled example country: a seeded, deterministic synthetic MMS programme.

Like lifelines' bundled datasets, but generated: the demo, the docs and the tests all use the
same country, and the generator's true parameters (``truth``) let evaluations be checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mmsis.data.concepts import file_document
from mmsis.data.programme import CountryFacts, CountryProgramme, SurveyWave
from mmsis.datasets._geography import build_org_units, build_rollout
from mmsis.datasets._routine import (
    DEFAULT_COC,
    REPORTING_DATA_SET,
    REPORTING_DATA_SET_NAME,
    build_routine,
    data_elements_table,
    example_concepts,
)
from mmsis.datasets._routine import periods as _periods
from mmsis.datasets._survey import build_survey

DEFAULT_SEED = 2024


@dataclass(eq=False, kw_only=True)
class ExampleCountry(CountryProgramme):
    """The example country: a `CountryProgramme` whose every part is there (synthetic).

    See docs/example-country.md for each table's columns.
    """

    data_elements: pd.DataFrame
    data_values: pd.DataFrame
    reports: pd.DataFrame
    rollout: pd.DataFrame
    truth: dict[str, Any]
    synthetic: bool = True
    origin: str = "the example country"
    seed: int = DEFAULT_SEED
    files: dict[str, str] = field(default_factory=dict)

    @property
    def survey(self) -> pd.DataFrame:
        """The example survey's respondents (its one wave, "dhs_example")."""
        frame = super().survey
        assert frame is not None, "the example country has a survey wave"
        return frame

    @property
    def periods(self) -> list[str]:
        """The monthly periods covered by the routine data."""
        return _periods(self.country["start_period"], self.country["months"])

    @property
    def districts(self) -> pd.DataFrame:
        """District org units (level 3)."""
        return self.org_units[self.org_units["level"] == 3].reset_index(drop=True)

    def data_value_set(self) -> dict[str, Any]:
        """The routine data as a DHIS2 dataValueSets JSON document."""
        return {"dataValues": self.data_values.to_dict(orient="records")}

    def region_labels(self) -> dict[int, str]:
        """The survey's region codes (v024) with the region names, as a DHS file labels them."""
        ou = self.org_units.set_index("id")
        region = ou.loc[self.survey["district_id"], "parent_id"].to_numpy()
        pairs = zip(self.survey["v024"].astype(int), ou.loc[region, "name"], strict=True)
        return {int(code): str(name) for code, name in sorted(set(pairs))}

    def metadata(self) -> dict[str, Any]:
        """Org units and data elements as a DHIS2 metadata JSON document."""
        ous = []
        for r in self.org_units.itertuples(index=False):
            ou: dict[str, Any] = {"id": r.id, "name": r.name, "shortName": r.name[:50],
                                  "level": int(r.level), "path": r.path,
                                  "openingDate": r.opening_date}
            if r.parent_id is not None and not pd.isna(r.parent_id):
                ou["parent"] = {"id": r.parent_id}
            ous.append(ou)
        des = [{"id": r.id, "name": r.name, "shortName": r.short_name,
                "valueType": r.value_type, "aggregationType": r.aggregation_type,
                "domainType": r.domain_type}
               for r in self.data_elements.itertuples(index=False)]
        sets = ([] if self.data_sets is None else
                [{"id": r.id, "name": r.name} for r in self.data_sets.itertuples(index=False)])
        return {"organisationUnits": ous, "dataElements": des, "dataSets": sets,
                "categoryOptionCombos": [{"id": DEFAULT_COC, "name": "default"}]}

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write every table (CSV, DHIS2 JSON, Stata .dta) into ``directory``; return paths."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "org_units": out / "org_units.csv",
            "data_elements": out / "data_elements.csv",
            "data_values_csv": out / "data_values.csv",
            "data_values_json": out / "data_values.json",
            "metadata": out / "metadata.json",
            "reports": out / "reports.csv",
            "rollout": out / "rollout.csv",
            "survey_csv": out / "survey.csv",
            "survey_dta": out / "survey.dta",
            "truth": out / "truth.json",
            "concepts": out / "concepts.yaml",
        }
        self.org_units.to_csv(paths["org_units"], index=False)
        self.data_elements.to_csv(paths["data_elements"], index=False)
        self.data_values.to_csv(paths["data_values_csv"], index=False)
        paths["data_values_json"].write_text(
            '{"dataValues": ' + self.data_values.to_json(orient="records") + "}")
        paths["metadata"].write_text(json.dumps(self.metadata(), indent=1))
        self.reports.to_csv(paths["reports"], index=False)
        self.rollout.to_csv(paths["rollout"], index=False)
        self.survey.to_csv(paths["survey_csv"], index=False)
        self.survey.to_stata(paths["survey_dta"], write_index=False, version=118,
                             value_labels={"v024": self.region_labels()})
        paths["concepts"].write_text(yaml.safe_dump(file_document(example_concepts()),
                                                    sort_keys=False))
        paths["truth"].write_text(json.dumps({"truth": self.truth, "country": self.country,
                                              "seed": self.seed}, indent=1, default=str))
        return paths


def _params() -> dict[str, Any]:
    text = resources.files("mmsis.datasets").joinpath("example_country.yaml").read_text()
    return dict(yaml.safe_load(text))


@lru_cache(maxsize=4)
def example_country(seed: int = DEFAULT_SEED) -> ExampleCountry:
    """Generate the example country; the same seed always gives the same country."""
    params = _params()
    rng = np.random.default_rng(seed)
    org_units = build_org_units(params, rng)
    rollout = build_rollout(org_units, params, rng)
    routine = build_routine(org_units, rollout, params, rng)
    survey = build_survey(org_units, rollout, params, rng)
    country: CountryFacts = {
        "name": params["name"],
        "start_period": params["start_period"],
        "end_period": _periods(params["start_period"], params["months"])[-1],
        "months": params["months"],
        "crude_birth_rate": params["crude_birth_rate"],
        "pregnancy_loss_adjustment": params["pregnancy_loss_adjustment"],
        "stock_min_months": params["routine"]["stock_min_months"],
        "stock_max_months": params["routine"]["stock_max_months"],
        "status": "synthetic (assumption): generator settings in mmsis/datasets/"
                  "example_country.yaml",
    }
    return ExampleCountry(
        org_units=org_units,
        data_elements=data_elements_table(),
        data_values=routine["data_values"],
        reports=routine["reports"],
        data_sets=pd.DataFrame({"id": [REPORTING_DATA_SET], "name": [REPORTING_DATA_SET_NAME]}),
        rollout=rollout,
        waves=[SurveyWave(name="dhs_example", frame=survey, file="survey.csv")],
        truth=routine["truth"],
        country=country,
        concepts=example_concepts(),
        seed=seed,
    )
