"""Org-unit scopes: a scope is a unit's subtree, compared by whole path segments.

Paths are DHIS2 style, ``/C/R1/D1``. A scope ``/C/R1/D1`` contains ``/C/R1/D1`` and
``/C/R1/D1/F1`` but not ``/C/R1/D10``: every check of "is this inside the user's part of the
hierarchy" goes through this module (Python values, SQL columns, pandas series), so no caller
compares paths by string prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_

if TYPE_CHECKING:
    import pandas as pd


def _norm(scope: str) -> str:
    """A scope path without a trailing slash."""
    return scope.rstrip("/")


def contains(scope: str | None, path: str | None) -> bool:
    """True when `path` is the scope's unit or inside its subtree (no scope: everything)."""
    if not scope:
        return True
    if not path:
        return False
    root = _norm(scope)
    return path == root or path.startswith(root + "/")


def is_above(path: str | None, scope: str | None) -> bool:
    """True when `path` is a strict ancestor of the scope's unit (e.g. its region or country)."""
    if not scope or not path:
        return False
    return _norm(scope).startswith(_norm(path) + "/")


def sql_contains(column: Any, scope: str | None) -> ColumnElement[bool]:
    """SQL condition: the path column is the scope's unit or inside its subtree."""
    if not scope:
        from sqlalchemy import true

        return true()
    root = _norm(scope)
    return or_(column == root, column.startswith(root + "/", autoescape=True))


def series_contains(paths: pd.Series, scope: str | None) -> pd.Series:
    """pandas: a boolean Series, True where the path is inside the scope (missing -> False)."""
    text = paths.fillna("").astype(str)
    if not scope:
        return text == text
    root = _norm(scope)
    return (text == root) | text.str.startswith(root + "/")
