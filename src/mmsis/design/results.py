"""Pydantic result models returned by the design functions (what the CLI prints and plan uses).

Each implements `mmsis.results.Result`: `summary` lists the numeric quantities (one row each,
the computed value as `estimate`), `to_dict()` is the model's JSON form, `plot(ax)` draws the
quantities as a table (the roll-out layout as its matrix; simulated power with its interval).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from mmsis.results import summary_html, table_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class _Result(BaseModel):
    """Shared behaviour of the design results (the `mmsis.results.Result` protocol)."""

    model_config = ConfigDict(frozen=True)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per numeric quantity: quantity, estimate (the computed value), method."""
        rows = [{"quantity": k, "estimate": float(v), "method": getattr(self, "method", "")}
                for k, v in self.model_dump().items()
                if isinstance(v, int | float) and not isinstance(v, bool)]
        return pd.DataFrame(rows, columns=["quantity", "estimate", "method"])

    def to_dict(self) -> dict[str, Any]:
        """The result as plain values for JSON output (what `--json` prints)."""
        return self.model_dump()

    def plot(self, ax: Axes | None = None) -> Axes:
        """The quantities, in words, as a table figure (a sample size is a number, not a
        curve)."""
        from mmsis.present.labels import label
        from mmsis.present.numbers import number

        s = self.summary
        shown = pd.DataFrame({"quantity": [label(q) for q in s["quantity"]],
                              "value": [number(v, 4) for v in s["estimate"]]})
        return table_axes(shown, ax, title=str(getattr(self, "method", "")))

    def _repr_html_(self) -> str:
        """The summary table, for notebooks."""
        return summary_html(self, str(getattr(self, "method", "")) or None)


class SurveySampleSize(_Result):
    """Sample size for estimating a proportion with a household or facility survey."""

    p: float
    margin_absolute: float
    confidence: float
    n_srs: float
    design_effect: float
    n_design: float
    n_fpc: float
    n_total: int
    clusters: int | None
    take: int | None
    nonresponse: float
    population: int | None
    method: str


class IndividualResult(_Result):
    """Sample size per arm or power for an individually randomised comparison."""

    outcome: str
    n_per_arm: int | None
    n_per_arm_raw: float | None
    power: float
    alpha: float
    effect: float
    method: str


class CrtResult(_Result):
    """Clusters per arm (or power) for a parallel two-arm cluster randomised trial."""

    outcome: str
    clusters_per_arm: int | None
    clusters_per_arm_raw: float | None
    power: float
    alpha: float
    m: float
    design_effect: float
    effect: float
    var_effect: float | None
    small_sample: str
    method: str
    cv_method: str | None = None  # design effect for a CV of sizes: taylor | eldridge


class SteppedWedgePower(_Result):
    """Power of a stepped-wedge design from the GLS variance of the treatment effect."""

    power: float
    var_theta: float
    se: float
    theta: float
    alpha: float
    n_clusters: int
    n_periods: int
    tau: float
    eta: float
    rho: float
    gamma: float
    sigma2: float
    closed_form: bool
    method: str


class WoertmanResult(_Result):
    """Woertman et al. 2013 stepped-wedge correction factor and design effect."""

    cf: float
    design_effect: float
    n: int
    k: int
    t: int
    b: int
    rho: float
    n_individual: float | None
    n_total: float | None
    clusters: float | None
    method: str


class HooperResult(_Result):
    """Hooper et al. 2016 design effect of a longitudinal cluster design versus individual RCT."""

    design_effect: float
    design_effect_per_period: float
    var_theta: float
    icc: float
    cac: float
    m: float
    n_total: int
    method: str


class SwLayout(_Result):
    """A stepped-wedge roll-out: clusters per sequence, the 0/1 design matrix and assignment."""

    clusters_per_sequence: list[int]
    n_periods: int
    extra_treated_periods: int
    matrix: list[list[float]]
    assignment: list[dict[str, str | int]]
    method: str

    def plot(self, ax: Axes | None = None) -> Axes:
        """The design matrix: sequences (rows) by periods (columns), shaded when treated."""
        from mmsis.results import new_axes

        ax = new_axes(ax, 6, 3)
        ax.imshow(self.matrix, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xlabel("period")
        ax.set_ylabel("sequence")
        ax.set_title(f"Stepped-wedge layout ({self.n_periods} periods)", fontsize=10)
        return ax


class SimulationPower(_Result):
    """Simulated power with its Monte Carlo standard error."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_failed: int
    mean_theta_hat: float
    analytic_power: float
    seed: int
    seconds: float
    method: str

    @property
    def summary(self) -> pd.DataFrame:
        """Simulated power with its Monte Carlo SE and interval, n simulations and method."""
        return pd.DataFrame([{"quantity": "power", "estimate": self.estimate, "se": self.se,
                              "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n,
                              "method": self.method}])

    def plot(self, ax: Axes | None = None) -> Axes:
        """Simulated power with its 95% Monte Carlo interval beside the analytic power."""
        from mmsis.results import new_axes

        ax = new_axes(ax, 5, 3)
        ax.errorbar([0], [self.estimate], yerr=[[self.estimate - self.ci_low],
                                                [self.ci_high - self.estimate]],
                    fmt="o", capsize=4, label="simulated (95% MC interval)")
        ax.plot([1], [self.analytic_power], "s", label="analytic")
        ax.set_xticks([0, 1], ["simulated", "analytic"])
        ax.set_ylim(0, 1)
        ax.set_ylabel("power")
        ax.set_title(f"Power from {self.n:,} simulations", fontsize=10)
        return ax
