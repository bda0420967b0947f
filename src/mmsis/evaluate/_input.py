"""Input checks shared by the evaluation methods: every refusal names the column and row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mmsis.data.textio import MAX_DATA_VALUE
from mmsis.errors import InputError


def require_columns(df: pd.DataFrame, columns: Sequence[str | None], file: str | None) -> None:
    """Refuse when a named column is missing from the data."""
    for col in columns:
        if col is not None and col not in df.columns:
            raise InputError(
                f"column not found; available: {', '.join(map(str, df.columns))}",
                file=file,
                column=col,
            )


def numeric_column(
    df: pd.DataFrame, col: str, file: str | None, allow_nan: bool = False
) -> pd.Series:
    """The column as floats; refuses text and (unless allowed) empty cells, naming the first row."""
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna() & (df[col].notna() if allow_nan else True)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{int(bad.sum())} value(s) are empty or not numbers (first: {df[col].iloc[pos]!r})",
            file=file,
            row=pos + 1,
            column=col,
        )
    return finite_column(values.astype(float), col, file)


def finite_column(values: pd.Series, col: str, file: str | None) -> pd.Series:
    """Refuse infinities and values beyond what a count can mean (|x| > 1e12): sums of them
    overflow and models fail far from the cause. Names the first row; NaN (empty) passes."""
    arr = values.to_numpy(dtype=float)
    bad = np.isinf(arr) | (np.abs(np.nan_to_num(arr)) > MAX_DATA_VALUE)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} value(s) are infinite or beyond {MAX_DATA_VALUE:,.0f}, more than "
            f"any count or rate can be (first: {arr[pos]:g})",
            file=file,
            row=pos + 1,
            column=col,
        )
    return values


def binary_column(df: pd.DataFrame, col: str, file: str | None) -> pd.Series:
    """A 0/1 indicator column (accepts true/false); refuses anything else."""
    raw = df[col]
    if raw.dtype == bool:
        return raw.astype(int)
    mapped = raw.map(
        lambda v: {"true": 1, "false": 0, "1": 1, "0": 0, "1.0": 1, "0.0": 0}.get(
            str(v).strip().lower()
        )
    )
    if mapped.isna().any():
        pos = int(np.flatnonzero(mapped.isna().to_numpy())[0])
        raise InputError(f"must be 0/1 (got {raw.iloc[pos]!r})", file=file, row=pos + 1, column=col)
    return mapped.astype(int)


def positive_column(values: pd.Series, col: str, file: str | None) -> None:
    """Refuse zero or negative values (offsets, populations), naming the first row."""
    bad = ~(values > 0)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{int(bad.sum())} value(s) are not positive (first: {values.iloc[pos]}); "
            "offsets must be > 0 on the natural scale",
            file=file,
            row=pos + 1,
            column=col,
        )


def period_to_month_index(values: pd.Series) -> pd.Series | None:
    """Months since the first period when every value is a YYYYMM period, else None."""
    as_int = pd.to_numeric(values, errors="coerce")
    if as_int.isna().any() or not (as_int == as_int.round()).all():
        return None
    year, month = as_int // 100, as_int % 100
    if not ((year >= 1900) & (year <= 2100) & (month >= 1) & (month <= 12)).all():
        return None
    idx = year * 12 + month - 1
    return (idx - idx.min()).astype(float)
