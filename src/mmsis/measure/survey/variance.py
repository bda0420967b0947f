"""Vectorised Taylor-linearisation variance of estimated totals, as R survey's svyrecvar.

Scores arrive in "long" form: one score per row plus the row's domain code, so that D domain
variances cost one pass of ``np.bincount`` over the rows instead of D dense columns.
"""

from __future__ import annotations

import numpy as np

from mmsis.measure.survey.design import Design, Stage


def _stage_variance(
    st: Stage, scores: np.ndarray, dom: np.ndarray, n_dom: int, lonely: str, inside: np.ndarray
) -> np.ndarray:
    """Variance contribution of one stage for each domain (R's onestage x multiplier)."""
    key = st.row_unit * n_dom + dom
    totals = np.bincount(key, weights=scores, minlength=st.n_units * n_dom).reshape(
        st.n_units, n_dom
    )
    strat = st.unit_stratum
    sums = np.zeros((st.n_strata, n_dom))
    _add_rows(sums, strat, totals)
    means = sums / st.stratum_n[:, None]
    lonely_stratum = st.stratum_n == 1
    centre = means[strat]
    if lonely == "adjust":
        centre[lonely_stratum[strat]] = 0.0
    dev = totals - centre
    contrib_unit = st.unit_scale[:, None] * dev * dev
    contrib = np.zeros((st.n_strata, n_dom))
    _add_rows(contrib, strat, contrib_unit)
    contrib[st.stratum_zero_f] = 0.0
    contrib *= st.stratum_mult[:, None]
    if lonely != "average":
        return np.asarray(contrib.sum(axis=0))
    # "average": lonely strata are replaced by the mean contribution of the other strata
    # present (with data in the domain) under the same parent, as R's onestage on a subset.
    ok = ~(lonely_stratum & ~st.stratum_zero_f)
    contrib[~ok] = 0.0
    row_stratum = strat[st.row_unit]
    present = (
        np.bincount(
            row_stratum[inside] * n_dom + dom[inside], minlength=st.n_strata * n_dom
        ).reshape(st.n_strata, n_dom)
        > 0
    )
    per_parent = np.zeros((st.n_parents, n_dom))
    _add_rows(per_parent, st.stratum_parent, contrib)
    n_strat = np.zeros((st.n_parents, n_dom))
    n_ok = np.zeros((st.n_parents, n_dom))
    _add_rows(n_strat, st.stratum_parent, present.astype(np.float64))
    _add_rows(n_ok, st.stratum_parent, (present & ok[:, None]).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(n_strat > 0, per_parent * n_strat / n_ok, 0.0)
    return np.asarray(scaled.sum(axis=0))


def _add_rows(out: np.ndarray, group: np.ndarray, values: np.ndarray) -> None:
    """out[g] += values[i] for group g of row i, column by column with bincount (fast)."""
    n_groups = out.shape[0]
    for j in range(values.shape[1]):
        out[:, j] += np.bincount(group, weights=values[:, j], minlength=n_groups)


def domain_variance(design: Design, scores: np.ndarray, dom: np.ndarray, n_dom: int) -> np.ndarray:
    """Variance of the total of ``scores`` within each domain (rows with dom < 0 are outside)."""
    inside = dom >= 0
    if not inside.all():
        scores = np.where(inside, scores, 0.0)
        dom = np.where(inside, dom, 0)
    n_use = len(design.stages) if design.multistage else 1
    var = np.zeros(n_dom)
    for k in range(n_use):
        st = design.stages[k]
        var = var + _stage_variance(st, scores, dom, n_dom, design.lonely_psu, inside)
    return var


def domain_df(design: Design, rows: np.ndarray, dom: np.ndarray, n_dom: int) -> np.ndarray:
    """Degrees of freedom of each domain: its PSUs minus its strata (R's degf on a subset)."""
    st = design.stages[0]
    use = rows & (dom >= 0)
    d = dom[use]
    unit = st.row_unit[use]
    has_psu = np.bincount(unit * n_dom + d, minlength=st.n_units * n_dom) > 0
    n_psu = has_psu.reshape(st.n_units, n_dom).sum(axis=0)
    has_strat = np.bincount(st.unit_stratum[unit] * n_dom + d, minlength=st.n_strata * n_dom) > 0
    n_strat = has_strat.reshape(st.n_strata, n_dom).sum(axis=0)
    return (n_psu - n_strat).astype(np.int64)
