"""Shared shape of fitted evaluation models: a tidy summary, a plot and a JSON form."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from mmsis.results import summary_html

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Z95 = float(stats.norm.ppf(0.975))
SUMMARY_COLUMNS = ["term", "estimate", "se", "ci_low", "ci_high", "p"]


def wald_row(term: str, estimate: float, se: float, log_link: bool) -> dict[str, Any]:
    """One summary row with a Wald normal CI and p-value; rate ratios added on log links."""
    z = estimate / se if se > 0 else np.nan
    row: dict[str, Any] = {
        "term": term,
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(estimate - Z95 * se),
        "ci_high": float(estimate + Z95 * se),
        "p": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
    }
    if log_link:
        row["rr"] = float(np.exp(estimate))
        row["rr_ci_low"] = float(np.exp(row["ci_low"]))
        row["rr_ci_high"] = float(np.exp(row["ci_high"]))
    return row


class EffectModel(ABC):
    """A fitted evaluation model (CausalPy style); implements `mmsis.results.Result`."""

    method: str
    n: int
    summary: pd.DataFrame
    warnings: list[str]

    def effect(self, term: str) -> dict[str, Any]:
        """The summary row of one term as a dict (KeyError naming the term if absent)."""
        rows = self.summary[self.summary["term"] == term]
        if rows.empty:
            raise KeyError(f"term '{term}' not in summary: {list(self.summary['term'])}")
        return {k: v for k, v in rows.iloc[0].to_dict().items() if k != "term"}

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Key results as plain values for JSON output."""

    @abstractmethod
    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the fit on `ax` (a new figure when None) and return the Axes (see
        `mmsis.results.save_plot` to write a file)."""

    def _repr_html_(self) -> str:
        """The summary table under the method's name, for notebooks."""
        return summary_html(self, self.method)


def newey_west_cov(
    bread: np.ndarray, scores: np.ndarray, lags: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Newey-West sandwich `B S B` (Bartlett weights 1 - l/(lags+1), no small-sample factor).

    `bread` is the unscaled inverse expected information ((X'WX)^-1; (X'X)^-1 for OLS) and
    `scores` the per-observation scores in time order, as `sandwich::NeweyWest(prewhite = FALSE,
    adjust = FALSE)` with `bread.glm`. With `groups`, lagged products stay within each group
    (rows of a group in time order) and the groups' meats are summed.
    """
    k = scores.shape[1]
    meat = np.zeros((k, k))
    keys = np.unique(groups) if groups is not None else [None]
    for key in keys:
        s = scores if groups is None else scores[groups == key]
        meat += s.T @ s
        for lag in range(1, min(lags, len(s) - 1) + 1):
            gamma = s[lag:].T @ s[:-lag]
            meat += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    return np.asarray(bread @ meat @ bread)


def model_scores_and_bread(res: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-observation scores and the unscaled bread of a statsmodels GLM (scale 1) or OLS fit."""
    if hasattr(res.model, "family"):
        scores = np.asarray(res.model.score_obs(np.asarray(res.params), scale=1.0))
        return scores, np.asarray(res.normalized_cov_params)  # IRLS: (X'WX)^-1, unscaled
    x = np.asarray(res.model.exog)
    return x * np.asarray(res.resid)[:, None], np.asarray(res.normalized_cov_params)
