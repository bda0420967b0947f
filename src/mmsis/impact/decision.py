"""What a TAG reads from the Monte Carlo draws: the acceptability curve (probability that MMS is
cost-effective at each willingness to pay), the expected value of perfect information, the
thresholds marked on the curve, and currency-year conversion of published results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mmsis.forecast.evidence import evidence
from mmsis.forecast.scenario import Scenario

GRID_POINTS = 201


def net_benefit(dalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray) -> np.ndarray:
    """Incremental net monetary benefit of MMS over IFA, (wtp, draws): wtp x DALYs - cost."""
    return wtp[:, None] * dalys[None, :] - cost[None, :]


def thresholds(sc: Scenario) -> pd.DataFrame:
    """Thresholds to mark: 1x and 3x GDP per capita and the opportunity-cost threshold, each
    with its source (rows only for the values the scenario gives)."""
    t = sc.impact.thresholds
    facts = evidence().model["cost_effectiveness_thresholds"]
    rows = []
    if t.gdp_per_capita is not None:
        for m in facts["gdp_multiples"]["multiples"]:
            rows.append({"threshold": f"{m:g}x GDP per capita",
                         "value": float(m) * t.gdp_per_capita,
                         "source": facts["gdp_multiples"]["source"]})
    if t.opportunity_cost is not None:
        rows.append({"threshold": "opportunity cost (health foregone)",
                     "value": float(t.opportunity_cost),
                     "source": t.opportunity_cost_source or facts["opportunity_cost"]["source"]})
    return pd.DataFrame(rows, columns=["threshold", "value", "source"])


def wtp_grid(sc: Scenario, central_icer: float, marks: pd.DataFrame) -> np.ndarray:
    """Willingness-to-pay values from 0 to the scenario's wtp_max (default: the largest of the
    thresholds and 5x the cost per DALY given, else 1,000), with the thresholds included."""
    top = sc.impact.thresholds.wtp_max
    if top is None:
        cands = [float(v) for v in marks["value"]]
        if math.isfinite(central_icer) and central_icer > 0:
            cands.append(5 * central_icer)
        top = max(cands) if cands else 1000.0
    grid = np.linspace(0.0, float(top), GRID_POINTS)
    return np.unique(np.concatenate([grid, marks["value"].to_numpy(float)]))


def acceptability(dalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray) -> pd.DataFrame:
    """Probability cost-effective, expected net benefit and EVPI (per programme) at each wtp.

    EVPI = E[max(NB, 0)] - max(E[NB], 0), with IFA (net benefit 0) as the alternative.
    """
    nb = net_benefit(dalys, cost, wtp)
    mean = nb.mean(axis=1)
    return pd.DataFrame({
        "wtp": wtp,
        "probability_cost_effective": (nb > 0).mean(axis=1),
        "expected_net_benefit": mean,
        "evpi": np.maximum(nb, 0).mean(axis=1) - np.maximum(mean, 0),
    })


def at_thresholds(marks: pd.DataFrame, dalys: np.ndarray, cost: np.ndarray) -> pd.DataFrame:
    """The thresholds with the probability that MMS is cost-effective at each."""
    out = marks.copy()
    if len(out):
        nb = net_benefit(dalys, cost, out["value"].to_numpy(float))
        out["probability_cost_effective"] = (nb > 0).mean(axis=1)
    else:
        out["probability_cost_effective"] = pd.Series(dtype=float)
    return out


def convert_usd(value: float | None, year: int | None, sc: Scenario
                ) -> tuple[float, str]:
    """A published US$ value of `year` in the scenario's currency and currency year.

    US$ of year y0 -> scenario currency at y0's exchange rate (1 for USD), then the scenario
    currency's GDP deflator from y0 to the scenario's currency year. NaN with the reason when
    an input is missing.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan"), ""
    if year is None or (isinstance(year, float) and math.isnan(year)):
        # a pandas column of years holds a source without one as NaN, the others as floats
        return float("nan"), "not converted: the source gives no currency year"
    year = int(year)
    conv = sc.impact.currency_conversion
    y1 = sc.currency_year
    if sc.currency.upper() == "USD":
        fx = 1.0
    elif year in conv.exchange_rates:
        fx = conv.exchange_rates[year]
    else:
        return float("nan"), f"not converted: no exchange rate for {year}"
    if year == y1:
        factor = 1.0
    elif year in conv.gdp_deflator and y1 in conv.gdp_deflator:
        factor = conv.gdp_deflator[y1] / conv.gdp_deflator[year]
    else:
        return float("nan"), f"not converted: no GDP deflator for {year} and {y1}"
    note = (f"US$ {year} x {fx:g} {sc.currency}/US$ x deflator {y1}/{year} = {factor:.4g}"
            + (f" ({conv.source})" if conv.source else ""))
    return float(value) * fx * factor, note
