"""Data-quality handling for routine series: flag missing months and low reporting completeness,
then drop, impute or adjust them (by a completeness offset) as the user chooses, and say so."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from mmsis.errors import InputError

Handling = Literal["drop", "impute", "offset"]
HANDLINGS: tuple[str, ...] = ("drop", "impute", "offset")


def flag_series(frame: pd.DataFrame, min_completeness: float) -> pd.DataFrame:
    """Mark rows whose outcome is missing or whose reporting completeness is below the threshold.

    `frame` has columns `t` (integer time), `y` (outcome, NaN when not reported) and optionally
    `comp` (reporting completeness in [0, 1]). Adds `missing` and `low_completeness` booleans.
    """
    out = frame.copy()
    out["missing"] = out["y"].isna()
    if "comp" in out:
        out["low_completeness"] = (~out["missing"]) & (out["comp"] < min_completeness)
    else:
        out["low_completeness"] = False
    return out


def missing_times(t: pd.Series) -> list[float]:
    """Time points absent from a regular series (gaps in the integer time index)."""
    if len(t) < 2:
        return []
    steps = np.diff(np.sort(t.to_numpy()))
    step = float(pd.Series(steps).mode().iloc[0])
    if step <= 0:
        return []
    full = np.arange(t.min(), t.max() + step / 2, step)
    return [float(v) for v in np.setdiff1d(np.round(full, 9), np.round(t.to_numpy(), 9))]


def _fill_gaps(frame: pd.DataFrame, gaps: list[float], period: int | None) -> pd.DataFrame:
    """Insert rows for absent months so they can be imputed (intervention and season inferred)."""
    if not gaps:
        return frame
    first = frame.sort_values("t").iloc[0]
    t_start = frame.loc[frame["d"] == 1, "t"].min()
    seasons = set(frame["season"].tolist()) if "season" in frame else set()
    rows = []
    for g in gaps:
        row: dict[str, Any] = {"t": g, "y": np.nan, "d": int(g >= t_start), "inserted": True}
        if "season" in frame and period:
            # keep the series' own coding: months 1..12, or t % period (0..11) when the season
            # was derived from a numeric time; a gap must not open a new season category
            s = (first["season"] + (g - first["t"])) % period
            if s == 0 and 0 not in seasons and (period in seasons or min(seasons) >= 1):
                s = period
            row["season"] = s
        rows.append(row)
    out = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True).sort_values("t")
    if "off" in out:
        out["off"] = out["off"].interpolate(method="linear", limit_direction="both")
    if "comp" in out:
        out["comp"] = out["comp"].fillna(0.0)
    return out.reset_index(drop=True)


def seasonal_interpolate(frame: pd.DataFrame, target: pd.Series) -> pd.Series:
    """Fill flagged outcomes by linear interpolation in time on a seasonally adjusted log scale.

    Seasonal effects come from log(1 + y/offset) ~ trend + season fitted to the kept points;
    without a season column it is plain linear interpolation of log(1 + y/offset) in time.
    """
    keep = ~target
    t = frame["t"].to_numpy(dtype=float)
    off = frame["off"].to_numpy(dtype=float) if "off" in frame else np.ones(len(frame))
    logy = np.log1p(frame["y"].to_numpy(dtype=float) / off)
    seas = np.zeros(len(frame))
    if "season" in frame and frame.loc[keep, "season"].nunique() > 1:
        # trend and season fitted jointly on the kept months (least squares, log scale)
        dummies = pd.get_dummies(frame["season"].astype(str), dtype=float)
        design = np.column_stack([np.ones(len(frame)), t, dummies.to_numpy()[:, 1:]])
        k = keep.to_numpy()
        coef, *_ = np.linalg.lstsq(design[k], logy[k], rcond=None)
        seas = dummies.to_numpy()[:, 1:] @ coef[2:]
    adj = logy - seas
    filled = np.interp(t, t[keep], adj[keep]) + seas
    return pd.Series(np.where(target, np.expm1(filled) * off, frame["y"]), index=frame.index)


def apply_handling(
    frame: pd.DataFrame,
    handling: Handling,
    min_completeness: float,
    period: int | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Apply the chosen data-quality handling; returns the modelling frame and a report of it."""
    if handling not in HANDLINGS:
        raise InputError(
            f"must be one of {', '.join(HANDLINGS)} (got {handling!r})", field="missing"
        )
    gaps = missing_times(frame["t"])
    flagged = flag_series(frame.assign(inserted=False), min_completeness)
    n_missing = int(flagged["missing"].sum()) + len(gaps)
    low = flagged.loc[flagged["low_completeness"], "t"].tolist()
    report: dict[str, Any] = {
        "handling": handling,
        "min_completeness": min_completeness if "comp" in frame else None,
        "missing_times": sorted(gaps + flagged.loc[flagged["missing"], "t"].tolist()),
        "low_completeness_times": low,
        "n_missing": n_missing,
        "n_low_completeness": len(low),
        "n_dropped": 0,
        "n_imputed": 0,
        "completeness_offset": False,
    }
    if handling == "drop":
        bad = flagged["missing"] | flagged["low_completeness"]
        report["n_dropped"] = int(bad.sum())
        out = flagged.loc[~bad]
    elif handling == "impute":
        filled = flag_series(
            _fill_gaps(flagged, gaps, period).assign(
                inserted=lambda f: f["inserted"].fillna(False).astype(bool)
            ),
            min_completeness,
        )
        target = filled["missing"] | filled["low_completeness"]
        if int((~target).sum()) < 2:
            raise InputError("too few complete months to impute from", field="missing")
        filled["y"] = seasonal_interpolate(filled, target)
        report["n_imputed"] = int(target.sum())
        out = filled
    else:  # offset
        if "comp" not in frame:
            raise InputError(
                "handling 'offset' needs a reporting completeness column", field="completeness"
            )
        bad = flagged["missing"] | ~(flagged["comp"] > 0)
        report["n_dropped"] = int(bad.sum())
        report["completeness_offset"] = True
        out = flagged.loc[~bad].copy()
        out["off"] = out.get("off", 1.0) * out["comp"]
    cols = [c for c in out.columns if c not in ("missing", "low_completeness", "inserted")]
    return out[cols].reset_index(drop=True), report
