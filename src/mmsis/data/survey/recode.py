"""Apply a survey profile: weights, special codes, reference period and cascade-step indicators."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mmsis.data.survey.profile import SurveyProfile, VariableSpec
from mmsis.errors import InputError

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
WEIGHT = "_weight"


@dataclass
class RecodedSurvey:
    """Survey rows in standard names, ready for ``Design(**design_kwargs)``."""

    data: pd.DataFrame
    profile: SurveyProfile
    steps: list[str]
    design_kwargs: dict[str, Any]


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna() & df[col].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"expected numeric codes, found {df[col].iloc[row - 1]!r}", column=col, row=row
        )
    return values.to_numpy(dtype=np.float64)


def _variable(df: pd.DataFrame, spec: VariableSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values with special codes removed, and flags for "don't know" and "missing" codes."""
    v = _numeric(df, spec.column)
    dk = np.isin(v, spec.dont_know) if spec.dont_know else np.zeros(v.size, dtype=bool)
    miss = np.isin(v, spec.missing) if spec.missing else np.zeros(v.size, dtype=bool)
    v = np.where(dk | miss, np.nan, v)
    return v, dk, miss


def _and3(parts: list[np.ndarray]) -> np.ndarray:
    """Three-valued AND of 0/1/NaN arrays: any 0 gives 0, else any NaN gives NaN."""
    stack = np.vstack(parts)
    zero = (stack == 0).any(axis=0)
    nan = np.isnan(stack).any(axis=0)
    return np.where(zero, 0.0, np.where(nan, np.nan, 1.0))


def _check_columns(df: pd.DataFrame, profile: SurveyProfile, file: str | None) -> None:
    need = [c for c in profile.design.cluster]
    need += [c for c in (profile.design.weight, profile.design.strata) if c]
    need += profile.design.fpc
    need += [d.column for d in profile.domains.values()]
    need += [v.column for v in profile.variables.values() if v.required]
    if profile.reference_period:
        need += [profile.reference_period.interview_cmc, profile.reference_period.birth_cmc]
    absent = sorted({c for c in need if c not in df.columns})
    if absent:
        raise InputError(
            f"columns required by profile '{profile.name}' are absent: {', '.join(absent)}",
            file=file,
            column=absent[0],
        )


def recode(
    df: pd.DataFrame,
    profile: SurveyProfile,
    *,
    supplement: str = "any",
    period_months: int | None = None,
    file: str | None = None,
) -> RecodedSurvey:
    """Standardise a survey with its profile and compute each cascade step as 0/1/NaN.

    Women outside the reference period get NaN steps, so that estimates treat them as outside
    the domain (design-based, never by dropping rows from the design).
    """
    _check_columns(df, profile, file)
    out = pd.DataFrame(index=df.index)
    d = profile.design
    if d.weight:
        out[WEIGHT] = _numeric(df, d.weight) / d.weight_divisor
    for col in [*d.cluster, *([d.strata] if d.strata else []), *d.fpc]:
        out[col] = df[col].to_numpy()
    for name, dom in profile.domains.items():
        raw = df[dom.column]
        # the profile's labels, else the file's own value labels (a .dta's region names)
        labels = dom.labels or df.attrs.get("value_labels", {}).get(dom.column, {})
        if labels:
            codes = pd.to_numeric(raw, errors="coerce")
            mapped = codes.map(labels)
            order = [labels[k] for k in sorted(labels)]
            out[name] = pd.Categorical(mapped, categories=order, ordered=True)
        else:
            out[name] = raw.to_numpy()
    values: dict[str, np.ndarray] = {}
    dks: dict[str, np.ndarray] = {}
    misses: dict[str, np.ndarray] = {}
    for name, spec in profile.variables.items():
        if spec.column not in df.columns:
            continue
        values[name], dks[name], misses[name] = _variable(df, spec)
        out[name] = values[name]
    in_period = np.ones(len(df), dtype=bool)
    if profile.reference_period is not None:
        rp = profile.reference_period
        months = period_months if period_months is not None else rp.months
        if rp.child_age and rp.child_age in df.columns and df[rp.child_age].notna().any():
            age = _numeric(df, rp.child_age)
        else:
            age = _numeric(df, rp.interview_cmc) - _numeric(df, rp.birth_cmc)
        in_period = (age >= 0) & (age < months)
    out["in_period"] = in_period
    type_cond = _supplement_condition(profile, supplement, values)
    steps: list[str] = []
    for step in profile.cascade:
        parts = []
        for var, op, value in step.when:
            if var not in values:
                raise InputError(
                    f"step '{step.id}' needs variable '{var}' (column "
                    f"'{profile.variables[var].column}'), absent from the file",
                    file=file,
                    column=profile.variables[var].column,
                )
            v = values[var]
            with np.errstate(invalid="ignore"):
                met = np.where(np.isnan(v), np.nan, _OPS[op](v, value).astype(np.float64))
            dk_as = step.dont_know_as or profile.dont_know_as
            if dk_as != "missing":
                met = np.where(dks[var], 0.0 if dk_as == "no" else 1.0, met)
            if profile.missing_as == "no":
                met = np.where(misses[var], 0.0, met)
            parts.append(met)
        if step.supplement_step and type_cond is not None:
            parts.append(type_cond)
        parts += [out[r].to_numpy(dtype=np.float64) for r in step.requires]
        ind = _and3(parts)
        out[step.id] = np.where(in_period, ind, np.nan)
        steps.append(step.id)
    kwargs: dict[str, Any] = {
        "weight": WEIGHT if d.weight else None,
        "cluster": d.cluster or None,
        "strata": d.strata,
        "fpc": d.fpc or None,
        "nest": d.nest,
        "lonely_psu": d.lonely_psu,
    }
    return RecodedSurvey(out, profile, steps, kwargs)


def _supplement_condition(
    profile: SurveyProfile, supplement: str, values: dict[str, np.ndarray]
) -> np.ndarray | None:
    if supplement.lower() == "any":
        return None
    spec = profile.variables.get("supplement_type")
    if spec is None or "supplement_type" not in values:
        raise InputError(
            f"supplement '{supplement}' needs the profile variable 'supplement_type' in the file",
            field="supplement",
        )
    code = [k for k, label in spec.codes.items() if label.lower() == supplement.lower()]
    if not code:
        raise InputError(
            f"unknown supplement '{supplement}' (codes: {', '.join(spec.codes.values())}, any)",
            field="supplement",
        )
    t = values["supplement_type"]
    return np.where(np.isnan(t), 0.0, (t == code[0]).astype(np.float64))
