"""Argument checks shared by the design functions; each failure names the argument."""

from __future__ import annotations

import math

from mmsis.errors import InputError


def probability(value: float, field: str) -> float:
    """A probability strictly between 0 and 1."""
    if not (isinstance(value, (int, float)) and 0.0 < float(value) < 1.0):
        raise InputError(f"must be strictly between 0 and 1, got {value!r}", field=field)
    return float(value)


def icc(value: float, field: str = "icc") -> float:
    """An intra-cluster correlation in [0, 1)."""
    if not (isinstance(value, (int, float)) and 0.0 <= float(value) < 1.0):
        raise InputError(f"must be in [0, 1), got {value!r}", field=field)
    return float(value)


def unit(value: float, field: str) -> float:
    """A correlation-like value in [0, 1]."""
    if not (isinstance(value, (int, float)) and 0.0 <= float(value) <= 1.0):
        raise InputError(f"must be in [0, 1], got {value!r}", field=field)
    return float(value)


def positive(value: float, field: str) -> float:
    """A finite number > 0."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InputError(f"must be a positive number, got {value!r}", field=field)
    return float(value)


def nonnegative(value: float, field: str) -> float:
    """A finite number >= 0."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise InputError(f"must be a number >= 0, got {value!r}", field=field)
    return float(value)


def different(a: float, b: float, fields: str) -> None:
    """Two arms must differ, or there is nothing to detect."""
    if a == b:
        raise InputError("the two arms are equal, so there is no effect to detect", field=fields)
