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

    def fake_evaluation(country: CountryProgramme) -> str:
        made.append(country)
        return f"result-{len(made)}"

    monkeypatch.setattr(gather, "_evaluation", fake_evaluation)
    country = _programme()
    first = gather.evaluation_results(country)
    assert gather.evaluation_results(country) == first == "result-1"  # cached, not recomputed
    assert len(made) == 1
    other = _programme()
    assert gather.evaluation_results(other) == "result-2"  # another programme computes afresh
    country.close()  # closing forgets the programme's results
    assert gather.evaluation_results(country) == "result-3"
    assert not hasattr(gather, "_EVALUATIONS") and not hasattr(gather, "_STORES")
