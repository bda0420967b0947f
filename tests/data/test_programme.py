"""The typed programme model: which parts it holds, why others are absent, where data came
from; the example country is one instance of it."""

from __future__ import annotations

import pandas as pd
import pytest

from mmsis.data.programme import CONSTANTS, CountryProgramme, SurveyWave
from mmsis.data.workspace import KeyResultStatus, Programme
from mmsis.datasets import ExampleCountry, example_country
from mmsis.errors import InputError


def test_parts_missing_reasons_and_sources() -> None:
    p = CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame(),
                         waves=[SurveyWave(name="w1", frame=pd.DataFrame({"caseid": ["1"]}))],
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


def test_survey_waves_in_order_the_latest_chosen_unless_named() -> None:
    read: list[str] = []

    def later() -> pd.DataFrame:
        read.append("w2")
        return pd.DataFrame({"caseid": ["a", "b"]})

    p = CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame(),
                         waves=[SurveyWave(name="w1", frame=pd.DataFrame({"caseid": ["1"]})),
                                SurveyWave(name="w2", load=later)])
    assert [w.name for w in p.waves] == ["w1", "w2"]
    assert not read  # a wave given with a reader is read when first used
    assert p.chosen_wave is p.waves[-1] and list(p.survey["caseid"]) == ["a", "b"]
    assert read == ["w2"] and p.has("survey")
    p.wave = "w1"
    assert list(p.survey["caseid"]) == ["1"] and read == ["w2"]
    p.wave = "w9"
    with pytest.raises(InputError, match="no survey wave 'w9' \\(waves: w1, w2\\)"):
        _ = p.survey
    empty = CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame())
    assert empty.chosen_wave is None and empty.survey is None and not empty.has("survey")


def test_statuses_are_the_teams_records_and_travel_with_the_data() -> None:
    from mmsis.plan.workspace import Programme as PlanProgramme

    assert PlanProgramme is Programme  # plan reads and writes the data layer's model
    team = Programme(country="Testland", key_results=[
        KeyResultStatus(key_result="explore_policy_tag", status="met")])
    p = CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame(),
                         statuses=team)
    assert p.statuses is team and p.statuses.status_of("explore_policy_tag") is not None
    c = example_country()
    judged = c.with_statuses(team)
    assert judged.statuses is team and c.statuses is None
    assert judged.survey is c.survey  # the same data
    assert judged.cached("k", lambda: 1) == 1 and c.cached("k", lambda: 2) == 1  # one cache
    c._cache.pop("k")
