"""The interrupted time series of a routine series: one specification for every view.

The Evaluation page and its API (`mmsis.web`), `mmsis evaluate routine-its --store` and the
report (the first district to start MMS, from its start month) all fit `fit_routine_its` on
the month's value over an org unit's subtree, rolled up by `mmsis.measure.routine` (every
combo, the element's aggregation type): the same panel, the same start, the same model.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.store import Store
    from mmsis.evaluate.controlled_its import ControlledITSResult
    from mmsis.evaluate.its import ITSResult

ITS_FAMILIES = ("poisson", "quasipoisson", "negbin", "gaussian")
DEFAULT_FAMILY = "quasipoisson"
"""Counts with overdispersion (status: convention, Bernal et al. 2017 Int J Epidemiol
46(1):348-355 recommend allowing for it)."""
HARMONICS = 1
"""One annual sine/cosine pair for the months' seasonality (as the evaluation demo)."""
MIN_MONTHS = 3
"""Months needed on each side of the start."""
_PERIOD = re.compile(r"^\d{4}(0[1-9]|1[0-2])$")


def subtree_months(store: Store, data_element: str, org_unit: str | None) -> pd.DataFrame:
    """Each month's value (period, value) of one data element over the subtree of `org_unit`
    (default: the hierarchy's root), by `mmsis.measure.routine` (the one roll-up)."""
    from mmsis.measure.routine.series import monthly_series
    from mmsis.measure.routine.totals import subtree_series

    fast = subtree_series(store, [data_element], org_unit) if org_unit else None
    frame = fast if fast is not None else monthly_series(store, [data_element], org_unit)
    return frame[["period", "value"]].astype({"period": str, "value": float})


def fit_routine_its(series: pd.DataFrame, start: str, family: str = DEFAULT_FAMILY,
                    control: pd.DataFrame | None = None,
                    what: str = "the series") -> ITSResult | ControlledITSResult:
    """Segmented regression of a monthly series (period, value) around `start` (YYYYMM):
    mmsis.evaluate.fit_its, or fit_controlled_its against a `control` series of the same
    months; family `DEFAULT_FAMILY` and `HARMONICS` seasonal pair unless told."""
    from mmsis.evaluate import fit_controlled_its, fit_its

    if not _PERIOD.match(start or ""):
        raise InputError(f"'{start}' is not a month YYYYMM", field="start")
    if family not in ITS_FAMILIES:
        raise InputError(f"family must be one of {', '.join(ITS_FAMILIES)}", field="family")
    if series.empty:
        raise InputError(f"no values of {what} here", field="data_element")
    frame = series[["period", "value"]].copy()
    frame["period"] = frame["period"].astype(str)
    frame["post"] = (frame["period"] >= start).astype(int)
    if control is not None:
        if control.empty:
            raise InputError(f"no values of {what} in the control", field="control")
        other = control[["period", "value"]].copy()
        other["period"] = other["period"].astype(str)
        other["post"] = (other["period"] >= start).astype(int)
        common = set(frame["period"]) & set(other["period"])
        frame = pd.concat([frame.assign(treated=1), other.assign(treated=0)], ignore_index=True)
        frame = frame[frame["period"].isin(common)]
    treated = frame[frame["treated"] == 1] if control is not None else frame
    if treated["post"].sum() < MIN_MONTHS or (1 - treated["post"]).sum() < MIN_MONTHS:
        raise InputError(f"need at least {MIN_MONTHS} months before and {MIN_MONTHS} after "
                         "the start" + (" in both series" if control is not None else ""),
                         field="start")
    frame = frame.sort_values([*(["treated"] if control is not None else []), "period"])
    if control is not None:
        return fit_controlled_its(frame.reset_index(drop=True), "value", "period", "treated",
                                  "post", family=family,  # type: ignore[arg-type]
                                  harmonics=HARMONICS)
    return fit_its(frame.reset_index(drop=True), "value", "period", "post",
                   family=family, harmonics=HARMONICS)  # type: ignore[arg-type]


def store_its(store: Store, data_element: str, start: str, org_unit: str | None = None,
              family: str = DEFAULT_FAMILY, control: str | None = None
              ) -> ITSResult | ControlledITSResult:
    """The ITS of a data element over an org unit's subtree in a programme store, around
    `start`; with `control` (another org unit), the controlled ITS."""
    if control and control == org_unit:
        raise InputError("the control must be another org unit than the one evaluated",
                         field="control")
    series = subtree_months(store, data_element, org_unit)
    other = subtree_months(store, data_element, control) if control else None
    return fit_routine_its(series, start, family, other, what=f"'{data_element}'")


def level_change(result: Any) -> dict[str, Any]:
    """The level change every view shows: a rate ratio (log links; a difference for the
    Gaussian family) with its 95% CI and p."""
    lc = result.level_change
    ratio = "rr" in lc
    return {"measure": "rate ratio" if ratio else "difference",
            "estimate": float(lc["rr"] if ratio else lc["estimate"]),
            "ci_low": float(lc["ci_low"]), "ci_high": float(lc["ci_high"]), "p": float(lc["p"])}
