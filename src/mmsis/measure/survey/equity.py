"""Equity of a coverage indicator: gaps between groups, the slope index of inequality and
WHO HEAT's summary measures (relative index of inequality, concentration index with the
Erreygers and Wagstaff corrections, population attributable risk and fraction), each with a
design-based (Taylor linearisation) CI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from mmsis.errors import InputError
from mmsis.measure.survey.design import Design
from mmsis.measure.survey.estimators import numeric, proportion
from mmsis.measure.survey.results import EquityResult
from mmsis.measure.survey.variance import domain_df, domain_variance

_GAP = "Taylor linearisation of the difference, Wald CI with t on design df"
_REL = "Taylor linearisation of the log ratio, CI exp(log ratio +/- t se)"
_SII = "weighted least squares on the wealth ridit, linearisation SE (svyglm), t on design df"
_RII = ("logistic regression on the ridit (HEAT), RII = p(1) / p(0); linearisation SE of "
        "log RII (svyglm quasibinomial + delta method), CI exp(log RII +/- t se)")
_CIX = ("2 cov(y, ridit) / mean (HEAT's RCI){corr}; linearisation SE of the ratio of totals "
        "(svycontrast), t on design df")
_PAR = ("reference subgroup ({ref}) - setting average (HEAT; 0 when the reference is not "
        "better); linearisation SE, t on design df")
_PAF = ("(reference subgroup ({ref}) - setting average) / setting average (HEAT's PAF / 100); "
        "linearisation SE, t on design df")
Correction = Literal["none", "erreygers", "wagstaff"]
CORRECTIONS: tuple[str, ...] = ("none", "erreygers", "wagstaff")


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


def ridit(design: Design, y: np.ndarray, dimension: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's weighted ridit on an ordered dimension (the mid-point of its category's
    cumulative weight share among rows with ``y`` observed: 0 = most disadvantaged, 1 = most
    advantaged, as HEAT ranks subgroups), and the mask of those rows. The ridit is treated as
    fixed in the variances (as svyglm on a ridit column)."""
    if dimension not in design.data.columns:
        raise InputError(f"unknown column '{dimension}'", column=dimension)
    col = design.data[dimension]
    rank = (
        col.cat.codes.to_numpy()
        if isinstance(col.dtype, pd.CategoricalDtype)
        else (pd.factorize(col, sort=True)[0])
    )
    valid = ~np.isnan(y) & (rank >= 0)
    if not valid.any():
        raise InputError(f"no rows with both the indicator and '{dimension}'", column=dimension)
    w = np.where(valid, design.weights, 0.0)
    n_cat = int(rank.max()) + 1
    wk = np.bincount(np.where(valid, rank, 0), weights=w, minlength=n_cat)
    ridit_k = (np.cumsum(wk) - wk / 2) / wk.sum()
    return np.where(valid, ridit_k[np.where(valid, rank, 0)], 0.0), valid


def slope_index(
    design: Design, indicator: str, dimension: str, level: float = 0.95
) -> pd.DataFrame:
    """Slope index of inequality: weighted regression of the indicator on the weighted ridit of
    an ordered dimension (e.g. wealth quintile), with a design-based (linearisation) SE."""
    y = numeric(design, indicator, binary=True)
    x, valid = ridit(design, y, dimension)
    w = np.where(valid, design.weights, 0.0)
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


def _row(dimension: str, measure: str, comparison: str, est: float, se: float, df: int,
         n: int, level: float, method: str, log_scale: bool = False) -> dict[str, Any]:
    """One measures row: Wald CI with t on the design df (on the log scale for ratios)."""
    t = _tq(level, df)
    if log_scale:
        lo, hi = est * np.exp(-t * se), est * np.exp(t * se)
        se = est * se
    else:
        lo, hi = est - t * se, est + t * se
    return dict(dimension=dimension, measure=measure, comparison=comparison, estimate=est,
                se=se, ci_low=lo, ci_high=hi, n=n, df=df, method=method)


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted logistic regression coefficients by Newton-Raphson (svyglm's point estimate)."""
    from scipy.special import expit

    ybar = float((w * y).sum() / w.sum())
    if ybar <= 0 or ybar >= 1:
        raise InputError("the indicator is 0 (or 1) for everyone: no logistic RII")
    beta = np.array([np.log(ybar / (1 - ybar))] + [0.0] * (x.shape[1] - 1))
    for _ in range(100):
        p = expit(x @ beta)
        step = np.linalg.solve((x * (w * p * (1 - p))[:, None]).T @ x, x.T @ (w * (y - p)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            return beta
    raise InputError("the logistic regression for the RII did not converge (separation?)")


def relative_index(
    design: Design, indicator: str, dimension: str, level: float = 0.95
) -> pd.DataFrame:
    """Relative index of inequality as HEAT: logistic regression of the indicator on the ridit,
    RII = p(ridit 1) / p(ridit 0), with the design-based SE of log RII (delta method)."""
    from scipy.special import expit

    y = numeric(design, indicator, binary=True)
    r, valid = ridit(design, y, dimension)
    w = np.where(valid, design.weights, 0.0)
    y0 = np.where(valid, y, 0.0)
    x = np.column_stack([np.ones(design.n), r])
    beta = _logistic(x[valid], y0[valid], w[valid])
    p = expit(x @ beta)
    bread = np.linalg.inv((x * (w * p * (1 - p))[:, None]).T @ x)
    p1, p0 = float(expit(beta[0] + beta[1])), float(expit(beta[0]))
    grad = np.array([p0 - p1, 1 - p1])  # of log p1 - log p0 with respect to (b0, b1)
    scores = (x * (w * (y0 - p))[:, None]) @ (bread @ grad)
    v, df = _var_df(design, scores, valid)
    rii = p1 / p0
    return pd.DataFrame([_row(dimension, "relative index of inequality",
                              "p(top) / p(bottom) of the ridit scale, logistic", rii,
                              float(np.sqrt(v)), df, int(valid.sum()), level, _RII,
                              log_scale=True)])


def concentration_index(
    design: Design,
    indicator: str,
    dimension: str,
    correction: Correction = "none",
    level: float = 0.95,
) -> pd.DataFrame:
    """Concentration index on the ridit of an ordered dimension, C = 2 cov(y, ridit) / mean
    (HEAT's relative concentration index); ``erreygers`` 4 mean C and ``wagstaff`` C / (1 -
    mean) correct it for a bounded (0/1) indicator. Design-based SE (ridit fixed)."""
    if correction not in CORRECTIONS:
        raise InputError(f"must be one of {', '.join(CORRECTIONS)} (got {correction!r})",
                         field="correction")
    y = numeric(design, indicator, binary=True)
    r, valid = ridit(design, y, dimension)
    w = np.where(valid, design.weights, 0.0)
    y0 = np.where(valid, y, 0.0)
    tw, ty, tyr, tr = w.sum(), (w * y0).sum(), (w * y0 * r).sum(), (w * r).sum()
    if ty <= 0:
        raise InputError("the indicator is 0 for everyone: no concentration index")
    mu = ty / tw
    c = 2 * (tyr / ty - tr / tw)
    zc = 2 * w * (y0 * r / ty - tyr * y0 / ty**2 - r / tw + tr / tw**2)
    zmu = w * (y0 - mu) / tw
    if correction == "erreygers":
        est, scores, label = 4 * mu * c, 4 * (mu * zc + c * zmu), " x 4 mean (Erreygers)"
    elif correction == "wagstaff":
        if mu >= 1:
            raise InputError("the indicator is 1 for everyone: no Wagstaff correction")
        est = c / (1 - mu)
        scores, label = zc / (1 - mu) + c * zmu / (1 - mu) ** 2, " / (1 - mean) (Wagstaff)"
    else:
        est, scores, label = c, zc, ""
    v, df = _var_df(design, scores, valid)
    name = "concentration index" + ("" if correction == "none" else f" ({correction})")
    return pd.DataFrame([_row(dimension, name, "concentration on the ridit scale", float(est),
                              float(np.sqrt(v)), df, int(valid.sum()), level,
                              _CIX.format(corr=label))])


def attributable(
    design: Design,
    indicator: str,
    dimension: str,
    reference: str | None = None,
    ordered: bool | None = None,
    favourable: bool = True,
    level: float = 0.95,
) -> pd.DataFrame:
    """HEAT's population attributable risk (reference subgroup - setting average) and fraction
    (that / setting average), with design-based SEs. The reference is ``reference`` if given,
    else the most advantaged group of an ordered dimension (its last category), else the best
    performing group (highest for a favourable indicator, lowest for an adverse one). As HEAT,
    both are 0 when the reference does not beat the average (CI limits clipped at 0)."""
    y = numeric(design, indicator, binary=True)
    if dimension not in design.data.columns:
        raise InputError(f"unknown column '{dimension}'", column=dimension)
    col = design.data[dimension]
    groups = proportion(design, indicator, by=dimension, level=level)
    groups = groups[groups["n"] > 0].reset_index(drop=True)
    if len(groups) < 2:
        raise InputError(f"need at least two groups of '{dimension}' with data", column=dimension)
    is_ordered = (ordered if ordered is not None
                  else bool(isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered))
    if reference is not None:
        match = groups[groups[dimension].astype(str) == str(reference)]
        if match.empty:
            known = ", ".join(groups[dimension].astype(str))
            raise InputError(f"no group '{reference}' in '{dimension}' (groups: {known})",
                             field="reference")
        ref = match.iloc[0][dimension]
    elif is_ordered:
        ref = groups.iloc[-1][dimension]
    else:
        pick = groups["estimate"].idxmax() if favourable else groups["estimate"].idxmin()
        ref = groups.loc[pick, dimension]
    valid = ~np.isnan(y) & col.notna().to_numpy()
    in_ref = valid & (col == ref).to_numpy()
    p_ref, s_ref = _mean_scores(design, y, in_ref)
    p_all, s_all = _mean_scores(design, y, valid)
    if p_all <= 0:
        raise InputError("the indicator is 0 for everyone: no population attributable fraction")
    n = int(valid.sum())
    v_par, df = _var_df(design, s_ref - s_all, valid)
    v_paf, _ = _var_df(design, (s_ref - (p_ref / p_all) * s_all) / p_all, valid)
    rows = [
        _row(dimension, "population attributable risk", f"{ref} - average", p_ref - p_all,
             float(np.sqrt(v_par)), df, n, level, _PAR.format(ref=ref)),
        _row(dimension, "population attributable fraction", f"({ref} - average) / average",
             p_ref / p_all - 1, float(np.sqrt(v_paf)), df, n, level, _PAF.format(ref=ref)),
    ]
    for row in rows:  # HEAT: no potential improvement when the reference is not better
        sign = 1.0 if favourable else -1.0
        for key in ("estimate", "ci_low", "ci_high"):
            row[key] = sign * max(0.0, sign * row[key])
        row["reference"] = str(ref)
    return pd.DataFrame(rows)


def summary_measures(
    design: Design,
    indicator: str,
    dimension: str = "wealth",
    correction: Correction = "none",
    reference: str | None = None,
    favourable: bool = True,
    level: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """HEAT's summary measures of ``indicator`` over an ordered ``dimension`` as plain values:
    ``rii``, ``ci`` (with ``correction``), ``par`` and ``paf``, each ``{estimate, se, ci_low,
    ci_high, df, method}`` (plus ``reference`` for PAR/PAF, ``correction`` for ``ci``)."""
    frames = {
        "rii": relative_index(design, indicator, dimension, level=level),
        "ci": concentration_index(design, indicator, dimension, correction, level=level),
    }
    att = attributable(design, indicator, dimension, reference, ordered=True,
                       favourable=favourable, level=level)
    frames["par"], frames["paf"] = att.iloc[[0]], att.iloc[[1]]
    out: dict[str, dict[str, Any]] = {}
    for key, frame in frames.items():
        row = frame.iloc[0].to_dict()
        out[key] = {k: row[k] for k in ("estimate", "se", "ci_low", "ci_high", "df", "method")}
        out[key]["dimension"] = dimension
        if "reference" in row:
            out[key]["reference"] = row["reference"]
    out["ci"]["correction"] = correction
    return out


def cascade_measures(
    design: Design,
    steps: Sequence[str],
    dimension: str = "wealth",
    correction: Correction = "none",
    reference: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """HEAT's summary measures (rii, ci, par, paf) of each cascade step (as a share of all
    women) over an ordered dimension: one row per step and measure. A step the data cannot
    give a measure for has NaN estimates and the reason as its method."""
    rows = []
    for step in steps:
        try:
            found = summary_measures(design, step, dimension, correction, reference,
                                     level=level)
        except InputError as exc:
            found = {k: {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "df": 0, "method": f"not computed: {exc.message}"}
                     for k in ("rii", "ci", "par", "paf")}
        for key, m in found.items():
            rows.append({"step": step, "measure": key, "dimension": dimension,
                         **{k: m[k] for k in ("estimate", "se", "ci_low", "ci_high", "df",
                                              "method")},
                         "reference": m.get("reference", ""),
                         "correction": correction if key == "ci" else ""})
    return pd.DataFrame(rows)


def _or_reason(measure: str, dimension: str, compute: Any) -> pd.DataFrame:
    """The measure's rows, or one row with a NaN estimate and the reason it cannot be given."""
    try:
        return compute()  # type: ignore[no-any-return]
    except InputError as exc:
        return pd.DataFrame([dict(dimension=dimension, measure=measure, comparison="",
                                  estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan,
                                  n=0, df=0, method=f"not computed: {exc.message}")])


def equity(
    design: Design,
    indicator: str,
    dimensions: Sequence[str] = ("wealth", "residence", "region"),
    ordered_dimension: str | None = "wealth",
    level: float = 0.95,
    favourable: bool = True,
) -> EquityResult:
    """Group estimates and inequality measures of ``indicator`` for each dimension.

    Returns ``(groups, measures)``: groups has ``dimension, group`` then the estimate columns;
    measures has absolute and relative gaps and HEAT's PAR/PAF (best subgroup; richest for the
    ordered dimension) for every dimension, and for the ordered one the SII, HEAT's RII and the
    concentration index (plain, Erreygers, Wagstaff). A HEAT measure the data cannot give (an
    indicator 0 for everyone) is a row with a NaN estimate and the reason as its method.
    """
    group_frames, measure_frames = [], []
    for dim in dimensions:
        g = proportion(design, indicator, by=dim, level=level, deff="wr")
        g = g.rename(columns={dim: "group"})
        g["group"] = g["group"].astype(str)
        g.insert(0, "dimension", dim)
        group_frames.append(g)
        is_ordered = dim == ordered_dimension
        measure_frames.append(gaps(design, indicator, dim, level=level, ordered=is_ordered))
        if is_ordered:
            measure_frames.append(slope_index(design, indicator, dim, level=level))
            measure_frames.append(_or_reason(
                "relative index of inequality", dim,
                lambda d=dim: relative_index(design, indicator, d, level=level)))
            for corr in CORRECTIONS:
                name = "concentration index" + ("" if corr == "none" else f" ({corr})")
                measure_frames.append(_or_reason(
                    name, dim, lambda d=dim, c=corr: concentration_index(
                        design, indicator, d, c, level=level)))  # type: ignore[misc]
        measure_frames.append(_or_reason(
            "population attributable risk", dim,
            lambda d=dim, o=is_ordered: attributable(
                design, indicator, d, ordered=o, favourable=favourable, level=level)))
    groups = pd.concat(group_frames, ignore_index=True)
    measures = pd.concat(measure_frames, ignore_index=True)
    measures.insert(1, "indicator", indicator)
    groups.insert(1, "indicator", indicator)
    return EquityResult(groups, measures)
