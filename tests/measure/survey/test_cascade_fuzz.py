"""The programme cascade (issue #13: the dashboard's, the report's and `mmsis survey cascade`'s)
of a damaged survey wave (few or no rows, columns emptied, text, negative, huge or dropped):
a table or the project's error naming the file, never another exception (a 500 on the
dashboard). Hypothesis examples: MMSIS_FUZZ_EXAMPLES (default 30)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmsis.errors import MmsisError
from mmsis.measure.survey.programme import programme_cascade

FUZZ = settings(max_examples=int(os.environ.get("MMSIS_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

@FUZZ
@given(n=st.integers(0, 40), seed=st.integers(0, 10_000),
       breaks=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(
           ["nan", "str", "neg", "zero", "huge", "drop", "one"])), max_size=4))
def test_fuzz_programme_cascade(example_country: Any, n: int, seed: int,
                                breaks: list[tuple[int, str]]) -> None:
    df = example_country.survey.sample(n, random_state=seed).reset_index(drop=True)
    cols = list(df.columns)
    for i, how in breaks:
        if not cols:
            break
        c = cols[i % len(cols)]
        if c not in df:
            continue
        if how == "nan":
            df[c] = np.nan
        elif how == "str":
            df[c] = "x"
        elif how == "neg":
            df[c] = -1
        elif how == "zero":
            df[c] = 0
        elif how == "huge":
            df[c] = 1e300
        elif how == "drop":
            df = df.drop(columns=[c])
        elif how == "one":
            df[c] = 1
    with contextlib.suppress(MmsisError):
        programme_cascade(df, file="s.csv")
