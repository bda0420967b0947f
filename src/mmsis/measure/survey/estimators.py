"""Design-based mean, proportion, total and ratio by domain, matching R survey (svyby + na.rm)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from mmsis.errors import InputError
from mmsis.measure.survey.design import Design, _columns
from mmsis.measure.survey.variance import domain_df, domain_variance

RESULT_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "deff", "n", "df", "method"]
_LINEAR = "Taylor linearisation, Wald CI with t on design df"
_LOGIT = "Taylor linearisation, logit CI with t on design df (svyciprop logit)"


@dataclass(frozen=True)
class Domains:
    """Domain code of each row (-1: outside every domain) and the by-values of each domain."""

    code: np.ndarray
    table: pd.DataFrame
    n: int


def domains(design: Design, by: str | Sequence[str] | None) -> Domains:
    """Group rows by the by-columns; rows with a missing by-value belong to no domain."""
    cols = _columns(by)
    if not cols:
        return Domains(np.zeros(design.n, dtype=np.int64), pd.DataFrame(index=[0]), 1)
    for c in cols:
        design.column(c)
    frame = design.data[cols]
    codes = np.zeros(design.n, dtype=np.int64)
    missing = np.zeros(design.n, dtype=bool)
    uniques_list = []
    for c in cols:
        col_codes, uniq = pd.factorize(frame[c], sort=True)
        missing |= col_codes < 0
        codes = codes * (len(uniq) + 1) + col_codes
        uniques_list.append(uniq)
    codes[missing] = -1
    present, inverse = np.unique(codes, return_inverse=True)
    inverse = inverse.astype(np.int64)
    if present.size and present[0] == -1:
        inverse = inverse - 1
        present = present[1:]
    # decode each present combination back into its by-values
    sizes = [len(u) + 1 for u in uniques_list]
    table = {}
    rem = present.copy()
    for c, uniq, size in reversed(list(zip(cols, uniques_list, sizes, strict=True))):
        table[c] = np.asarray(uniq)[rem % size]
        rem = rem // size
    tab = pd.DataFrame({c: table[c] for c in cols})
    return Domains(inverse, tab, len(present))


def numeric(design: Design, var: str, *, binary: bool = False) -> np.ndarray:
    """A variable as floats (NaN = missing); refuses text and, for proportions, non 0/1 values."""
    raw = design.column(var)
    if raw.dtype == bool:
        return raw.to_numpy(dtype=np.float64)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(np.isnan(values) & raw.notna().to_numpy())
    if bad.size:
        rows = ", ".join(str(int(i) + 1) for i in bad[:10])
        raise InputError(
            f"values must be numeric (row(s) {rows}: {raw.iloc[int(bad[0])]!r})",
            column=var,
            row=int(bad[0]) + 1,
        )
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise InputError("values must be finite", column=var, row=i + 1)
    if binary:
        off = np.flatnonzero(~np.isnan(values) & (values != 0) & (values != 1))
        if off.size:
            rows = ", ".join(str(int(i) + 1) for i in off[:10])
            raise InputError(
                f"a proportion needs a 0/1 variable; found {values[off[0]]:g} in row(s) {rows}",
                column=var,
                row=int(off[0]) + 1,
            )
    if np.isnan(values).all():
        raise InputError("the variable is missing in every row", column=var)
    return values


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise InputError(f"confidence level must be between 0 and 1, got {level}", field="level")


def _check_deff(deff: str) -> None:
    if deff not in ("wor", "wr"):
        raise InputError(f"deff must be 'wor' or 'wr', got {deff!r}", field="deff")


def _t(level: float, df: np.ndarray) -> np.ndarray:
    dff = np.where(df > 0, df, np.nan).astype(np.float64)
    return np.asarray(stats.t.ppf(0.5 + level / 2, dff))


def _frame(
    dom: Domains,
    est: np.ndarray,
    var: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    deff: np.ndarray,
    n: np.ndarray,
    df: np.ndarray,
    method: str,
) -> pd.DataFrame:
    cols: dict[str, object] = {c: dom.table[c].to_numpy() for c in dom.table.columns}
    cols.update(
        estimate=est,
        se=np.sqrt(var),
        ci_low=lo,
        ci_high=hi,
        deff=deff,
        n=n.astype(np.int64),
        df=df.astype(np.int64),
        method=method,
    )
    out = pd.DataFrame(cols, index=pd.RangeIndex(dom.n))
    return out


def _weighted_mean(
    design: Design, y: np.ndarray, by: str | Sequence[str] | None, deff_ref: str = "wor"
) -> tuple[Domains, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, its variance, deff, n and df for each domain: the engine behind mean/proportion."""
    dom = domains(design, by)
    w = design.weights
    valid = ~np.isnan(y) & (dom.code >= 0)
    d = np.where(valid, dom.code, 0)
    wv = np.where(valid, w, 0.0)
    y0 = np.where(valid, y, 0.0)
    wsum = np.bincount(d, weights=wv, minlength=dom.n)
    n = np.bincount(d, weights=valid.astype(np.float64), minlength=dom.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.bincount(d, weights=wv * y0, minlength=dom.n) / wsum
        resid = np.where(valid, y0 - est[d], 0.0)
        scores = wv * resid / wsum[d]
    var = domain_variance(design, np.nan_to_num(scores), np.where(valid, d, -1), dom.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        svyvar = np.bincount(d, weights=wv * resid * resid, minlength=dom.n) / wsum * n / (n - 1)
        vsrs = svyvar / n if deff_ref == "wr" else svyvar * (wsum - n) / (wsum * n)
        deff = np.where((wsum > n) | (deff_ref == "wr"), var / vsrs, np.nan)
    df = domain_df(design, valid, d, dom.n)
    return dom, est, var, deff, n, df, valid


def mean(
    design: Design,
    var: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    deff: str = "wor",
) -> pd.DataFrame:
    """Design-based mean of ``var`` by domain (missing values dropped as R's na.rm=TRUE)."""
    _check_level(level)
    _check_deff(deff)
    y = numeric(design, var)
    dom, est, v, de, n, df, _ = _weighted_mean(design, y, by, deff)
    half = _t(level, df) * np.sqrt(v)
    return _frame(dom, est, v, est - half, est + half, de, n, df, _LINEAR)


def proportion(
    design: Design,
    var: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    deff: str = "wor",
) -> pd.DataFrame:
    """Design-based proportion of a 0/1 ``var`` with the logit CI of R's svyciprop."""
    _check_level(level)
    _check_deff(deff)
    y = numeric(design, var, binary=True)
    dom, est, v, de, n, df, _ = _weighted_mean(design, y, by, deff)
    lo, hi = logit_ci(est, np.sqrt(v), df, level)
    return _frame(dom, est, v, lo, hi, de, n, df, _LOGIT)


def logit_ci(
    p: np.ndarray, se: np.ndarray, df: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Logit-transformed Wald interval (t on design df), as svyciprop(method='logit')."""
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.log(p / (1 - p))
        se_eta = se / (p * (1 - p))
        half = _t(level, df) * se_eta
        lo = 1 / (1 + np.exp(-(eta - half)))
        hi = 1 / (1 + np.exp(-(eta + half)))
    edge = (p <= 0) | (p >= 1)
    lo = np.where(edge, p, lo)
    hi = np.where(edge, p, hi)
    return lo, hi


def total(
    design: Design,
    var: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    deff: str = "wor",
) -> pd.DataFrame:
    """Design-based population total of ``var`` by domain (missing values dropped)."""
    _check_level(level)
    _check_deff(deff)
    y = numeric(design, var)
    dom = domains(design, by)
    w = design.weights
    valid = ~np.isnan(y) & (dom.code >= 0)
    d = np.where(valid, dom.code, 0)
    wv = np.where(valid, w, 0.0)
    y0 = np.where(valid, y, 0.0)
    est = np.bincount(d, weights=wv * y0, minlength=dom.n)
    v = domain_variance(design, wv * y0, np.where(valid, d, -1), dom.n)
    wsum = np.bincount(d, weights=wv, minlength=dom.n)
    n = np.bincount(d, weights=valid.astype(np.float64), minlength=dom.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = est / wsum
        resid = np.where(valid, y0 - ybar[d], 0.0)
        svyvar = np.bincount(d, weights=wv * resid * resid, minlength=dom.n) / wsum * n / (n - 1)
        vsrs = svyvar * wsum**2 * ((1 / n) if deff == "wr" else (wsum - n) / (wsum * n))
        de = np.where((wsum > n) | (deff == "wr"), v / vsrs, np.nan)
    df = domain_df(design, valid, d, dom.n)
    half = _t(level, df) * np.sqrt(v)
    return _frame(dom, est, v, est - half, est + half, de, n, df, _LINEAR)


def ratio(
    design: Design,
    num: str,
    den: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    deff: str = "wor",
) -> pd.DataFrame:
    """Design-based ratio of totals sum(w*num)/sum(w*den) by domain, as R's svyratio."""
    _check_level(level)
    _check_deff(deff)
    y = numeric(design, num)
    x = numeric(design, den)
    dom = domains(design, by)
    w = design.weights
    valid = ~np.isnan(y) & ~np.isnan(x) & (dom.code >= 0)
    if not valid.any():
        raise InputError(f"no row has both '{num}' and '{den}'", column=num)
    d = np.where(valid, dom.code, 0)
    wv = np.where(valid, w, 0.0)
    y0 = np.where(valid, y, 0.0)
    x0 = np.where(valid, x, 0.0)
    ty = np.bincount(d, weights=wv * y0, minlength=dom.n)
    tx = np.bincount(d, weights=wv * x0, minlength=dom.n)
    wsum = np.bincount(d, weights=wv, minlength=dom.n)
    n = np.bincount(d, weights=valid.astype(np.float64), minlength=dom.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = ty / tx
        r = np.where(valid, (y0 - est[d] * x0) / tx[d], 0.0)
    v = domain_variance(design, np.nan_to_num(wv * r), np.where(valid, d, -1), dom.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = np.bincount(d, weights=wv * r, minlength=dom.n) / wsum
        rc = np.where(valid, r - rbar[d], 0.0)
        svyvar = np.bincount(d, weights=wv * rc * rc, minlength=dom.n) / wsum * n / (n - 1)
        vsrs = svyvar * wsum**2 * ((1 / n) if deff == "wr" else (wsum - n) / (wsum * n))
        de = np.where((wsum > n) | (deff == "wr"), v / vsrs, np.nan)
    df = domain_df(design, valid, d, dom.n)
    half = _t(level, df) * np.sqrt(v)
    return _frame(dom, est, v, est - half, est + half, de, n, df, _LINEAR)
