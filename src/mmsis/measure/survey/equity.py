"""Equity of a coverage indicator: gaps between groups and the slope index of inequality."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from mmsis.errors import InputError
from mmsis.measure.survey.design import Design
from mmsis.measure.survey.estimators import numeric, proportion
from mmsis.measure.survey.variance import domain_df, domain_variance

_GAP = "Taylor linearisation of the difference, Wald CI with t on design df"
_REL = "Taylor linearisation of the log ratio, CI exp(log ratio +/- t se)"
_SII = "weighted least squares on the wealth ridit, linearisation SE (svyglm), t on design df"


def _mean_scores(design: Design, y: np.ndarray, rows: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted mean over `rows` and its linearisation scores (0 outside)."""
    w = np.where(rows, design.weights, 0.0)
    y0 = np.where(rows, y, 0.0)
    wsum = w.sum()
    est = float((w * y0).sum() / wsum)
    return est, w * (y0 - est) / wsum


def _var_df(design: Design, scores: np.ndarray, rows: np.ndarray) -> tuple[float, int]:
    dom = np.where(rows, 0, -1)
    v = float(domain_variance(design, scores, dom, 1)[0])
    df = int(domain_df(design, dom, 1)[0])
    return v, df


def _tq(level: float, df: int) -> float:
    return float(stats.t.ppf(0.5 + level / 2, df)) if df > 0 else float("nan")


def gaps(
    design: Design,
    indicator: str,
    dimension: str,
    level: float = 0.95,
    ordered: bool | None = None,
) -> pd.DataFrame:
    """Absolute and relative gap between the top and bottom group of ``dimension``.

    For an ordered dimension (wealth) top/bottom are its last/first categories; otherwise
    the groups with the highest and lowest estimates.
    """
    y = numeric(design, indicator, binary=True)
    groups = proportion(design, indicator, by=dimension, level=level)
    groups = groups[groups["n"] > 0].reset_index(drop=True)
    if len(groups) < 2:
        raise InputError(f"need at least two groups of '{dimension}' with data", column=dimension)
    col = design.data[dimension]
    is_ordered = (
        ordered
        if ordered is not None
        else bool(isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered)
    )
    if is_ordered:
        top, bottom = groups.iloc[-1], groups.iloc[0]
    else:
        top = groups.loc[groups["estimate"].idxmax()]
        bottom = groups.loc[groups["estimate"].idxmin()]
    valid = ~np.isnan(y)
    in_top = valid & (col == top[dimension]).to_numpy()
    in_bot = valid & (col == bottom[dimension]).to_numpy()
    p_top, s_top = _mean_scores(design, y, in_top)
    p_bot, s_bot = _mean_scores(design, y, in_bot)
    both = in_top | in_bot
    v_abs, df = _var_df(design, s_top - s_bot, both)
    t = _tq(level, df)
    diff = p_top - p_bot
    se = float(np.sqrt(v_abs))
    comp = f"{top[dimension]} - {bottom[dimension]}"
    rows = [
        dict(
            measure="absolute gap",
            comparison=comp,
            estimate=diff,
            se=se,
            ci_low=diff - t * se,
            ci_high=diff + t * se,
            n=int(both.sum()),
            df=df,
            method=_GAP,
        )
    ]
    if p_top > 0 and p_bot > 0:
        v_log, _ = _var_df(design, s_top / p_top - s_bot / p_bot, both)
        rr = p_top / p_bot
        se_log = float(np.sqrt(v_log))
        rows.append(
            dict(
                measure="relative gap",
                comparison=comp.replace(" - ", " / "),
                estimate=rr,
                se=rr * se_log,
                ci_low=rr * np.exp(-t * se_log),
                ci_high=rr * np.exp(t * se_log),
                n=int(both.sum()),
                df=df,
                method=_REL,
            )
        )
    out = pd.DataFrame(rows)
    out.insert(0, "dimension", dimension)
    return out


def slope_index(
    design: Design, indicator: str, dimension: str, level: float = 0.95
) -> pd.DataFrame:
    """Slope index of inequality: weighted regression of the indicator on the weighted ridit of
    an ordered dimension (e.g. wealth quintile), with a design-based (linearisation) SE."""
    y = numeric(design, indicator, binary=True)
    col = design.data[dimension]
    rank = (
        col.cat.codes.to_numpy()
        if isinstance(col.dtype, pd.CategoricalDtype)
        else (pd.factorize(col, sort=True)[0])
    )
    valid = ~np.isnan(y) & (rank >= 0)
    w = np.where(valid, design.weights, 0.0)
    n_cat = int(rank.max()) + 1
    wk = np.bincount(np.where(valid, rank, 0), weights=w, minlength=n_cat)
    ridit_k = (np.cumsum(wk) - wk / 2) / wk.sum()
    x = np.where(valid, ridit_k[np.where(valid, rank, 0)], 0.0)
    y0 = np.where(valid, y, 0.0)
    wsum = w.sum()
    xbar = (w * x).sum() / wsum
    ybar = (w * y0).sum() / wsum
    sxx = (w * (x - xbar) ** 2).sum()
    slope = float((w * (x - xbar) * (y0 - ybar)).sum() / sxx)
    resid = y0 - ybar - slope * (x - xbar)
    scores = np.where(valid, w * (x - xbar) * resid / sxx, 0.0)
    v, df = _var_df(design, scores, valid)
    se = float(np.sqrt(v))
    t = _tq(level, df)
    return pd.DataFrame(
        [
            dict(
                dimension=dimension,
                measure="slope index of inequality",
                comparison="top - bottom of the ridit scale",
                estimate=slope,
                se=se,
                ci_low=slope - t * se,
                ci_high=slope + t * se,
                n=int(valid.sum()),
                df=df,
                method=_SII,
            )
        ]
    )


def equity(
    design: Design,
    indicator: str,
    dimensions: Sequence[str] = ("wealth", "residence", "region"),
    ordered_dimension: str | None = "wealth",
    level: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group estimates and inequality measures of ``indicator`` for each dimension.

    Returns ``(groups, measures)``: groups has ``dimension, group`` then the estimate columns;
    measures has absolute and relative gaps for every dimension and the SII for the ordered one.
    """
    group_frames, measure_frames = [], []
    for dim in dimensions:
        g = proportion(design, indicator, by=dim, level=level, deff="wr")
        g = g.rename(columns={dim: "group"})
        g["group"] = g["group"].astype(str)
        g.insert(0, "dimension", dim)
        group_frames.append(g)
        measure_frames.append(
            gaps(design, indicator, dim, level=level, ordered=dim == ordered_dimension)
        )
        if dim == ordered_dimension:
            measure_frames.append(slope_index(design, indicator, dim, level=level))
    groups = pd.concat(group_frames, ignore_index=True)
    measures = pd.concat(measure_frames, ignore_index=True)
    measures.insert(1, "indicator", indicator)
    groups.insert(1, "indicator", indicator)
    return groups, measures
