"""Generate DHS-like stratified two-stage samples for cross-checks against R and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_dhs_like(
    n_women: int = 2000,
    n_psu: int = 120,
    n_strata: int = 12,
    n_regions: int = 4,
    seed: int = 1,
    missing: float = 0.05,
    lonely: int = 0,
    psu_restart: bool = False,
    weight_scale: float = 300.0,
) -> pd.DataFrame:
    """Women in PSUs (clusters) in strata, with weights, domains, missing values and fpc columns.

    Columns: ``stratum, psu, hh, wt, region, urban, wealth, anc4 (0/1), mms (0/1), tablets,
    expected, fpc1 (PSUs in the stratum's population), fpc2 (households in the PSU's
    population)``. ``lonely`` strata get a single PSU; ``psu_restart`` numbers PSUs from 1
    within each stratum (needs ``nest=True``).
    """
    rng = np.random.default_rng(seed)
    regular = n_strata - lonely
    if regular < 1 or n_psu - lonely < 2 * regular:
        raise ValueError("need at least two PSUs in every non-lonely stratum")
    base = np.arange(n_psu - lonely) % regular
    psu_stratum = np.concatenate([rng.permutation(base), np.arange(regular, n_strata)])
    psu_of_woman = np.concatenate([np.arange(n_psu), rng.integers(0, n_psu, n_women - n_psu)])
    psu_of_woman.sort()
    stratum = psu_stratum[psu_of_woman]
    region = stratum % n_regions + 1
    urban = (stratum // n_regions) % 2 + 1
    psu_weight = rng.lognormal(0.0, 0.4, n_psu)
    wt = np.round(weight_scale * psu_weight[psu_of_woman] * (1 + 0.1 * rng.random(n_women)), 6)
    wealth = np.clip(rng.integers(1, 6, n_women) + (urban == 1) * rng.integers(0, 2, n_women), 1, 5)
    psu_effect = rng.normal(0.0, 0.6, n_psu)[psu_of_woman]
    lin = -0.3 + 0.25 * (wealth - 3) + psu_effect
    anc4 = (rng.random(n_women) < 1 / (1 + np.exp(-lin))).astype(np.float64)
    mms = (rng.random(n_women) < 1 / (1 + np.exp(-(lin - 0.5)))).astype(np.float64)
    tablets = np.round(rng.gamma(2.0, 45.0, n_women) * (1 + 0.2 * psu_effect.clip(-1, 1)))
    expected = rng.integers(60, 200, n_women).astype(np.float64)
    for arr in (anc4, mms, tablets):
        arr[rng.random(n_women) < missing] = np.nan
    hh = rng.integers(1, 6, n_women)
    psu_n = np.bincount(psu_stratum, minlength=n_strata)
    fpc1 = (psu_n * 8 + 3)[stratum]
    fpc2 = np.full(n_women, 40)
    psu_id = psu_of_woman + 1
    if psu_restart:
        order = np.argsort(psu_stratum, kind="stable")
        rank = np.empty(n_psu, dtype=np.int64)
        starts = np.searchsorted(psu_stratum[order], np.arange(n_strata))
        rank[order] = np.arange(n_psu) - starts[psu_stratum[order]]
        psu_id = rank[psu_of_woman] + 1
    return pd.DataFrame(
        {
            "stratum": stratum + 1,
            "psu": psu_id,
            "hh": hh,
            "wt": wt,
            "region": region,
            "urban": urban,
            "wealth": wealth,
            "anc4": anc4,
            "mms": mms,
            "tablets": tablets,
            "expected": expected,
            "fpc1": fpc1,
            "fpc2": fpc2,
        }
    )
