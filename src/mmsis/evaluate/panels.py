"""District-month panels from DHIS2-shaped routine data (facility values summed to districts).

Used to run ITS per district and DiD over districts on the example country or on a real export
with the same shapes: `data_values` (dataElement, period, orgUnit, value), `reports`
(period, orgUnit, expected, received), `org_units` (id, level, parent_id, population) and a
roll-out table (district_id, mms_start, pilot).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mmsis.errors import InputError


def district_month_panel(
    data_values: pd.DataFrame,
    reports: pd.DataFrame,
    org_units: pd.DataFrame,
    rollout: pd.DataFrame,
    element: str = "ANC1",
    crude_birth_rate: float | None = None,
    pregnancy_loss_adjustment: float = 1.0,
) -> pd.DataFrame:
    """One row per district and month: summed facility values, reporting completeness, roll-out.

    `completeness` is DHIS2's reporting rate (facility reports received / expected);
    `population_completeness` weights facilities by catchment population, the better offset
    when facilities differ in size. `expected_pregnancies` (monthly) is given when the crude
    birth rate is. `mms` is 1 from the district's `mms_start` period on.
    """
    need = {"dataElement", "period", "orgUnit", "value"}
    if missing := need - set(data_values.columns):
        raise InputError(f"data values lack columns {sorted(missing)}", field="data_values")
    if element not in set(data_values["dataElement"]):
        raise InputError(f"data element {element!r} not in the data values", field="element")
    fac = org_units[org_units["level"] == org_units["level"].max()][
        ["id", "parent_id", "population"]
    ]
    fac = fac.rename(columns={"id": "orgUnit", "parent_id": "district_id", "population": "fac_pop"})
    dv = data_values[data_values["dataElement"] == element].merge(fac, on="orgUnit")
    dv["value"] = pd.to_numeric(dv["value"], errors="coerce")
    values = dv.groupby(["district_id", "period"], as_index=False)["value"].sum()
    rep = reports.merge(fac, on="orgUnit")
    rep["pop_expected"] = rep["expected"] * rep["fac_pop"]
    rep["pop_received"] = rep["received"] * rep["fac_pop"]
    comp = rep.groupby(["district_id", "period"], as_index=False).agg(
        facilities_expected=("expected", "sum"),
        facilities_reporting=("received", "sum"),
        pop_expected=("pop_expected", "sum"),
        pop_received=("pop_received", "sum"),
    )
    panel = comp.merge(values, on=["district_id", "period"], how="left")
    panel["value"] = panel["value"].fillna(0.0).where(panel["facilities_reporting"] > 0)
    panel["completeness"] = panel["facilities_reporting"] / panel["facilities_expected"]
    panel["population_completeness"] = panel["pop_received"] / panel["pop_expected"]
    dist = org_units.set_index("id")
    panel["district_name"] = panel["district_id"].map(dist["name"])
    panel["population"] = panel["district_id"].map(dist["population"]).astype(float)
    if crude_birth_rate is not None:
        panel["expected_pregnancies"] = (
            panel["population"] * crude_birth_rate * pregnancy_loss_adjustment / 12.0
        )
    ro = rollout.set_index("district_id")
    panel["period"] = panel["period"].astype(int)
    panel["mms_start"] = panel["district_id"].map(ro["mms_start"]).astype(float)
    panel["pilot"] = panel["district_id"].map(ro["pilot"]).fillna(False).astype(bool)
    panel["mms"] = (panel["period"] >= panel["mms_start"]).astype(int)
    panel["month"] = panel["period"] % 100
    months = (panel["period"] // 100) * 12 + panel["month"]
    panel["t"] = (months - months.min()).astype(int)
    cols = [
        "district_id",
        "district_name",
        "period",
        "t",
        "month",
        "value",
        "facilities_expected",
        "facilities_reporting",
        "completeness",
        "population_completeness",
        "population",
    ]
    cols += ["expected_pregnancies"] if crude_birth_rate is not None else []
    cols += ["mms_start", "pilot", "mms"]
    return panel[cols].sort_values(["district_id", "period"]).reset_index(drop=True)


def country_panel(country: Any, element: str = "ANC1") -> pd.DataFrame:
    """The example country's district-month panel for one data element."""
    return district_month_panel(
        country.data_values,
        country.reports,
        country.org_units,
        country.rollout,
        element,
        crude_birth_rate=float(country.country["crude_birth_rate"]),
        pregnancy_loss_adjustment=float(country.country["pregnancy_loss_adjustment"]),
    )


def aggregate_districts(panel: pd.DataFrame, districts: list[str]) -> pd.DataFrame:
    """Sum a set of districts that share a start month into one series (for a pooled ITS)."""
    sub = panel[panel["district_id"].isin(districts)].copy()
    if sub["mms_start"].nunique() != 1:
        raise InputError("the districts do not share one MMS start month", field="districts")
    sub["pop_received"] = sub["population_completeness"] * sub["population"]
    agg = sub.groupby(["period", "t", "month", "mms"], as_index=False).agg(
        value=("value", "sum"),
        population=("population", "sum"),
        pop_received=("pop_received", "sum"),
        **(
            {"expected_pregnancies": ("expected_pregnancies", "sum")}
            if "expected_pregnancies" in sub
            else {}
        ),
    )
    agg["population_completeness"] = agg["pop_received"] / agg["population"]
    return agg.drop(columns="pop_received").assign(
        value=lambda d: d["value"].where(d["population_completeness"] > 0, np.nan)
    )
