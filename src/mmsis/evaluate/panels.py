"""District-month panels from DHIS2-shaped routine data (values rolled up to districts).

Used to run ITS per district and DiD over districts on the example country or a real country:
from a programme store (`store_panel`) or from DHIS2-shaped tables (`district_month_panel`:
`data_values` (dataElement, period, orgUnit, value), `reports` (dataSet, period, orgUnit,
expected, received), `org_units` (id, parent_id or path, population)) and a roll-out table
(district_id, mms_start, pilot). Every sum over org units is the one roll-up of
mmsis.measure.routine.series over the org-unit paths (any depth); the district is the level
the country's concept mapping names (mmsis.data.concepts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mmsis.data import queries
from mmsis.data.store import Store
from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.programme import CountryProgramme


def district_month_panel(
    data_values: pd.DataFrame,
    reports: pd.DataFrame,
    org_units: pd.DataFrame,
    rollout: pd.DataFrame,
    element: str,
    crude_birth_rate: float | None = None,
    pregnancy_loss_adjustment: float = 1.0,
    *,
    level: int | None = None,
) -> pd.DataFrame:
    """`store_panel` of DHIS2-shaped tables (loaded into a throwaway store first)."""
    from mmsis.data.frames import store_from_frames

    need = {"dataElement", "period", "orgUnit", "value"}
    if missing := need - set(data_values.columns):
        raise InputError(f"data values lack columns {sorted(missing)}", field="data_values")
    if element not in set(data_values["dataElement"].astype(str)):
        raise InputError(f"data element {element!r} not in the data values", field="element")
    store = store_from_frames(org_units, data_values[data_values["dataElement"] == element],
                              reports, file="panel tables")
    try:
        return store_panel(store, element, rollout, level=level,
                           crude_birth_rate=crude_birth_rate,
                           pregnancy_loss_adjustment=pregnancy_loss_adjustment)
    finally:
        store.close()


def store_panel(
    store: Store,
    element: str,
    rollout: pd.DataFrame,
    *,
    level: int | None = None,
    crude_birth_rate: float | None = None,
    pregnancy_loss_adjustment: float = 1.0,
) -> pd.DataFrame:
    """One row per district and month: the element rolled up to the district (its aggregation
    type, all combos), reporting completeness and the roll-out.

    `completeness` is DHIS2's reporting rate (reports received / expected, of the mapping's
    reporting data set); `population_completeness` weights reporting units by catchment
    population, the better offset when facilities differ in size. `expected_pregnancies`
    (monthly) is given when the crude birth rate is. `mms` is 1 from the district's
    `mms_start` period on. ``level`` defaults to the mapping's district level.
    """
    from mmsis.measure.routine.series import level_series, report_totals

    mapping = store.concepts()
    level = int(level) if level is not None else mapping.require_district_level()
    series = level_series(store, [element], level)
    if series.empty:
        raise InputError(f"data element {element!r} has no monthly values", field="element")
    values = series.rename(columns={"org_unit": "district_id"})[["district_id", "period",
                                                                   "value"]]
    comp = report_totals(store, level, mapping.reporting_data_set).rename(columns={
        "org_unit": "district_id", "expected": "facilities_expected",
        "received": "facilities_reporting"}).drop(columns="on_time")
    for col in ("facilities_expected", "facilities_reporting"):
        comp[col] = comp[col].astype("int64")
    panel = comp.merge(values, on=["district_id", "period"], how="left")
    panel["value"] = panel["value"].fillna(0.0).where(panel["facilities_reporting"] > 0)
    panel["completeness"] = panel["facilities_reporting"] / panel["facilities_expected"]
    panel["population_completeness"] = panel["pop_received"] / panel["pop_expected"]
    dist = queries.units_at_level(store, level).set_index("id")
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


def country_panel(country: CountryProgramme, element: str | None = None, *,
                  concept: str = "anc1") -> pd.DataFrame:
    """A programme's (e.g. the example country's) district-month panel of a data element
    (default: the one its mapping gives the concept, ANC1 visits)."""
    from mmsis.data.store import load_example

    if country.rollout is None:
        raise InputError(country.missing_reason("rollout"), field="rollout")
    store = Store(":memory:")
    try:
        load_example(store, country)
        return store_panel(
            store,
            element or store.concepts().require(concept),
            country.rollout,
            crude_birth_rate=float(country.country["crude_birth_rate"]),
            pregnancy_loss_adjustment=float(country.country["pregnancy_loss_adjustment"]),
        )
    finally:
        store.close()


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
