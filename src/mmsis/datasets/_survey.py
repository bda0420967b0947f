"""A DHS-style survey of women with a recent birth, drawn from the example country.

Two-stage stratified cluster design: strata are region x residence, clusters (PSUs) are
drawn within strata with urban areas over-sampled, then a fixed take of women per cluster.
Variable names follow the DHS individual recode (v005, v021, v022, m14, m45, m46...).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

_WEALTH_PROBS = {
    1: [0.05, 0.10, 0.15, 0.30, 0.40],  # urban
    2: [0.27, 0.25, 0.22, 0.16, 0.10],  # rural
}


def cmc_to_period(cmc: np.ndarray) -> np.ndarray:
    """Century-month codes (DHS) to DHIS2 monthly periods YYYYMM as strings."""
    cmc = np.asarray(cmc, dtype=np.int64)
    year = 1900 + (cmc - 1) // 12
    month = (cmc - 1) % 12 + 1
    return np.char.add(year.astype(str), np.char.zfill(month.astype(str), 2))


def build_survey(org_units: pd.DataFrame, rollout: pd.DataFrame, params: dict[str, Any],
                 rng: np.random.Generator) -> pd.DataFrame:
    """Draw the survey sample and its answers."""
    s = params["survey"]
    take = int(s["cluster_take"])
    n_clusters = int(s["women"]) // take
    regions = org_units[org_units["level"] == 2].reset_index(drop=True)
    districts = org_units[org_units["level"] == 3]
    reg_pop = regions["population"].to_numpy(float)

    # strata: region x residence (1 urban, 2 rural); urban clusters over-sampled (40% vs 30%)
    strata = []
    for r_i, reg in regions.iterrows():
        for res in (1, 2):
            pop_share = s["urban_share"] if res == 1 else 1 - s["urban_share"]
            samp_share = 0.40 if res == 1 else 0.60
            strata.append({"v024": r_i + 1, "v025": res, "region_id": reg["id"],
                           "pop": reg_pop[r_i] * pop_share, "alloc": samp_share / len(regions)})
    st = pd.DataFrame(strata)
    st["v022"] = np.arange(1, len(st) + 1)
    st["n_clusters"] = np.maximum(2, np.round(st["alloc"] * n_clusters)).astype(int)
    st["base_weight"] = st["pop"] / (st["n_clusters"] * take)

    rows = []
    psu = 0
    for _, stratum in st.iterrows():
        cand = districts.loc[districts["parent_id"] == stratum["region_id"], "id"].to_numpy()
        for _ in range(int(stratum["n_clusters"])):
            psu += 1
            rows.append({"v021": psu, "v022": stratum["v022"], "v024": stratum["v024"],
                         "v025": stratum["v025"], "district_id": rng.choice(cand),
                         "w": stratum["base_weight"] * rng.lognormal(0, 0.2)})
    cl = pd.DataFrame(rows)
    cl["re_anc"] = rng.normal(0, 0.5, len(cl))
    cl["re_supp"] = rng.normal(0, 0.6, len(cl))

    women = cl.loc[cl.index.repeat(take)].reset_index(drop=True)
    n = len(women)
    women["v001"] = women["v021"]
    women["v002"] = np.tile(np.arange(1, take + 1), len(cl))
    women["caseid"] = [f"{c:5d}{h:4d}  2" for c, h in zip(women["v001"], women["v002"],
                                                          strict=True)]
    women["v005"] = np.rint(women["w"] / women["w"].mean() * 1e6).astype(np.int64)
    women["v023"] = women["v022"]
    urban = (women["v025"] == 1).to_numpy()
    u = rng.random(n)
    cum_u = np.cumsum(_WEALTH_PROBS[1])
    cum_r = np.cumsum(_WEALTH_PROBS[2])
    women["v190"] = np.where(urban, np.searchsorted(cum_u, u), np.searchsorted(cum_r, u)) + 1
    wealth = women["v190"].to_numpy() - 3

    women["v008"] = s["interview_cmc"] - rng.integers(0, 3, n)
    women["b3"] = women["v008"] - rng.integers(0, 60, n)

    # did MMS reach the district when she was pregnant (about six months before birth)?
    preg_period = cmc_to_period(women["b3"].to_numpy() - 6)
    start = women["district_id"].map(rollout.set_index("district_id")["mms_start"]).to_numpy()
    mms_available = preg_period.astype(int) >= start.astype(int)

    p_anc = expit(logit(s["anc_any"]) + 0.35 * wealth + 0.3 * urban + women["re_anc"])
    anc_any = rng.random(n) < p_anc
    visits = np.where(anc_any, 1 + rng.poisson(np.exp(1.0 + 0.12 * wealth + 0.1 * urban)), 0)
    visits = np.minimum(visits, 20)
    first_month = np.clip(np.rint(rng.normal(4.0 - 0.4 * wealth, 1.5)), 1, 9)

    p_rec = expit(logit(s["received_given_anc"]) + 0.2 * wealth + women["re_supp"])
    received = np.where(anc_any, rng.random(n) < p_rec, rng.random(n) < 0.10)
    supp_type = np.where(mms_available & (rng.random(n) < 0.85), 2, 1)
    packs = np.clip(rng.poisson(np.maximum(0.9 * visits + 0.3 * wealth + 0.8, 0.2)), 1, 9)
    tabs_received = 30 * packs
    tabs_consumed = np.rint(tabs_received * rng.beta(8, 2, n)).astype(np.int64)
    days = np.clip(tabs_consumed + rng.integers(-10, 11, n), 0, 400)

    dk = s["dont_know_rate"]
    m14 = np.where(rng.random(n) < dk / 3, 98, visits).astype(float)
    m13 = np.where(anc_any, first_month, np.nan)
    m13 = np.where(anc_any & (rng.random(n) < dk), 98, m13)
    m45 = np.where(rng.random(n) < dk / 2, 8, received.astype(int))
    got = m45 == 1
    women["m14"] = m14
    women["m13"] = m13
    women["m45"] = m45
    women["s_supp_type"] = np.where(got, supp_type, np.nan)
    women["s_tabs_received"] = np.where(
        got, np.where(rng.random(n) < dk, 998, tabs_received), np.nan)
    women["s_tabs_consumed"] = np.where(
        got, np.where(rng.random(n) < dk, 998, tabs_consumed), np.nan)
    women["m46"] = np.where(got, np.where(rng.random(n) < dk, 998, days), np.nan)

    cols = ["caseid", "v001", "v002", "v005", "v008", "v021", "v022", "v023", "v024", "v025",
            "v190", "b3", "m14", "m13", "m45", "s_supp_type", "s_tabs_received",
            "s_tabs_consumed", "m46", "district_id"]
    return women[cols]
