"""Design-based mean, proportion, total and ratio by domain, matching R survey (svyby + na.rm)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mmsis.errors import InputError
from mmsis.measure.survey.design import Design, _columns, _compact_int_codes
from mmsis.measure.survey.variance import UnitSums, domain_variance_df, variance_df_from_totals

RESULT_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "deff", "n", "df", "method"]
_LINEAR = "Taylor linearisation, Wald CI with t on design df"
_LOGIT = "Taylor linearisation, logit CI with t on design df (svyciprop logit)"


@dataclass(frozen=True)
class Domains:
    """Domain code of each row (-1: outside every domain) and the by-values of each domain."""

    code: np.ndarray
    table: pd.DataFrame
    n: int
    complete: bool = True  # every row is in some domain


def domains(design: Design, by: str | Sequence[str] | None) -> Domains:
    """Group rows by the by-columns; rows with a missing by-value belong to no domain."""
    cols = _columns(by)
    if not cols:
        whole = design.domain_cache.get("__all__")
        if whole is None:
            whole = Domains(np.zeros(design.n, dtype=np.int64), pd.DataFrame(index=[0]), 1)
            design.domain_cache["__all__"] = whole
        return whole  # type: ignore[no-any-return]
    frame = {c: design.column(c) for c in cols}
    # cache by the columns' buffers; the cache pins the arrays so an address is never reused
    pinned = [frame[c].to_numpy(copy=False) for c in cols]
    key = tuple(
        (c, a.__array_interface__["data"][0], a.size) for c, a in zip(cols, pinned, strict=True)
    )
    cacheable = not any(c.startswith("_") for c in cols)
    cached = design.domain_cache.get(key) if cacheable else None
    if cached is not None:
        return cached[1]
    codes = np.zeros(design.n, dtype=np.int64)
    missing = np.zeros(design.n, dtype=bool)
    uniques_list = []
    for c in cols:
        col_codes, uniq = factorize(frame[c])
        missing |= col_codes < 0
        codes = codes * (len(uniq) + 1) + col_codes
        uniques_list.append(uniq)
    codes[missing] = -1
    size_all = int(np.prod([len(u) + 1 for u in uniques_list]))
    ok = codes >= 0
    present = np.flatnonzero(np.bincount(codes[ok], minlength=size_all) > 0)
    lookup = np.full(size_all, -1, dtype=np.int64)
    lookup[present] = np.arange(present.size)
    inverse = np.where(ok, lookup[np.where(ok, codes, 0)], -1)
    # decode each present combination back into its by-values
    sizes = [len(u) + 1 for u in uniques_list]
    table = {}
    rem = present.copy()
    for c, uniq, size in reversed(list(zip(cols, uniques_list, sizes, strict=True))):
        table[c] = np.asarray(uniq)[rem % size]
        rem = rem // size
    tab = pd.DataFrame({c: table[c] for c in cols})
    result = Domains(inverse, tab, len(present), complete=not bool(missing.any()))
    if cacheable:
        design.domain_cache[key] = (pinned, result)
    return result


def factorize(col: pd.Series) -> tuple[np.ndarray, Any]:
    """Sorted codes (-1 = missing) and uniques; integers in a compact range skip hashing."""
    if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        fast = _compact_int_codes(col.to_numpy())
        if fast is not None:
            return fast
    codes, uniq = pd.factorize(col, sort=True)
    return codes.astype(np.int64), uniq


def numeric(design: Design, var: str, *, binary: bool = False) -> np.ndarray:
    """A variable as floats (NaN = missing); refuses text and, for proportions, non 0/1 values."""
    raw = design.column(var)
    if raw.dtype == bool:
        return raw.to_numpy(dtype=np.float64)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.zeros(0, dtype=np.int64)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(np.isnan(values) & raw.notna().to_numpy())
    if bad.size:
        rows = ", ".join(str(int(i) + 1) for i in bad[:10])
        hint = (
            "; a proportion needs a 0/1 variable (for a categorical variable, make one 0/1 "
            "column per category: R's svymean on a factor)"
            if binary
            else ""
        )
        raise InputError(
            f"values must be numeric (row(s) {rows}: {raw.iloc[int(bad[0])]!r}){hint}",
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


@dataclass(frozen=True)
class _Used:
    """The rows a statistic uses (in a domain, no missing value), compressed."""

    dom: Domains
    rows: np.ndarray | None  # indices into the design's rows; None = every row
    d: np.ndarray  # domain code of each used row
    w: np.ndarray  # weight of each used row
    wsum: np.ndarray  # weight total per domain
    n: np.ndarray  # used rows per domain (float)
    nz: np.ndarray  # used rows with a nonzero weight per domain (R's nobs, float)
    sums: UnitSums | None = None  # unit x domain sums (single-stage variance only)
    t_w: np.ndarray | None = None  # unit x domain weight totals


def _used(
    design: Design,
    arrays: list[np.ndarray],
    by: str | Sequence[str] | None,
    fast: bool = False,
) -> tuple[_Used, list[np.ndarray]]:
    """Rows used by a statistic (compressed) and, on the fast path, unit x domain sums."""
    dom = domains(design, by)
    invalid = np.isnan(arrays[0])
    for a in arrays[1:]:
        invalid |= np.isnan(a)
    if not dom.complete:
        invalid |= dom.code < 0
    all_valid = not invalid.any()
    if fast and not design.multistage:
        # no compression: unused rows get weight 0 (and count 0), so no gathers are needed
        if all_valid:
            d, w, out, count_w = dom.code, design.weights, arrays, None
        else:
            valid = ~invalid
            d = dom.code if dom.complete else np.where(valid, dom.code, 0)
            w = np.where(valid, design.weights, 0.0)
            out = [np.where(valid, a, 0.0) for a in arrays]
            count_w = valid
        sums = UnitSums(design, None, d, dom.n, count_w)
        t_w = sums.sum(w)
        wsum = t_w.sum(axis=0)
        n = sums.count.sum(axis=0).astype(np.float64)
        nz = sums.nz_count.sum(axis=0).astype(np.float64)
        return _Used(dom, None, d, w, wsum, n, nz, sums, t_w), out
    if all_valid:
        rows = None
        d, w, out = dom.code, design.weights, arrays
    else:
        rows = np.flatnonzero(~invalid)
        d, w = dom.code[rows], design.weights[rows]
        out = [a[rows] for a in arrays]
    wsum = np.bincount(d, weights=w, minlength=dom.n)
    n = np.bincount(d, minlength=dom.n).astype(np.float64)
    nz = (
        np.bincount(d, weights=(w != 0).astype(np.float64), minlength=dom.n)
        if (design.has_zero_weight)
        else n
    )
    return _Used(dom, rows, d, w, wsum, n, nz), out


def _nn1(u: _Used, single: float = 0.0) -> np.ndarray:
    """R svyvar's n/(n-1), n = rows with a nonzero weight. For a single row R's svyvar is
    0/0: with na.rm=TRUE (mean, total) that row is dropped and the variance is 0; svyratio
    calls it without na.rm, so NaN (``single``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u.nz > 1, u.nz / (u.nz - 1), single)


def _deff(
    var: np.ndarray, svyvar: np.ndarray, u: _Used, ref: str, total: bool = False
) -> np.ndarray:
    """Design effect as R's deff=TRUE (vs SRS without replacement) or deff='replace'.

    As R: n counts rows with a nonzero weight; a mean's deff is NA when the weights sum to
    less than n (and infinite when they sum to exactly n, e.g. weights of 1); a total's (and
    a ratio's) has no such check, so it is negative when the weights sum to less than n.
    """
    wsum, n = u.wsum, u.nz
    with np.errstate(divide="ignore", invalid="ignore"):
        vsrs = svyvar / n if ref == "wr" else svyvar * (wsum - n) / (wsum * n)
        if total:
            return np.asarray(var / (vsrs * wsum**2))
        return np.where((wsum >= n) | (ref == "wr"), var / vsrs, np.nan)


def _weighted_mean(
    design: Design,
    y: np.ndarray,
    by: str | Sequence[str] | None,
    deff_ref: str = "wor",
    binary: bool = False,
) -> tuple[Domains, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, its variance, deff, n and df for each domain: the engine behind mean/proportion."""
    dom = domains(design, by)
    if dom.n == 0:  # no row has every by-value (e.g. nobody reached a cascade's previous step)
        empty = np.zeros(0, dtype=np.float64)
        return dom, empty, empty, empty, empty, empty
    u, (yv,) = _used(design, [y], by, fast=True)
    if u.sums is not None and u.t_w is not None:
        # fast path: PSU x domain totals of w*y and w*y^2 carry everything
        wy = u.w * yv
        t_wy = u.sums.sum(wy)
        # for a 0/1 variable y*y = y: the sum of w*y^2 is the sum of w*y
        s_wyy = t_wy.sum(axis=0) if binary else u.sums.sum(wy * yv).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = t_wy.sum(axis=0) / u.wsum
            totals = (t_wy - est * u.t_w) / u.wsum
            svyvar = (s_wyy / u.wsum - est * est) * _nn1(u)
        var, df = variance_df_from_totals(design, totals, u.sums)
        return u.dom, est, var, _deff(var, svyvar, u, deff_ref), u.n, df
    u, (yv,) = _used(design, [y], by)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.bincount(u.d, weights=u.w * yv, minlength=u.dom.n) / u.wsum
        if u.dom.n == 1:  # no gathers for the overall estimate
            resid = yv - est[0]
            wr = u.w * resid
            scores = wr / u.wsum[0]
        else:
            resid = yv - est[u.d]
            wr = u.w * resid
            scores = wr / u.wsum[u.d]
        svyvar = np.bincount(u.d, weights=wr * resid, minlength=u.dom.n) / u.wsum
        svyvar = svyvar * _nn1(u)
    var, df = domain_variance_df(design, scores, u.d, u.dom.n, u.rows)
    return u.dom, est, var, _deff(var, svyvar, u, deff_ref), u.n, df


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
    dom, est, v, de, n, df = _weighted_mean(design, y, by, deff)
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
    dom, est, v, de, n, df = _weighted_mean(design, y, by, deff, binary=True)
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
    if dom.n == 0:  # no row has every by-value: no domain to estimate
        empty = np.zeros(0, dtype=np.float64)
        return _frame(dom, empty, empty, empty, empty, empty, empty, empty, _LINEAR)
    u, (yv,) = _used(design, [y], by, fast=True)
    wy = u.w * yv
    if u.sums is not None:
        t_wy = u.sums.sum(wy)
        s_wyy = u.sums.sum(wy * yv).sum(axis=0)
        est = t_wy.sum(axis=0)
        v, df = variance_df_from_totals(design, t_wy, u.sums)
        with np.errstate(divide="ignore", invalid="ignore"):
            ybar = est / u.wsum
            svyvar = (s_wyy / u.wsum - ybar * ybar) * _nn1(u)
    else:
        est = np.bincount(u.d, weights=wy, minlength=u.dom.n)
        v, df = domain_variance_df(design, wy, u.d, u.dom.n, u.rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            resid = yv - (est / u.wsum)[u.d]
            svyvar = np.bincount(u.d, weights=u.w * resid * resid, minlength=u.dom.n) / u.wsum
            svyvar = svyvar * _nn1(u)
    half = _t(level, df) * np.sqrt(v)
    de = _deff(v, svyvar, u, deff, total=True)
    return _frame(u.dom, est, v, est - half, est + half, de, u.n, df, _LINEAR)


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
    u, (yv, xv) = _used(design, [y, x], by)
    if u.n.sum() == 0:
        raise InputError(f"no row has both '{num}' and '{den}'", column=num)
    ty = np.bincount(u.d, weights=u.w * yv, minlength=u.dom.n)
    tx = np.bincount(u.d, weights=u.w * xv, minlength=u.dom.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = ty / tx
        r = (yv - est[u.d] * xv) / tx[u.d]
    # a domain whose denominator sums to 0 has an infinite or undefined ratio: NaN SE, as R
    v, df = domain_variance_df(design, u.w * r, u.d, u.dom.n, u.rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = np.bincount(u.d, weights=u.w * r, minlength=u.dom.n) / u.wsum
        rc = r - rbar[u.d]
        svyvar = np.bincount(u.d, weights=u.w * rc * rc, minlength=u.dom.n) / u.wsum
        svyvar = svyvar * _nn1(u, np.nan)
    half = _t(level, df) * np.sqrt(v)
    de = _deff(v, svyvar, u, deff, total=True)
    return _frame(u.dom, est, v, est - half, est + half, de, u.n, df, _LINEAR)
