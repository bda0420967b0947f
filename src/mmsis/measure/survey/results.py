"""Result classes of the survey analyses: the cascade, adherence and equity.

`CascadeTable` and `AdherenceTable` are DataFrames (every caller, the CLI tables and the
``--json`` records stay as they were) that also implement `mmsis.results.Result`: a tidy
`summary`, `to_dict()`, `plot(ax)` (estimates with their confidence intervals) and a notebook
view. Operations on them (slices, `assign`, `concat`) give plain DataFrames. `EquityResult` is
the ``(groups, measures)`` pair, still unpacked as a tuple.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from mmsis.results import new_axes, summary_html

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_ESTIMATE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "deff", "n", "df", "method")


def _ci_axes(frame: pd.DataFrame, labels: list[str], ax: Axes | None, title: str,
             xlabel: str) -> Axes:
    """Point estimates with 95% CI bars, one row per estimate, labelled."""
    ax = new_axes(ax, 9, max(2.5, 0.35 * len(frame) + 1))
    y = list(range(len(frame)))[::-1]
    est = frame["estimate"].astype(float)
    ax.errorbar(est, y, xerr=[est - frame["ci_low"].astype(float),
                              frame["ci_high"].astype(float) - est],
                fmt="o", capsize=3, color="#4C72B0")
    ax.set_yticks(y, labels)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    return ax


def _row_labels(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """A readable label per row from the given columns (those present)."""
    cols = [c for c in keys if c in frame.columns]
    return [" / ".join(str(v) for v in row) for row in frame[cols].itertuples(index=False)]


class _SurveyTable(pd.DataFrame):
    """A table of survey estimates that is also a `mmsis.results.Result`."""

    @property
    def _constructor(self) -> type[pd.DataFrame]:  # type: ignore[override]
        """Derived frames (slices, assign, concat) are plain DataFrames."""
        return pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """The tidy table: domain and step columns, estimate, se, ci_low, ci_high, deff, n,
        df and method (a plain DataFrame copy)."""
        return pd.DataFrame(self).copy()

    def plot(self, ax: Axes | None = None) -> Axes:  # type: ignore[override]
        """Each estimate with its confidence interval."""
        return _ci_axes(self, self._labels(), ax, self._title, "estimate (95% CI)")

    def _labels(self) -> list[str]:
        """Row labels from the domain, label (not the step id) and denominator columns."""
        keys = [c for c in self.columns if c not in _ESTIMATE_COLUMNS
                and not (c == "step" and "label" in self.columns)]
        return _row_labels(self, keys)

    _title = "Survey estimates"

    def _repr_html_(self) -> str:  # type: ignore[override]
        """The table under its title, for notebooks."""
        return summary_html(self, self._title)


class CascadeTable(_SurveyTable):
    """The coverage cascade (`mmsis.measure.survey.cascade.cascade`): one row per step and
    denominator (all women, previous step), with design-based CIs."""

    _title = "MMS/IFA coverage cascade"


class AdherenceTable(_SurveyTable):
    """Adherence (`mmsis.measure.survey.cascade.adherence`): consumed / expected and the share
    at or above the threshold, with design-based CIs."""

    _title = "Adherence"


class EquityResult(NamedTuple):
    """Equity of an indicator (`mmsis.measure.survey.equity.equity`): group estimates and the
    inequality measures; unpacks as ``groups, measures``."""

    groups: pd.DataFrame
    measures: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """The inequality measures (dimension, measure, comparison, estimate, se, CI, method)."""
        return self.measures

    def to_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """Groups and measures, as `mmsis survey equity --json` prints them."""
        return {"groups": self.groups, "measures": self.measures}

    def plot(self, ax: Axes | None = None) -> Axes:
        """Each group's estimate with its confidence interval, by dimension."""
        g = self.groups
        title = f"{g['indicator'].iloc[0]} by group" if len(g) else "Equity"
        return _ci_axes(g, _row_labels(g, ["dimension", "group"]), ax, title,
                        "estimate (95% CI)")

    def _repr_html_(self) -> str:
        """The inequality measures, for notebooks."""
        return summary_html(self, "Equity")
