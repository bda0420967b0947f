"""Report results are cached on the programme itself: computed once per programme, afresh for
another, forgotten when it is closed (no global cache keyed by object identity)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmsis.data.programme import CountryProgramme
from mmsis.report import gather


def _programme() -> CountryProgramme:
    return CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame())


def test_results_are_cached_on_their_programme(monkeypatch: Any) -> None:
    made: list[CountryProgramme] = []

    def fake_evaluation(country: CountryProgramme) -> tuple[Any, Any]:
        made.append(country)
        n = len(made)
        res = gather.EvaluationResults(summary=pd.DataFrame({"n": [n]}),
                                       event_study=pd.DataFrame(), chart_png=None, truth={})
        return res, lambda: [f"source of result {n}"]  # words written when shown

    def number(res: Any) -> int:
        return int(res.summary["n"].iloc[0])

    monkeypatch.setattr(gather, "_evaluation", fake_evaluation)
    country = _programme()
    first = gather.evaluation_results(country)
    again = gather.evaluation_results(country)
    assert again.summary is first.summary and number(first) == 1  # cached, not recomputed
    assert again.sources == ["source of result 1"]
    assert len(made) == 1
    other = _programme()
    assert number(gather.evaluation_results(other)) == 2  # another programme computes afresh
    country.close()  # closing forgets the programme's results
    assert number(gather.evaluation_results(country)) == 3
    assert not hasattr(gather, "_EVALUATIONS") and not hasattr(gather, "_STORES")


def test_survey_results_are_cached_per_chosen_wave(monkeypatch: Any) -> None:
    from mmsis.data.programme import SurveyWave

    seen: list[int] = []

    def fake_survey(country: CountryProgramme, period_months: int) -> tuple[Any, Any]:
        assert country.survey is not None
        n = len(country.survey)
        seen.append(n)
        empty = pd.DataFrame()
        res = gather.SurveyResults(cascade=empty, cascade_any=empty, adherence=empty,
                                   equity_groups=empty, equity_measures=empty, date="")
        return res, lambda: [str(n)]

    def rows(res: Any) -> list[str]:
        return list(res.sources)

    monkeypatch.setattr(gather, "_survey_results", fake_survey)
    country = CountryProgramme(country={"name": "Testland"}, org_units=pd.DataFrame(), waves=[
        SurveyWave(name="w1", frame=pd.DataFrame({"caseid": ["1"]})),
        SurveyWave(name="w2", frame=pd.DataFrame({"caseid": ["1", "2"]}))])
    assert rows(gather.survey_results(country)) == ["2"]  # the latest wave
    country.wave = "w1"
    assert rows(gather.survey_results(country)) == ["1"]  # another wave: computed afresh
    country.wave = None
    assert rows(gather.survey_results(country)) == ["2"] and seen == [2, 1]  # cached per wave
