"""Vectorised Taylor-linearisation variance of estimated totals, as R survey's svyrecvar.

Scores arrive in "long" form: one score per used row plus the row's domain code, so that D
domain variances cost one ``np.bincount`` pass over the rows instead of D dense columns.
``rows`` (indices into the design's rows) lets callers pass only the rows in some domain.
"""

from __future__ import annotations

import numpy as np

from mmsis.measure.survey.design import Design, Stage


def _stage_variance(
    st: Stage,
    unit: np.ndarray,
    scores: np.ndarray,
    dom: np.ndarray,
    n_dom: int,
    lonely: str,
    key: np.ndarray | None = None,
    domain_lonely: bool = False,
) -> np.ndarray:
    """Variance contribution of one stage for each domain (R's onestage x multiplier)."""
    if key is None:
        key = unit if n_dom == 1 else unit * n_dom + dom
    size = st.n_units * n_dom
    totals = np.bincount(key, weights=scores, minlength=size).reshape(st.n_units, n_dom)
    present = None
    if lonely == "average" or (domain_lonely and lonely == "adjust"):
        present = (np.bincount(key, minlength=size) > 0).reshape(st.n_units, n_dom)
    return stage_variance_from_totals(st, totals, lonely, present, domain_lonely)


def stage_variance_from_totals(
    st: Stage,
    totals: np.ndarray,
    lonely: str,
    unit_present: np.ndarray | None = None,
    domain_lonely: bool = False,
) -> np.ndarray:
    """One stage's variance from unit x domain score totals (``unit_present``: the unit has
    rows in the domain; needed for the lonely-PSU ``average`` policy and, with
    ``domain_lonely`` (R's survey.adjust.domain.lonely), for ``adjust``)."""
    n_dom = totals.shape[1]
    strat = st.unit_stratum
    sums = np.zeros((st.n_strata, n_dom))
    _add_rows(sums, strat, totals)
    means = sums / st.stratum_n[:, None]
    lonely_stratum = st.stratum_n == 1
    # strata with several PSUs of which only one has rows in the domain (R's nsubset == 1)
    dom_lonely = np.zeros((st.n_strata, n_dom), dtype=bool)
    if domain_lonely and unit_present is not None and lonely in ("adjust", "average"):
        n_sub = np.zeros((st.n_strata, n_dom))
        _add_rows(n_sub, strat, unit_present.astype(np.float64))
        dom_lonely = (n_sub == 1) & ~lonely_stratum[:, None]
    centre = means[strat]
    if lonely == "adjust":
        centre[lonely_stratum[strat]] = 0.0
        centre[dom_lonely[strat]] = 0.0
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
    assert unit_present is not None
    ok = ~(lonely_stratum & ~st.stratum_zero_f)[:, None] & ~(
        dom_lonely & ~st.stratum_zero_f[:, None]
    )
    contrib[~ok] = 0.0
    present = np.zeros((st.n_strata, n_dom))
    _add_rows(present, strat, unit_present.astype(np.float64))
    present_b = present > 0
    per_parent = np.zeros((st.n_parents, n_dom))
    _add_rows(per_parent, st.stratum_parent, contrib)
    n_strat = np.zeros((st.n_parents, n_dom))
    n_ok = np.zeros((st.n_parents, n_dom))
    _add_rows(n_strat, st.stratum_parent, present_b.astype(np.float64))
    _add_rows(n_ok, st.stratum_parent, (present_b & ok).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(n_strat > 0, per_parent * n_strat / n_ok, 0.0)
    return np.asarray(scaled.sum(axis=0))


def df_from_presence(st: Stage, has_psu: np.ndarray) -> np.ndarray:
    """Design df per domain from a unit x domain presence matrix: PSUs minus strata."""
    n_dom = has_psu.shape[1]
    n_psu = has_psu.sum(axis=0)
    n_strat = np.zeros(n_dom, dtype=np.int64)
    for j in range(n_dom):
        present = np.bincount(st.unit_stratum, weights=has_psu[:, j], minlength=st.n_strata)
        n_strat[j] = int((present > 0).sum())
    return (n_psu - n_strat).astype(np.int64)


class UnitSums:
    """Per first-stage unit x domain sums of row quantities: the whole hot path in a few
    ``np.bincount`` passes (valid for single-stage variance, i.e. no multistage fpc)."""

    def __init__(
        self,
        design: Design,
        rows: np.ndarray | None,
        dom: np.ndarray,
        n_dom: int,
        count_weights: np.ndarray | None = None,
    ):
        st = design.stages[0]
        unit = st.row_unit if rows is None else st.row_unit[rows]
        self.key = unit if n_dom == 1 else unit * n_dom + dom
        self.shape = (st.n_units, n_dom)
        self.size = st.n_units * n_dom
        count = np.bincount(self.key, weights=count_weights, minlength=self.size)
        self.count = np.rint(count).astype(np.int64).reshape(self.shape)
        # rows with a nonzero weight: R's n for deff and its degf (which skip weight-0 rows)
        self.nz_count = self.count
        if design.has_zero_weight:
            nz = design.weights != 0 if rows is None else design.weights[rows] != 0
            if count_weights is not None:
                nz = nz & (np.asarray(count_weights) != 0)
            nzc = np.bincount(self.key, weights=nz.astype(np.float64), minlength=self.size)
            self.nz_count = np.rint(nzc).astype(np.int64).reshape(self.shape)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Unit x domain totals of ``values`` (one per used row)."""
        return np.bincount(self.key, weights=values, minlength=self.size).reshape(self.shape)


def variance_df_from_totals(
    design: Design, totals: np.ndarray, sums: UnitSums
) -> tuple[np.ndarray, np.ndarray]:
    """Variance and df per domain from first-stage unit x domain score totals."""
    st = design.stages[0]
    present = sums.count > 0
    var = stage_variance_from_totals(
        st, totals, design.lonely_psu, present, design.adjust_domain_lonely
    )
    return var, df_from_presence(st, sums.nz_count > 0)


def _add_rows(out: np.ndarray, group: np.ndarray, values: np.ndarray) -> None:
    """out[g] += values[i] for group g of row i, column by column with bincount (fast)."""
    n_groups = out.shape[0]
    for j in range(values.shape[1]):
        out[:, j] += np.bincount(group, weights=values[:, j], minlength=n_groups)


def _compress(
    scores: np.ndarray, dom: np.ndarray, rows: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if rows is None and (dom < 0).any():
        rows = np.flatnonzero(dom >= 0)
        scores, dom = scores[rows], dom[rows]
    return scores, dom, rows


def domain_variance(
    design: Design,
    scores: np.ndarray,
    dom: np.ndarray,
    n_dom: int,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Variance of the total of ``scores`` within each domain.

    ``scores``/``dom`` are for ``rows`` (all rows if None); rows with ``dom < 0`` are outside
    every domain.
    """
    scores, dom, rows = _compress(scores, dom, rows)
    n_use = len(design.stages) if design.multistage else 1
    var = np.zeros(n_dom)
    for k in range(n_use):
        st = design.stages[k]
        unit = st.row_unit if rows is None else st.row_unit[rows]
        var = var + _stage_variance(
            st, unit, scores, dom, n_dom, design.lonely_psu, None, design.adjust_domain_lonely
        )
    return var


def domain_df(
    design: Design, dom: np.ndarray, n_dom: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Degrees of freedom of each domain: its PSUs minus its strata (R's degf on a subset)."""
    if rows is None and (dom < 0).any():
        rows = np.flatnonzero(dom >= 0)
        dom = dom[rows]
    st = design.stages[0]
    unit = st.row_unit if rows is None else st.row_unit[rows]
    key = unit if n_dom == 1 else unit * n_dom + dom
    return df_from_presence(st, _df_presence(design, st, key, rows, n_dom))


def _df_presence(
    design: Design, st: Stage, key: np.ndarray, rows: np.ndarray | None, n_dom: int
) -> np.ndarray:
    """PSU x domain presence for degf: rows with weight 0 do not count (R's degf)."""
    if design.has_zero_weight:
        w = design.weights if rows is None else design.weights[rows]
        key = key[w != 0]
    return (np.bincount(key, minlength=st.n_units * n_dom) > 0).reshape(st.n_units, n_dom)


def domain_variance_df(
    design: Design,
    scores: np.ndarray,
    dom: np.ndarray,
    n_dom: int,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Variance and design df per domain in one pass over the rows (the hot path)."""
    scores, dom, rows = _compress(scores, dom, rows)
    st = design.stages[0]
    unit = st.row_unit if rows is None else st.row_unit[rows]
    key = unit if n_dom == 1 else unit * n_dom + dom
    adl = design.adjust_domain_lonely
    var = _stage_variance(st, unit, scores, dom, n_dom, design.lonely_psu, key, adl)
    if design.multistage:
        for k in range(1, len(design.stages)):
            sk = design.stages[k]
            uk = sk.row_unit if rows is None else sk.row_unit[rows]
            var = var + _stage_variance(sk, uk, scores, dom, n_dom, design.lonely_psu, None, adl)
    return var, df_from_presence(st, _df_presence(design, st, key, rows, n_dom))
