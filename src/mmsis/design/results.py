"""Pydantic result models returned by the design functions (what the CLI prints and plan uses)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


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


class SteppedWedgeResult(_Result):
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
