"""The typed programme model: which parts it holds, why others are absent, where data came
from; the example country is one instance of it."""

from __future__ import annotations

import pandas as pd

from mmsis.data.programme import CONSTANTS, CountryProgramme
from mmsis.datasets import ExampleCountry, example_country


def test_parts_missing_reasons_and_sources() -> None:
    p = CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame(),
                         survey=pd.DataFrame({"caseid": ["1"]}),
                         rollout=pd.DataFrame(columns=["district_id", "mms_start"]),
                         sources={"survey": "file s.csv"},
                         missing={"rollout": "no roll-out file linked"}, origin="plan.yaml")
    assert p.has("survey") and not p.has("routine") and not p.has("scenario")
    assert not p.has("rollout")  # an empty table holds no data
    assert p.missing_reason("rollout") == "no roll-out file linked"
    assert p.missing_reason("routine") == "no DHIS2 routine data values in plan.yaml"
    assert p.source_of("survey", "synthetic") == "file s.csv"
    assert p.source_of("routine", "synthetic") == "DHIS2 routine data values of Testland"
    assert p.name == "Testland"


def test_constants_are_country_facts() -> None:
    p = CountryProgramme(country={"name": None}, org_units=pd.DataFrame())
    p.set_constants({"crude_birth_rate": 31.5, "other": 2.0})
    assert p.constants() == {"crude_birth_rate": 31.5}
    assert p.name == "the country"


def test_the_example_country_is_a_programme() -> None:
    c = example_country()
    assert isinstance(c, ExampleCountry) and isinstance(c, CountryProgramme)
    assert c.synthetic and c.concepts is not None and c.concepts.district_level == 3
    assert all(c.has(part) for part in ("routine", "survey", "rollout", "scenario"))
    assert c.source_of("survey", "the example") == "the example"
    assert set(c.constants()) == set(CONSTANTS)
