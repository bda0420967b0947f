"""Result frames made readable: chosen columns, headers in words, each cell formatted by kind.

A table for people is a list of ``Column``s over a result DataFrame; ``readable`` returns a
frame of strings (labels instead of ids, percentages, intervals, periods, money) that a CLI
table, a page or the report prints as it is. The raw frame stays for ``--json``/``--csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmsis.present import format as fmt
from mmsis.present.labels import Labels, default_labels
from mmsis.present.numbers import text

if TYPE_CHECKING:
    import pandas as pd

#: Cell kinds ``Column.kind`` accepts.
KINDS = ("text", "label", "label_id", "count", "number", "percent", "money", "p", "period",
         "ci", "ci_percent", "ci_money", "ci_count", "bool", "value")


@dataclass(frozen=True)
class Column:
    """One column for people: its source column(s), header and how a cell is written.

    ``source`` is a column name, or (estimate, low, high) for the ``ci*`` kinds. ``label`` and
    ``label_id`` write knowledge-base or store labels (``label_kind`` narrows the look-up;
    ``label_id`` keeps the id beside it for users who type it back). ``value`` formats each
    cell by the unit of the id in ``unit_from`` (an output or parameter id column).
    """

    source: str | tuple[str, str, str]
    header: str
    kind: str = "text"
    label_kind: str | None = None
    currency: str = "USD"
    digits: int = 3
    unit_from: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def cell(value: Any, kind: str, labels: Labels, *, label_kind: str | None = None,
         currency: str = "USD", digits: int = 3, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """One value written for people according to ``kind``."""
    import pandas as pd

    if kind not in ("ci", "ci_percent", "ci_money", "ci_count") and (
            value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value))):
        return fmt.MISSING
    writers: dict[str, Callable[[], str]] = {
        "label": lambda: labels.label(value, label_kind),
        "label_id": lambda: labels.with_id(value, label_kind),
        "count": lambda: fmt.count(value, locale),
        "number": lambda: fmt.number(value, digits, locale),
        "percent": lambda: fmt.percent(value, locale=locale),
        "money": lambda: fmt.money(value, currency, locale),
        "p": lambda: fmt.p_value(value, locale),
        "period": lambda: fmt.period(value, locale),
        "bool": lambda: "yes" if bool(value) else "no",
    }
    if kind in writers:
        return writers[kind]()
    if kind in ("ci", "ci_percent", "ci_money", "ci_count"):
        est, lo, hi = value
        sub = {"ci": "number", "ci_percent": "percent", "ci_money": "money",
               "ci_count": "count"}[kind]
        return fmt.ci(est, lo, hi, kind=sub, digits=digits, currency=currency, locale=locale)
    return text(value, locale)


def value_by_unit(value: Any, unit: str, currency: str = "USD",
                  locale: str = fmt.DEFAULT_LOCALE) -> str:
    """A value written by the unit its id carries in labels.yaml (count, money, percent...)."""
    if unit == "count":
        return fmt.count(value, locale)
    if unit == "money":
        return fmt.money(value, currency, locale)
    if unit == "percent":
        return fmt.percent(value, locale=locale)
    return fmt.number(value, 3, locale)


def readable(df: pd.DataFrame, columns: Sequence[Column], labels: Labels | None = None,
             locale: str = fmt.DEFAULT_LOCALE) -> pd.DataFrame:
    """A frame of strings with the given columns, headers and cell formats."""
    import pandas as pd

    lab = labels or default_labels()
    out: dict[str, list[str]] = {}
    for col in columns:
        if isinstance(col.source, tuple):
            cols = [df[c] if c in df else pd.Series([None] * len(df), index=df.index)
                    for c in col.source]
            values: list[Any] = list(zip(*cols, strict=True))
        else:
            values = list(df[col.source])
        if col.kind == "value":
            units = list(df[col.unit_from]) if col.unit_from else [""] * len(values)
            out[col.header] = [
                fmt.MISSING if v is None or pd.isna(v) else
                value_by_unit(v, lab.unit(str(u)), col.currency, locale)
                for v, u in zip(values, units, strict=True)]
            continue
        out[col.header] = [cell(v, col.kind, lab, label_kind=col.label_kind,
                                currency=col.currency, digits=col.digits, locale=locale)
                           for v in values]
    return pd.DataFrame(out, index=range(len(df)))


__all__ = ["KINDS", "Column", "cell", "readable", "text", "value_by_unit"]
