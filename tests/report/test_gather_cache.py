"""Report inputs are cached per country object and dropped when the object is freed."""

from __future__ import annotations

import gc
from typing import Any

from mmsis.report import gather


class _Country:
    """A stand-in country; only its identity matters to the cache."""


def test_entries_are_dropped_with_their_country(monkeypatch: Any) -> None:
    made: list[int] = []

    def fake_evaluation(country: Any) -> str:
        made.append(id(country))
        return f"result-{len(made)}"

    monkeypatch.setattr(gather, "_evaluation", fake_evaluation)
    country = _Country()
    first = gather.evaluation_results(country)
    assert gather.evaluation_results(country) == first  # cached, not recomputed
    assert len(made) == 1
    key = id(country)
    del country
    gc.collect()
    assert key not in gather._EVALUATIONS
    other = _Country()
    assert gather.evaluation_results(other) == "result-2"  # a new object is computed afresh
