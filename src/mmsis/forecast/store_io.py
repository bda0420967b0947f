"""Read the geography and the routine consumption history from the mmsis data store (DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.errors import InputError
from mmsis.forecast.consumption import history_from_data_values

_ELEMENTS = ["MMS_TABLETS_DISPENSED", "IFA_TABLETS_DISPENSED", "MMS_STOCK_ON_HAND",
             "IFA_STOCK_ON_HAND", "MMS_DAYS_STOCKED_OUT", "IFA_DAYS_STOCKED_OUT"]


def _open(path: str | Path, field: str):  # type: ignore[no-untyped-def]
    from mmsis.data.store import Store

    if not Path(path).exists():
        raise InputError("store not found", file=str(path), field=field)
    return Store(path, read_only=True)


def districts_from_store(path: str | Path, level: int = 3) -> pd.DataFrame:
    """Org units of a level (districts) with their population, as a scenario district table."""
    with _open(path, "geography.store") as store:
        ou = store.org_units()
    d = ou[ou["level"] == level]
    if d.empty:
        raise InputError(f"the store has no org units at level {level}", file=str(path),
                         field="geography.store_level")
    out = d[["id", "name", "population"]].copy()
    out["population"] = out["population"].astype(float)
    return out.sort_values("id").reset_index(drop=True)


def history_from_store(path: str | Path) -> pd.DataFrame:
    """District x month dispensing and stock history from the store's data values."""
    with _open(path, "consumption.store") as store:
        ou = store.org_units()
        dv = store.data_values(_ELEMENTS)
    dv = dv.rename(columns={"data_element": "dataElement", "org_unit": "orgUnit"})
    if dv.empty:
        raise InputError("the store holds no tablets-dispensed data values", file=str(path),
                         field="consumption.store")
    return history_from_data_values(dv[["dataElement", "period", "orgUnit", "value"]], ou)
