"""Facility-month routine (HMIS/LMIS) data of the example country, in DHIS2 shapes.

The generating model is deliberately simple so that evaluations can recover it: expected
ANC1 visits follow a log-linear model with district level, secular trend, annual seasonality
and a level change of ``anc1_rr_mms`` once MMS is introduced in the district.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mmsis.data.concepts import ConceptMap

DEFAULT_COC = "HllvX50cXC0"  # DHIS2's default category option combo

DATA_ELEMENTS: list[tuple[str, str, str, str]] = [
    # id, name, short name, aggregation type
    ("ANC1", "ANC first visits", "ANC1", "SUM"),
    ("ANC4", "ANC fourth visits", "ANC4", "SUM"),
    ("IFA_CLIENTS", "ANC clients given IFA", "IFA clients", "SUM"),
    ("MMS_CLIENTS", "ANC clients given MMS", "MMS clients", "SUM"),
    ("IFA_TABLETS_DISPENSED", "IFA tablets dispensed", "IFA dispensed", "SUM"),
    ("MMS_TABLETS_DISPENSED", "MMS tablets dispensed", "MMS dispensed", "SUM"),
    ("MMS_STOCK_ON_HAND", "MMS tablets in stock at month end", "MMS SOH", "LAST"),
    ("MMS_STOCK_RECEIVED", "MMS tablets received", "MMS received", "SUM"),
    ("MMS_DAYS_STOCKED_OUT", "Days MMS stocked out", "MMS days out", "SUM"),
    ("IFA_STOCK_ON_HAND", "IFA tablets in stock at month end", "IFA SOH", "LAST"),
    ("IFA_STOCK_RECEIVED", "IFA tablets received", "IFA received", "SUM"),
    ("IFA_DAYS_STOCKED_OUT", "Days IFA stocked out", "IFA days out", "SUM"),
]


EXAMPLE_CONCEPTS = {
    "anc1": "ANC1", "anc4": "ANC4", "mms_clients": "MMS_CLIENTS", "ifa_clients": "IFA_CLIENTS",
    "mms_tablets_dispensed": "MMS_TABLETS_DISPENSED",
    "ifa_tablets_dispensed": "IFA_TABLETS_DISPENSED",
    "mms_stock_on_hand": "MMS_STOCK_ON_HAND", "ifa_stock_on_hand": "IFA_STOCK_ON_HAND",
    "mms_stock_received": "MMS_STOCK_RECEIVED", "ifa_stock_received": "IFA_STOCK_RECEIVED",
    "mms_days_stocked_out": "MMS_DAYS_STOCKED_OUT", "ifa_days_stocked_out": "IFA_DAYS_STOCKED_OUT",
}
"""The example country's concept mapping: concept -> its data element id (one instance of
mmsis.data.concepts; a real country maps its own DHIS2 UIDs)."""
REPORTING_DATA_SET = "MNH_MONTHLY"
REPORTING_DATA_SET_NAME = "MNH monthly"
"""The example's reporting data set (its DHIS2 metadata names it, as a country's does)."""


def example_concepts() -> ConceptMap:
    """The example country's mapping: its element ids, districts at level 3 and regions at 2
    (national 1, facilities 4), reports of the monthly MNH form."""
    return ConceptMap(elements=dict(EXAMPLE_CONCEPTS), district_level=3, region_level=2,
                      reporting_data_set=REPORTING_DATA_SET)


def periods(start: str, months: int) -> list[str]:
    """Consecutive DHIS2 monthly periods (YYYYMM) from ``start``."""
    year, month = int(start[:4]), int(start[4:])
    out = []
    for _ in range(months):
        out.append(f"{year}{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def data_elements_table() -> pd.DataFrame:
    """The data elements of the monthly MNH form."""
    df = pd.DataFrame(DATA_ELEMENTS, columns=["id", "name", "short_name", "aggregation_type"])
    df["value_type"] = "INTEGER_ZERO_OR_POSITIVE"
    df["domain_type"] = "AGGREGATE"
    return df[["id", "name", "short_name", "value_type", "aggregation_type", "domain_type"]]


def _stock_step(stock: np.ndarray, due: np.ndarray, demand: np.ndarray, amc: np.ndarray,
                active: np.ndarray, p: dict[str, Any], rng: np.random.Generator
                ) -> tuple[np.ndarray, ...]:
    """One month of a min/max inventory at every facility; returns the month's flows."""
    arrives = due * (rng.random(stock.size) >= p["delivery_failure_rate"])
    available = stock + arrives
    dispensed = np.minimum(demand, available)
    short = np.where(demand > 0, 1 - dispensed / np.maximum(demand, 1), 0.0)
    days_out = np.rint(30 * np.clip(short, 0, 1)).astype(np.int64)
    end = available - dispensed
    below = end < p["stock_min_months"] * amc
    next_due = np.where(active & below, np.rint(p["stock_max_months"] * amc - end), 0)
    next_due = np.maximum(next_due, 0).astype(np.int64)
    # a failed delivery is re-sent next month on top of the new order
    next_due = next_due + np.where(arrives == 0, due, 0) * active
    return arrives, dispensed, days_out, end, next_due


def build_routine(org_units: pd.DataFrame, rollout: pd.DataFrame, params: dict[str, Any],
                  rng: np.random.Generator) -> dict[str, Any]:
    """Monthly data values, report registrations and the planted outliers."""
    p = params["routine"]
    pers = periods(params["start_period"], params["months"])
    fac = org_units[org_units["level"] == 4].reset_index(drop=True)
    n_f = len(fac)
    district_of = fac["parent_id"].to_numpy()
    districts = np.unique(district_of)
    d_idx = np.searchsorted(districts, district_of)
    n_d = len(districts)

    start_of = rollout.set_index("district_id")["mms_start"]
    start_idx = np.array([pers.index(start_of[d]) for d in districts])

    anc1_cov = rng.uniform(p["anc1_coverage"][0], p["anc1_coverage"][1], size=n_d)
    anc4_share = rng.uniform(p["anc4_share"][0], p["anc4_share"][1], size=n_d)
    report_rate = rng.uniform(p["report_rate"][0], p["report_rate"][1], size=n_f)
    expected = fac["population"].to_numpy() * params["crude_birth_rate"] * \
        params["pregnancy_loss_adjustment"] / 12.0

    tpc = p["tablets_per_client"]
    mms_stock = np.zeros(n_f, dtype=np.int64)
    mms_due = np.zeros(n_f, dtype=np.int64)
    ifa_amc0 = expected * anc1_cov[d_idx] * p["ifa_share_before"] * tpc
    ifa_stock = np.rint(3 * ifa_amc0).astype(np.int64)
    ifa_due = np.zeros(n_f, dtype=np.int64)

    de_ids = [de[0] for de in DATA_ELEMENTS]
    de_index = {de: i for i, de in enumerate(de_ids)}
    frames: list[tuple[int, int, np.ndarray, np.ndarray]] = []
    reports = []
    for t, per in enumerate(pers):
        month = int(per[4:])
        post_d = t >= start_idx
        since_d = t - start_idx
        season = p["season_amplitude"] * np.cos(2 * np.pi * (month - p["season_peak_month"]) / 12)
        noise_d = rng.lognormal(-0.5 * p["overdispersion_cv"] ** 2, p["overdispersion_cv"], n_d)
        log_mu_d = (np.log(anc1_cov) + p["anc1_trend_per_year"] * t / 12 + season
                    + np.log(p["anc1_rr_mms"]) * post_d + np.log(noise_d))
        mu = expected * np.exp(log_mu_d[d_idx])
        anc1 = rng.poisson(mu)
        anc4 = rng.binomial(anc1, anc4_share[d_idx])

        ramp_d = np.where(post_d, 1 - np.exp(-p["mms_ramp_rate"] * (since_d + 1)), 0.0)
        mms_share = p["mms_target_share"] * ramp_d[d_idx]
        ifa_share = np.maximum(p["ifa_share_before"] * (1 - ramp_d[d_idx]), 0.02)
        post = post_d[d_idx]

        mms_demand_clients = rng.binomial(anc1, mms_share)
        ifa_demand_clients = rng.binomial(anc1, ifa_share)
        mms_demand = np.rint(mms_demand_clients * tpc * rng.lognormal(0, 0.1, n_f)).astype(
            np.int64)
        ifa_demand = np.rint(ifa_demand_clients * tpc * rng.lognormal(0, 0.1, n_f)).astype(
            np.int64)

        # MMS: the first delivery arrives in the start month, sized to the maximum stock
        mms_amc = expected * anc1_cov[d_idx] * p["mms_target_share"] * tpc * \
            np.maximum(ramp_d[d_idx], 0.5)
        first = post & (since_d[d_idx] == 0)
        mms_due = np.where(first, np.rint(p["stock_max_months"] * mms_amc), mms_due).astype(
            np.int64)
        m_recv, m_disp, m_out, mms_stock, mms_due = _stock_step(
            mms_stock, mms_due, mms_demand, mms_amc, post, p, rng)
        ifa_amc = expected * anc1_cov[d_idx] * ifa_share * tpc
        i_recv, i_disp, i_out, ifa_stock, ifa_due = _stock_step(
            ifa_stock, ifa_due, ifa_demand, ifa_amc, np.ones(n_f, bool), p, rng)

        mms_clients = np.where(mms_demand > 0, np.rint(
            mms_demand_clients * m_disp / np.maximum(mms_demand, 1)), 0).astype(np.int64)
        ifa_clients = np.where(ifa_demand > 0, np.rint(
            ifa_demand_clients * i_disp / np.maximum(ifa_demand, 1)), 0).astype(np.int64)

        received = rng.random(n_f) < report_rate
        on_time = received & (rng.random(n_f) < p["on_time_rate"])
        reports.append(pd.DataFrame({
            "dataSet": REPORTING_DATA_SET, "period": per, "orgUnit": fac["id"].to_numpy(),
            "expected": 1, "received": received.astype(int), "on_time": on_time.astype(int)}))

        values = {
            "ANC1": anc1, "ANC4": anc4, "IFA_CLIENTS": ifa_clients,
            "IFA_TABLETS_DISPENSED": i_disp, "IFA_STOCK_ON_HAND": ifa_stock,
            "IFA_STOCK_RECEIVED": i_recv, "IFA_DAYS_STOCKED_OUT": i_out,
            "MMS_CLIENTS": mms_clients, "MMS_TABLETS_DISPENSED": m_disp,
            "MMS_STOCK_ON_HAND": mms_stock, "MMS_STOCK_RECEIVED": m_recv,
            "MMS_DAYS_STOCKED_OUT": m_out,
        }
        for de, arr in values.items():
            keep = received & (post if de.startswith("MMS") else True)
            frames.append((de_index[de], t, np.flatnonzero(keep),
                           np.asarray(arr)[keep].astype(np.int64)))

    dv = pd.DataFrame({
        "dataElement": np.array(de_ids, dtype=object)[
            np.concatenate([np.full(f[2].size, f[0]) for f in frames])],
        "period": np.array(pers, dtype=object)[
            np.concatenate([np.full(f[2].size, f[1]) for f in frames])],
        "orgUnit": fac["id"].to_numpy(dtype=object)[np.concatenate([f[2] for f in frames])],
        "value": np.concatenate([f[3] for f in frames]),
    })
    outliers = _plant_outliers(dv, p["n_outliers"], rng)
    dv["value"] = dv["value"].astype(str)
    dv["categoryOptionCombo"] = DEFAULT_COC
    dv["attributeOptionCombo"] = DEFAULT_COC
    dv = dv.assign(_o=dv["dataElement"].map(de_index)).sort_values(
        ["period", "orgUnit", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    dv = dv[["dataElement", "period", "orgUnit", "categoryOptionCombo",
             "attributeOptionCombo", "value"]]
    rep = pd.concat(reports, ignore_index=True)
    truth = {
        "anc1_rr_mms": p["anc1_rr_mms"],
        "anc1_trend_per_year": p["anc1_trend_per_year"],
        "season_amplitude": p["season_amplitude"],
        "season_peak_month": p["season_peak_month"],
        "mms_target_share": p["mms_target_share"],
        "mms_ramp_rate": p["mms_ramp_rate"],
        "district_anc1_coverage": dict(zip(districts.tolist(), anc1_cov.round(6).tolist(),
                                           strict=True)),
        "outliers": outliers,
    }
    return {"data_values": dv, "reports": rep, "truth": truth}


def _plant_outliers(dv: pd.DataFrame, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Multiply a few ANC and dispensing values by ten, as a data-entry slip would."""
    candidates = dv.index[dv["dataElement"].isin(["ANC1", "ANC4", "MMS_TABLETS_DISPENSED"])
                          & (dv["value"] > 20)]
    chosen = rng.choice(candidates.to_numpy(), size=n, replace=False)
    planted = []
    for i in sorted(chosen.tolist()):
        original = int(dv.at[i, "value"])
        dv.at[i, "value"] = original * 10
        planted.append({"dataElement": dv.at[i, "dataElement"], "period": dv.at[i, "period"],
                        "orgUnit": dv.at[i, "orgUnit"], "original": original,
                        "value": original * 10})
    return planted
