"""Demographic method: monthly pregnancies covered and tablets needed for MMS and IFA by unit.

Expected pregnancies per year come from the scenario (given, or population x crude birth rate x
pregnancy-loss adjustment), grow by ``annual_growth``, and reach ANC at ``anc1_coverage``. In a
switched unit a share of ANC clients (the uptake ramp) receives MMS instead of IFA. Each
client's tablets (tablets per pregnancy x dispensed share x (1 + wastage): programmes dispense
the regimen whatever is then taken, so adherence does not enter) are dispensed evenly over
the product's dispensing months, so women enrolled before a switch finish their IFA course.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmsis.forecast.scenario import Scenario, month_index, month_label


@dataclass(frozen=True)
class Need:
    """Arrays of shape (units, months) over the horizon, plus labels."""

    units: list[str]
    months: list[str]
    pregnancies: np.ndarray  # expected pregnancies in the month
    enrolled: np.ndarray  # ANC1 clients (pregnancies reaching ANC) in the month
    mms_share: np.ndarray
    mms_enrolled: np.ndarray  # pregnancies covered by MMS (new clients in the month)
    ifa_enrolled: np.ndarray
    mms_tablets: np.ndarray
    ifa_tablets: np.ndarray
    mms_pack_size: int

    def table(self) -> pd.DataFrame:
        """Tidy unit x month table of the demographic need."""
        u, m = len(self.units), len(self.months)
        return pd.DataFrame(
            {
                "month": np.tile(self.months, u),
                "district": np.repeat(self.units, m),
                "pregnancies": self.pregnancies.ravel(),
                "anc1_clients": self.enrolled.ravel(),
                "mms_share": self.mms_share.ravel(),
                "pregnancies_covered": self.mms_enrolled.ravel(),
                "ifa_pregnancies": self.ifa_enrolled.ravel(),
                "mms_tablets_needed": self.mms_tablets.ravel(),
                "mms_packs_needed": self.mms_tablets.ravel() / self.mms_pack_size,
                "ifa_tablets_needed": self.ifa_tablets.ravel(),
            }
        )


def annual_pregnancies(sc: Scenario) -> pd.Series:
    """Expected pregnancies per year by unit at the scenario start."""
    d = sc.district_table().set_index("id")
    if sc.pregnancies.method == "given":
        return d["pregnancies"].astype(float)
    cbr = float(sc.pregnancies.crude_birth_rate or 0.0)
    return d["population"].astype(float) * cbr * sc.pregnancies.pregnancy_loss_adjustment


def switch_months(sc: Scenario) -> dict[str, tuple[int, int, float]]:
    """For each switching unit: (month index of switch, ramp months, plateau uptake)."""
    d = sc.district_table()
    ids = [str(i) for i in d["id"]]
    known = set(ids)
    names = {str(n): str(i) for i, n in zip(ids, d["name"], strict=True) if n}
    out: dict[str, tuple[int, int, float]] = {}
    r = sc.rollout
    if r.start is not None:
        for uid in ids:
            out[uid] = (month_index(r.start), r.ramp_months, r.uptake)
    for e in r.districts:
        uid = e.district if e.district in known else names[e.district]
        out[uid] = (month_index(e.start), e.ramp_months or r.ramp_months,
                    r.uptake if e.uptake is None else e.uptake)
    return out


def _dispense_months(tablets: int, pack: int, given: int | None) -> int:
    return given if given is not None else max(1, math.ceil(tablets / pack))


def demographic_need(sc: Scenario) -> Need:
    """Monthly MMS and IFA need by unit over the horizon (demographic method)."""
    d = sc.district_table()
    units = [str(u) for u in d["id"]]
    annual = annual_pregnancies(sc).reindex(units).to_numpy(float)
    cov = d["anc1_coverage"].fillna(sc.anc1_coverage).to_numpy(float) if (
        "anc1_coverage" in d) else np.full(len(units), sc.anc1_coverage)
    dm_mms = _dispense_months(sc.regimen.tablets_per_pregnancy, sc.mms.pack_size,
                              sc.mms.dispensing_months)
    dm_ifa = _dispense_months(sc.regimen.tablets_per_pregnancy, sc.ifa.pack_size,
                              sc.ifa.dispensing_months)
    back = max(dm_mms, dm_ifa) - 1
    t_all = np.arange(-back, sc.horizon_months)  # months relative to start, with history
    growth = (1 + sc.pregnancies.annual_growth) ** (np.maximum(t_all, 0) / 12.0)
    preg = annual[:, None] / 12.0 * growth[None, :]
    enrolled = preg * cov[:, None]
    share = np.zeros_like(enrolled)
    start = sc.start_index
    switches = switch_months(sc)
    for i, uid in enumerate(units):
        sw = switches.get(uid)
        if sw is None:
            continue
        m0, ramp, uptake = sw
        k = (start + t_all) - m0
        share[i] = np.where(k >= 0, uptake * np.minimum(1.0, (k + 1) / ramp), 0.0)
    mms_en = enrolled * share
    ifa_en = enrolled * (1 - share)
    per_client = (sc.regimen.tablets_per_pregnancy * sc.regimen.dispensed_share
                  * (1 + sc.regimen.wastage))

    def dispense(en: np.ndarray, months: int) -> np.ndarray:
        out = np.zeros_like(en)
        for j in range(months):
            out[:, j:] += en[:, : en.shape[1] - j] * (per_client / months)
        return out[:, back:]

    h = slice(back, None)
    return Need(
        units=units,
        months=[month_label(start + t) for t in range(sc.horizon_months)],
        pregnancies=preg[:, h],
        enrolled=enrolled[:, h],
        mms_share=share[:, h],
        mms_enrolled=mms_en[:, h],
        ifa_enrolled=ifa_en[:, h],
        mms_tablets=dispense(mms_en, dm_mms),
        ifa_tablets=dispense(ifa_en, dm_ifa),
        mms_pack_size=sc.mms.pack_size,
    )
