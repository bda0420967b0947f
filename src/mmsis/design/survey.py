"""Sample size of a coverage survey: a proportion to a given precision, with cluster sampling."""

from __future__ import annotations

import math

from scipy import stats

from mmsis.design import _checks
from mmsis.design.results import SurveySampleSize
from mmsis.errors import InputError


def survey_sample_size(
    p: float,
    margin: float,
    *,
    relative: bool = False,
    confidence: float = 0.95,
    deff: float | None = None,
    icc: float | None = None,
    take: int | None = None,
    population: int | None = None,
    nonresponse: float = 0.0,
) -> SurveySampleSize:
    """Respondents (and clusters) needed to estimate coverage p within +/- margin.

    n_srs = z^2 p(1-p)/e^2; times the design effect (given, or 1 + (take-1) icc); finite
    population correction n/(1 + (n-1)/N); divided by the expected response rate (1 - nonresponse).
    """
    p = _checks.probability(p, "p")
    margin = _checks.positive(margin, "margin")
    confidence = _checks.probability(confidence, "confidence")
    e = margin * p if relative else margin
    if (margin >= 1) if relative else (e >= 1):
        raise InputError("the margin must be below 1 (below 100% of p when relative)",
                         field="margin")
    if deff is not None and icc is not None:
        raise InputError("give either a design effect or an ICC with a cluster take", field="deff")
    if take is not None and (int(take) != take or take < 1):
        raise InputError(f"must be a whole number >= 1, got {take!r}", field="take")
    if icc is not None:
        icc = _checks.icc(icc)
        if take is None:
            raise InputError("an ICC needs the cluster take (respondents per cluster)",
                             field="take")
        design_effect = 1.0 + (take - 1) * icc
    elif deff is not None:
        design_effect = _checks.positive(deff, "deff")
    else:
        design_effect = 1.0
    if not 0.0 <= nonresponse < 1.0:
        raise InputError(f"must be in [0, 1), got {nonresponse!r}", field="nonresponse")
    if population is not None and (int(population) != population or population < 1):
        raise InputError(f"must be a whole number >= 1, got {population!r}", field="population")
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    n_srs = z**2 * p * (1 - p) / e**2
    n_design = n_srs * design_effect
    n_fpc = n_design / (1 + (n_design - 1) / population) if population else n_design
    n_total = math.ceil(n_fpc / (1 - nonresponse) - 1e-9)
    clusters = math.ceil(n_total / take) if take else None
    method = "z^2 p(1-p)/e^2 x DEFF, Cochran finite population correction, / response rate"
    return SurveySampleSize(
        p=p, margin_absolute=e, confidence=confidence, n_srs=n_srs, design_effect=design_effect,
        n_design=n_design, n_fpc=n_fpc, n_total=n_total, clusters=clusters,
        take=int(take) if take else None, nonresponse=nonresponse,
        population=int(population) if population else None, method=method,
    )
