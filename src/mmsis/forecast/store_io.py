"""Read the geography and the routine consumption history from the mmsis data store (DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.errors import InputError
from mmsis.forecast.consumption import history_from_routine


def _open(path: str | Path, field: str):  # type: ignore[no-untyped-def]
    from mmsis.data.store import Store

    if not Path(path).exists():
        raise InputError("store not found", file=str(path), field=field)
    return Store(path, read_only=True)


def districts_from_store(path: str | Path, level: int | None = None) -> pd.DataFrame:
    """Org units of a level (default: the store's district level, from its concept mapping)
    with their population, as a scenario district table."""
    with _open(path, "geography.store") as store:
        ou = store.org_units()
        if level is None:
            level = store.concepts().require_district_level()
    d = ou[ou["level"] == level]
    if d.empty:
        raise InputError(f"the store has no org units at level {level}", file=str(path),
                         field="geography.store_level")
    out = d[["id", "name", "population"]].copy()
    out["population"] = out["population"].astype(float)
    return out.sort_values("id").reset_index(drop=True)


def history_from_store(path: str | Path) -> pd.DataFrame:
    """District x month dispensing and stock history from the store's data values (the
    elements its concept mapping names, rolled up to its district level)."""
    with _open(path, "consumption.store") as store:
        history = history_from_routine(store)
    if history.empty or "mms_tablets_dispensed" not in history:
        raise InputError("the store holds no tablets-dispensed data values (or no data "
                         "element is mapped to mms_tablets_dispensed)", file=str(path),
                         field="consumption.store")
    return history
