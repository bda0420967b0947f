"""A complex survey design (weights, strata, multistage clusters, fpc), as R's svydesign."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mmsis.errors import InputError

LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "average"]
LONELY_POLICIES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")


@dataclass(frozen=True)
class Stage:
    """One sampling stage, pre-grouped for vectorised variance (codes are 0-based)."""

    row_unit: np.ndarray  # unit (cluster) code of each row at this stage
    n_units: int
    unit_stratum: np.ndarray  # stratum code of each unit
    n_strata: int
    stratum_n: np.ndarray  # units sampled per stratum (R's fpc$sampsize)
    stratum_parent: np.ndarray  # grouping of strata for the lonely "average" rescaling
    n_parents: int
    unit_scale: np.ndarray  # f * n/(n-1) (or f when n == 1), per unit
    stratum_zero_f: np.ndarray  # stratum sampled completely (all f < 1e-7): no variance
    stratum_mult: np.ndarray  # product of earlier-stage sampling fractions (multistage)
    unit_fraction: np.ndarray  # n/N of the unit's stratum (0 without fpc)
    stratum_label: np.ndarray  # readable label of each stratum, for errors


def _columns(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()] if "," in value else [value]
    return list(value)


def _check_column(df: pd.DataFrame, col: str, field: str) -> None:
    if col not in df.columns:
        raise InputError(
            f"unknown column '{col}' (columns: {', '.join(map(str, df.columns[:30]))})",
            column=col,
            field=field,
        )


def _codes(values: pd.Series | np.ndarray, column: str, field: str) -> np.ndarray:
    """Integer codes of a grouping column; missing values are refused (R: na.failsafe)."""
    s = pd.Series(values)
    codes = _factorize(s)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0]) + 1
        raise InputError(f"missing value in the {field} column", column=column, row=row)
    return codes


def _compact_int_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted codes and uniques of integers in a compact range, by counting; else None."""
    if values.dtype.kind not in "iu" or not values.size:
        return None
    lo, hi = int(values.min()), int(values.max())
    if hi - lo >= 4 * values.size + 1024:
        return None
    shifted = values - lo
    seen = np.bincount(shifted, minlength=hi - lo + 1) > 0
    uniq = np.flatnonzero(seen)
    lookup = np.full(hi - lo + 1, -1, dtype=np.int64)
    lookup[uniq] = np.arange(uniq.size)
    return lookup[shifted], uniq + lo


def _factorize(s: pd.Series) -> np.ndarray:
    """Sorted integer codes (-1 = missing); integers in a compact range skip hashing."""
    fast = _compact_int_codes(s.to_numpy())
    if fast is not None:
        return fast[0]
    codes, _ = pd.factorize(s, sort=True)
    return codes.astype(np.int64)


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the interaction of two code arrays."""
    key = a.astype(np.int64) * (int(b.max()) + 1 if b.size else 1) + b
    codes, _ = pd.factorize(key, sort=True)
    return codes.astype(np.int64)


def _first_rows(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first row of each group (one scatter, no sort)."""
    idx = np.empty(n_groups, dtype=np.int64)
    idx[codes[::-1]] = np.arange(codes.size - 1, -1, -1, dtype=np.int64)
    return idx


def _first_per_group(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Value at the first row of each group (R takes the first row of each cluster)."""
    return values[_first_rows(codes, n_groups)]


class Design:
    """Stratified multistage design: weights, clusters per stage, strata, fpc per stage.

    Follows R ``survey::svydesign``: with ``fpc`` the full multistage variance is used, without
    it the first stage only (with replacement); weights come from the fpc when absent.
    """

    def __init__(
        self,
        df: pd.DataFrame,
        weight: str | None = None,
        cluster: str | Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: LonelyPSU | str = "fail",
        adjust_domain_lonely: bool = False,
    ) -> None:
        if not isinstance(df, pd.DataFrame):
            raise InputError("a survey design needs a pandas DataFrame", field="df")
        if lonely_psu not in LONELY_POLICIES:
            raise InputError(
                f"unknown lonely PSU policy '{lonely_psu}'; use one of "
                + ", ".join(LONELY_POLICIES),
                field="lonely_psu",
            )
        self.data = df
        self.n = len(df)
        if self.n == 0:
            raise InputError("the survey data has no rows")
        self.weight_col = weight
        self.cluster_cols = _columns(cluster)
        self.strata_cols = _columns(strata)
        self.fpc_cols = _columns(fpc)
        self.nest = nest
        self.lonely_psu: str = lonely_psu
        # R's options(survey.adjust.domain.lonely): a stratum with one PSU in a domain (of
        # several in the design) is lonely too under "adjust" and "average"
        self.adjust_domain_lonely = bool(adjust_domain_lonely)
        for col in self.cluster_cols:
            _check_column(df, col, "cluster")
        for col in self.strata_cols:
            _check_column(df, col, "strata")
        for col in self.fpc_cols:
            _check_column(df, col, "fpc")
        if weight is not None:
            _check_column(df, weight, "weight")
        n_stages = max(1, len(self.cluster_cols))
        if len(self.strata_cols) > n_stages:
            raise InputError("more strata columns than sampling stages", field="strata")
        if self.fpc_cols and len(self.fpc_cols) != n_stages:
            raise InputError(
                f"give one fpc column per stage ({n_stages} stage(s), "
                f"{len(self.fpc_cols)} fpc column(s))",
                field="fpc",
            )
        self.n_stages = n_stages
        ids = self._stage_ids(n_stages)
        self._check_several_psus(ids[0])
        strat = self._stage_strata(ids)
        self._first = [_first_rows(u, int(u.max()) + 1) for u in ids]
        if not nest and self.strata_cols:
            self._check_nesting(ids[0], strat[0])
        sampsize = [self._sampsize(ids[k], strat[k], self._first[k]) for k in range(n_stages)]
        popsize = self._popsize(sampsize) if self.fpc_cols else None
        self.weights = self._weights(popsize, sampsize)
        # rows with weight 0 stay in the design but, as in R, not in n (deff) or degf
        self.has_zero_weight = bool((self.weights == 0).any())
        self.stages = self._build_stages(ids, strat, sampsize, popsize)
        self.multistage = popsize is not None and n_stages > 1
        self._check_lonely()
        psu = self.stages[0]
        self.df = int(psu.n_units - psu.n_strata)
        self.domain_cache: dict[object, Any] = {}

    # --- construction helpers -------------------------------------------------------------
    def _stage_ids(self, n_stages: int) -> list[np.ndarray]:
        if not self.cluster_cols:
            ids = [np.arange(self.n, dtype=np.int64)]
        else:
            ids = [_codes(self.data[c].to_numpy(), c, "cluster") for c in self.cluster_cols]
        for k in range(1, len(ids)):
            ids[k] = _combine(ids[k - 1], ids[k])
        if self.nest and self.strata_cols:
            s_codes = [_codes(self.data[c].to_numpy(), c, "strata") for c in self.strata_cols]
            for k in range(len(ids)):
                ids[k] = _combine(s_codes[min(k, len(s_codes) - 1)], ids[k])
        return ids

    def _stage_strata(self, ids: list[np.ndarray]) -> list[np.ndarray]:
        if self.strata_cols:
            s_codes = [_codes(self.data[c].to_numpy(), c, "strata") for c in self.strata_cols]
        else:
            s_codes = [np.zeros(self.n, dtype=np.int64)]
        strat = [s_codes[0]]
        for k in range(1, len(ids)):
            strat.append(_combine(s_codes[min(k, len(s_codes) - 1)], ids[k - 1]))
        return strat

    def _check_several_psus(self, psu: np.ndarray) -> None:
        """Refuse a design with a single PSU, as R's svydesign (unless nest with strata)."""
        if self.nest and self.strata_cols:
            return
        if int(psu.max()) == int(psu.min()):
            col = self.cluster_cols[0] if self.cluster_cols else None
            where = f"cluster column '{col}' has" if col else "the data have"
            raise InputError(
                f"the design has only one primary sampling unit ({where} a single value); "
                "a variance needs at least two PSUs",
                column=col,
                field="cluster",
            )

    def _check_nesting(self, psu: np.ndarray, stratum: np.ndarray) -> None:
        first = stratum[self._first[0]]
        crossed = np.flatnonzero(stratum != first[psu])
        if crossed.size:
            row = int(crossed[0])
            label = self.data[self.cluster_cols[0]].iloc[row]
            raise InputError(
                f"cluster {label!r} appears in more than one stratum; clusters are not nested "
                "in strata at the top level (use nest=True / --nest if cluster numbers restart "
                "within strata)",
                column=self.cluster_cols[0],
                row=row + 1,
            )

    def _sampsize(
        self, unit: np.ndarray, stratum: np.ndarray, first_rows: np.ndarray
    ) -> np.ndarray:
        """Units sampled in each row's stratum, per row (R's as.fpc sampsize)."""
        n_units = first_rows.size
        n_strata = int(stratum.max()) + 1
        first = stratum[first_rows]
        if (stratum == first[unit]).all():  # units nested in strata: count units per stratum
            per_stratum = np.bincount(first, minlength=n_strata)
        else:  # distinct (stratum, unit) pairs
            pairs = np.unique(stratum * n_units + unit)
            per_stratum = np.bincount(pairs // n_units, minlength=n_strata)
        return per_stratum[stratum].astype(np.float64)

    def _popsize(self, sampsize: list[np.ndarray]) -> list[np.ndarray]:
        raw = []
        for col in self.fpc_cols:
            vals = pd.to_numeric(self.data[col], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(vals) | (vals <= 0))
            if bad.size:
                raise InputError(
                    "fpc must be a positive number (population count or sampling fraction)",
                    column=col,
                    row=int(bad[0]) + 1,
                )
            raw.append(vals)
        allv = np.concatenate(raw)
        is_count = bool((allv > 1).any())
        if is_count != bool((allv >= 1).all()):
            raise InputError(
                "fpc must be all population counts (>= 1) or all sampling fractions (<= 1)",
                column=self.fpc_cols[0],
            )
        popsize = [v.copy() if is_count else sampsize[k] / v for k, v in enumerate(raw)]
        for k, (pop, samp) in enumerate(zip(popsize, sampsize, strict=True)):
            too_big = np.flatnonzero(pop < samp - 1e-9)
            if too_big.size:
                raise InputError(
                    f"fpc implies more than 100% sampling at stage {k + 1} "
                    f"(population {pop[too_big[0]]:g}, sampled {samp[too_big[0]]:g})",
                    column=self.fpc_cols[k],
                    row=int(too_big[0]) + 1,
                )
        return popsize

    def _weights(self, popsize: list[np.ndarray] | None, sampsize: list[np.ndarray]) -> np.ndarray:
        if self.weight_col is not None:
            col = self.weight_col
            raw = self.data[col]
            if pd.api.types.is_numeric_dtype(raw.dtype) and raw.dtype != bool:
                w = raw.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(w))
            if bad.size:
                rows = ", ".join(str(int(i) + 1) for i in bad[:10])
                raise InputError(
                    f"weights must be numbers; not numeric or missing in row(s) {rows}",
                    column=col,
                    row=int(bad[0]) + 1,
                )
            neg = np.flatnonzero(w < 0)
            if neg.size:
                rows = ", ".join(str(int(i) + 1) for i in neg[:10])
                raise InputError(
                    f"weights must not be negative (row(s) {rows})", column=col, row=int(neg[0]) + 1
                )
            return w
        if popsize is not None:
            w = np.ones(self.n)
            for pop, samp in zip(popsize, sampsize, strict=True):
                w = w * (pop / samp)
            return w
        return np.ones(self.n)

    def _build_stages(
        self,
        ids: list[np.ndarray],
        strat: list[np.ndarray],
        sampsize: list[np.ndarray],
        popsize: list[np.ndarray] | None,
    ) -> list[Stage]:
        stages: list[Stage] = []
        parent_mult = np.ones(1)
        parent_unit_of_row = np.zeros(self.n, dtype=np.int64)
        for k in range(len(ids)):
            unit = ids[k]
            n_units = int(unit.max()) + 1
            row_first_unit = self._first[k]
            u_strat_raw = strat[k][row_first_unit]
            s_codes, s_uniques = pd.factorize(u_strat_raw, sort=True)
            unit_stratum = s_codes.astype(np.int64)
            n_strata = len(s_uniques)
            stratum_n = np.bincount(unit_stratum, minlength=n_strata).astype(np.float64)
            if popsize is not None:
                pop_unit = popsize[k][row_first_unit]
                n_unit = stratum_n[unit_stratum]
                f = np.where(np.isinf(pop_unit), 1.0, (pop_unit - n_unit) / pop_unit)
                fraction = n_unit / pop_unit
            else:
                f = np.ones(n_units)
                fraction = np.zeros(n_units)
            n_u = stratum_n[unit_stratum]
            scale = np.where(n_u > 1, f * n_u / np.maximum(n_u - 1, 1), f)
            max_f = np.full(n_strata, -np.inf)
            np.maximum.at(max_f, unit_stratum, f)
            zero_f = max_f < 1e-7
            # parent of each stratum: the stage k-1 unit containing it (stage 1: one group)
            unit_parent = parent_unit_of_row[row_first_unit]
            stratum_parent = _first_per_group(unit_stratum, unit_parent, n_strata)
            n_parents = int(stratum_parent.max()) + 1 if n_strata else 0
            stratum_mult = parent_mult[stratum_parent]
            first_row_of_stratum = _first_per_group(unit_stratum, row_first_unit, n_strata)
            labels = self._stratum_labels(k, first_row_of_stratum)
            stages.append(
                Stage(
                    row_unit=unit,
                    n_units=n_units,
                    unit_stratum=unit_stratum,
                    n_strata=n_strata,
                    stratum_n=stratum_n,
                    stratum_parent=stratum_parent,
                    n_parents=n_parents,
                    unit_scale=scale,
                    stratum_zero_f=zero_f,
                    stratum_mult=stratum_mult,
                    unit_fraction=fraction,
                    stratum_label=labels,
                )
            )
            # next stage: parents are this stage's units, multiplier carries n/N
            unit_mult = stratum_mult[unit_stratum] * fraction
            parent_mult = unit_mult
            parent_unit_of_row = unit
        return stages

    def _stratum_labels(self, k: int, rows: np.ndarray) -> np.ndarray:
        """Readable labels of strata (from their first rows), for error messages."""
        if k == 0 and self.strata_cols:
            return np.asarray(self.data[self.strata_cols[0]].to_numpy()[rows]).astype(str)
        if k == 0:
            return np.full(rows.size, "1", dtype=object)
        col = self.cluster_cols[k - 1]
        return np.asarray(["cluster " + str(v) for v in self.data[col].to_numpy()[rows]])

    def _check_lonely(self) -> None:
        if self.lonely_psu != "fail":
            return
        n_check = len(self.stages) if self.multistage else 1
        for k in range(n_check):
            st = self.stages[k]
            lonely = np.flatnonzero((st.stratum_n == 1) & ~st.stratum_zero_f)
            if lonely.size:
                names = ", ".join(str(x) for x in st.stratum_label[lonely][:20])
                more = f" and {lonely.size - 20} more" if lonely.size > 20 else ""
                raise InputError(
                    f"stratum/strata {names}{more} have only one PSU at stage {k + 1}; "
                    "choose a lonely-PSU policy (lonely_psu='remove', 'certainty', 'adjust' "
                    "or 'average')",
                    column=self.strata_cols[0] if (k == 0 and self.strata_cols) else None,
                    field="lonely_psu",
                )

    # --- public helpers -------------------------------------------------------------------
    def column(self, name: str) -> pd.Series:
        """A data column by name, with an error naming it when absent."""
        _check_column(self.data, name, "variable")
        return self.data[name]

    def __repr__(self) -> str:
        st = self.stages[0]
        return (
            f"Design(n={self.n}, stages={self.n_stages}, PSUs={st.n_units}, "
            f"strata={st.n_strata}, fpc={'yes' if self.fpc_cols else 'no'}, "
            f"lonely_psu={self.lonely_psu!r}, df={self.df})"
        )
