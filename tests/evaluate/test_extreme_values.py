"""Issue 12, finding 7 in the evaluation methods: infinite values and values beyond any count
(1e308, whose sums overflow) are refused naming the row and column; a model that breaks down
numerically on extreme but allowed values is an InputError, never a statsmodels traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate import fit_did, fit_its

FAMILIES = ("poisson", "quasipoisson", "negbin", "gaussian")


def _series(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"month": [f"{2023 + i // 12}{i % 12 + 1:02d}" for i in range(24)],
                         "cases": values, "post": [int(i >= 12) for i in range(24)]})


@pytest.mark.parametrize("bad", [1e308, float("inf"), -float("inf"), 2e12])
@pytest.mark.parametrize("family", FAMILIES)
def test_its_refuses_values_beyond_a_count_naming_the_row(bad: float, family: str) -> None:
    values = [100.0 + i for i in range(24)]
    values[20] = bad
    with pytest.raises(InputError) as err:
        fit_its(_series(values), "cases", "month", "post", family=family,  # type: ignore[arg-type]
                file="its.csv")
    assert (err.value.row, err.value.column, err.value.file) == (21, "cases", "its.csv")


@pytest.mark.parametrize("family", FAMILIES)
def test_extreme_but_allowed_values_fit_or_give_an_input_error(family: str) -> None:
    for values in ([0.0] * 20 + [1e12] + [0.0] * 3, [0.0, 1e12] * 12, [1e12] * 24):
        try:
            res = fit_its(_series(values), "cases", "month", "post",
                          family=family)  # type: ignore[arg-type]
        except InputError as exc:  # named for the user (outcome, family...), no traceback
            assert exc.field or exc.column
        else:
            assert np.isfinite(res.summary["estimate"]).all()


def test_did_refuses_infinite_outcomes() -> None:
    rows = [{"unit": u, "t": t, "y": 1.0 + t, "start": 5 if u < 2 else None}
            for u in range(4) for t in range(10)]
    df = pd.DataFrame(rows)
    df.loc[7, "y"] = float("inf")
    with pytest.raises(InputError) as err:
        fit_did(df, "y", "unit", "t", "start")
    assert (err.value.row, err.value.column) == (8, "y")


def test_cli_exits_2_with_the_row_never_a_traceback(tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                     capsys) -> None:
    from mmsis.cli import main

    values: list[float] = [100.0 + i for i in range(24)]
    values[3] = 1e308
    f = tmp_path / "its.csv"
    _series(values).to_csv(f, index=False)
    monkeypatch.setattr(sys, "argv", ["mmsis", "evaluate", "its", str(f), "--outcome", "cases",
                                      "--time", "month", "--intervention", "post"])
    with pytest.raises(SystemExit) as code:
        main()
    out = capsys.readouterr()
    assert code.value.code == 2
    assert "row 4" in out.err and "'cases'" in out.err and "Traceback" not in out.err + out.out
