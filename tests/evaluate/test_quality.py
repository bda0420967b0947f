"""Data-quality handling of ITS series: flagging, drop / impute / completeness offset."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate.its import ITSResult, fit_its
from mmsis.evaluate.quality import Handling, apply_handling, seasonal_interpolate


def series(seed: int = 0, rr: float = 1.2) -> pd.DataFrame:
    """60 months of Poisson counts with season, trend, a level change at month 36 and
    under-reporting: observed = true x completeness."""
    rng = np.random.default_rng(seed)
    t = np.arange(60)
    month = t % 12 + 1
    d = (t >= 36).astype(int)
    mu = 1000 * np.exp(0.002 * t + 0.15 * np.cos(2 * np.pi * month / 12)) * rr**d
    comp = np.where(rng.random(60) < 0.2, rng.uniform(0.5, 0.85, 60), 1.0)
    y = rng.poisson(mu * comp).astype(float)
    return pd.DataFrame({"t": t, "month": month, "d": d, "y": y, "comp": comp, "pop": 1e5})


def _fit(df: pd.DataFrame, missing: Handling, **kw: Any) -> ITSResult:
    """The seasonal quasi-Poisson ITS of ``series`` with completeness column ``comp``."""
    return fit_its(
        df,
        "y",
        "t",
        "d",
        harmonics=1,
        season="month",
        family="quasipoisson",
        completeness="comp",
        missing=missing,
        **kw,
    )


def test_completeness_offset_removes_underreporting_bias() -> None:
    df = series()
    naive = _fit(df, "drop", offset="pop", min_completeness=0.0)
    adj = _fit(df, "offset", offset="pop")
    assert adj.data_quality["completeness_offset"] is True
    assert adj.level_change["ci_low"] < 1.2 < adj.level_change["ci_high"]
    assert adj.dispersion < 2 < naive.dispersion
    assert adj.level_change["se"] < naive.level_change["se"]


def test_drop_reports_and_removes_low_completeness_months() -> None:
    df = series()
    r = _fit(df, "drop", min_completeness=0.9)
    low = int((df["comp"] < 0.9).sum())
    assert r.data_quality["n_low_completeness"] == low == r.data_quality["n_dropped"]
    assert r.n == 60 - low
    assert any("data quality" in w for w in r.warnings)
    assert r.level_change["ci_low"] < 1.2 < r.level_change["ci_high"]


def test_impute_fills_missing_months_and_gaps() -> None:
    df = series()
    df.loc[[10, 40], "y"] = np.nan  # not reported
    df = df.drop(index=[20, 21])  # months absent from the file
    r = _fit(df, "impute", min_completeness=0.9)
    dq = r.data_quality
    assert dq["missing_times"] == [10.0, 20.0, 21.0, 40.0]
    assert dq["n_imputed"] == 4 + dq["n_low_completeness"]
    assert r.n == 60
    assert r.level_change["ci_low"] < 1.2 < r.level_change["ci_high"]


def test_seasonal_interpolation_restores_a_pure_seasonal_series() -> None:
    t = np.arange(48.0)
    season = t % 12 + 1
    y = np.expm1(np.log(500) + 0.01 * t + 0.2 * np.cos(2 * np.pi * season / 12))
    frame = pd.DataFrame({"t": t, "y": y, "season": season})
    target = pd.Series(False, index=frame.index)
    target[[5, 17, 30]] = True
    filled = seasonal_interpolate(frame.assign(y=frame["y"].where(~target)), target)
    assert filled[[5, 17, 30]].to_numpy() == pytest.approx(y[[5, 17, 30]], rel=1e-6)


def test_bad_handling_and_offset_without_completeness() -> None:
    df = series()
    with pytest.raises(InputError, match="one of"):
        fit_its(df, "y", "t", "d", missing="guess")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="completeness"):
        fit_its(df, "y", "t", "d", missing="offset")
    frame = pd.DataFrame({"t": [0.0, 1.0], "y": [1.0, 2.0], "d": [0, 1], "comp": [0.5, 2.0]})
    with pytest.raises(InputError, match="completeness"):
        fit_its(frame.rename(columns={"comp": "c"}), "y", "t", "d", completeness="c")
    assert apply_handling(frame.drop(columns="comp"), "drop", 0.9, 12)[1]["n_dropped"] == 0


@pytest.mark.parametrize("gap", [12, 24, 13])
def test_imputed_gap_keeps_the_season_coding_of_a_numeric_time(gap: int) -> None:
    """With a numeric time the default season is t % 12 (0..11); a gap at t % 12 == 0 was
    given season 12, a category of its own (an extra month indicator fitting it exactly)."""
    rng = np.random.default_rng(0)
    t = np.arange(1, 49)
    y = rng.poisson(200 * np.exp(0.2 * np.sin(2 * np.pi * t / 12) + 0.1 * (t >= 25)))
    df = pd.DataFrame({"time": t, "d": (t >= 25).astype(int), "y": y.astype(float)})
    df["period"] = [(2019 + (x - 1) // 12) * 100 + (x - 1) % 12 + 1 for x in t]
    kept = df[df["time"] != gap]
    a = fit_its(kept, "y", "time", "d", month_indicators=True, missing="impute")
    b = fit_its(kept, "y", "period", "d", month_indicators=True, missing="impute")
    assert len(a.summary) == len(b.summary) == 14  # 11 month indicators
    assert a.level_change["estimate"] == pytest.approx(b.level_change["estimate"], rel=1e-10)
    assert a.data_quality["n_imputed"] == 1
