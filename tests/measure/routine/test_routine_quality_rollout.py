"""Planned MMS scale-up is not a data-quality fault (routine quality, docs/routine.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from mmsis.data.store import Store, load_example
from mmsis.errors import InputError
from mmsis.measure.routine import quality_review
from mmsis.measure.routine.definitions import load_definitions
from mmsis.measure.routine.quality import _planned_outliers, rollout_starts


@pytest.fixture(scope="module")
def store(example_country):  # type: ignore[no-untyped-def]
    st = Store(":memory:")
    load_example(st, example_country)
    yield st
    st.close()


def test_scale_up_years_are_not_inconsistent(store: Store) -> None:
    qr = quality_review(store, level=3)
    over_time = qr.table[qr.table["check"] == "consistency_over_time"]
    # every district started MMS inside 2021-2024: its MMS volume is left out, not flagged
    assert "MMS_CLIENTS" not in set(over_time["data_element"])
    assert set(over_time["data_element"]) == {"ANC1", "ANC4"}
    metric = qr.summary.loc[qr.summary["dimension"] == "consistency_over_time", "metric"].iloc[0]
    assert "24 in planned MMS roll-out left out" in metric


def test_without_the_rollout_rule_the_scale_up_is_flagged(store: Store) -> None:
    """The old behaviour, kept reachable by emptying the rule: 12 districts flagged."""
    defs = load_definitions(None).model_copy(deep=True)
    defs.quality.rollout_data_elements = []
    qr = quality_review(store, level=3, definitions=defs)
    flagged = qr.table[(qr.table["check"] == "consistency_over_time") & qr.table["flag"]]
    assert (flagged["data_element"] == "MMS_CLIENTS").sum() >= 10


def test_starts_inferred_match_the_rollout_file(store: Store, example_country) -> None:  # type: ignore[no-untyped-def]
    from mmsis.measure.routine.aggregate import ancestors

    q = load_definitions(None).resolved(store.concepts()).quality
    anc = ancestors(store, 3)
    inferred = rollout_starts(store, anc, q)
    given = rollout_starts(store, anc, q, example_country.rollout.astype(str))
    assert given == dict(zip(example_country.rollout["district_id"],
                             example_country.rollout["mms_start"].astype(str), strict=True))
    # the first month with MMS clients is the planned start (or soon after it)
    for unit, start in given.items():
        assert inferred[unit] >= start
    with pytest.raises(InputError, match="YYYYMM"):
        rollout_starts(store, anc, q, pd.DataFrame({"district_id": ["DIS01"],
                                                    "mms_start": ["soon"]}))


def test_ramp_up_outliers_are_not_flagged() -> None:
    flags = pd.DataFrame({"org_unit": ["F1", "F1", "F1", "F2"],
                          "period": ["202206", "202207", "202301", "202208"],
                          "data_element": ["MMS_CLIENTS", "MMS_CLIENTS", "MMS_CLIENTS", "ANC1"]})
    fac_unit = pd.Series({"F1": "D1", "F2": "D1"})
    planned = _planned_outliers(flags, fac_unit, {"D1": "202207"}, {"MMS_CLIENTS"}, 6)
    # before the start and after the ramp-up: still flagged; other elements: still flagged
    assert planned.tolist() == [False, True, False, False]
