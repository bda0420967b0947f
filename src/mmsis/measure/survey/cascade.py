"""The MMS coverage cascade and adherence, design-based, from a profile-recoded survey."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mmsis.data.survey.recode import RecodedSurvey
from mmsis.errors import InputError
from mmsis.measure.survey.design import Design, _columns
from mmsis.measure.survey.estimators import proportion, ratio
from mmsis.measure.survey.results import AdherenceTable, CascadeTable

_PREV = "_previous_step"


def design_of(rec: RecodedSurvey) -> Design:
    """The survey design described by the recoded survey's profile."""
    return Design(rec.data, **rec.design_kwargs)


def cascade(
    rec: RecodedSurvey,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    design: Design | None = None,
) -> CascadeTable:
    """Each cascade step as % of all women and as % of women at the previous step (with CIs).

    Rows: by-columns, ``step, label, of`` ("all women" or "previous step: <id>"), then the
    estimate columns. Conditional shares are domain estimates among women at the previous step.
    """
    if not rec.steps:
        raise InputError(f"profile '{rec.profile.name}' defines no cascade", field="cascade")
    d = design or design_of(rec)
    by_cols = _columns(by)
    frames = []
    previous: str | None = None
    for step in rec.profile.cascade:
        res = proportion(d, step.id, by=by_cols or None, level=level, deff="wr")
        res.insert(len(by_cols), "step", step.id)
        res.insert(len(by_cols) + 1, "label", step.label)
        res.insert(len(by_cols) + 2, "of", "all women")
        frames.append(res)
        parent = step.after or previous
        if parent is not None:
            rec.data[_PREV] = np.where(rec.data[parent] == 1, 1.0, np.nan)
            try:
                cond = proportion(d, step.id, by=[*by_cols, _PREV], level=level, deff="wr")
            finally:
                del rec.data[_PREV]
            cond = cond.drop(columns=_PREV)
            cond.insert(len(by_cols), "step", step.id)
            cond.insert(len(by_cols) + 1, "label", step.label)
            cond.insert(len(by_cols) + 2, "of", f"previous step: {parent}")
            frames.append(cond)
        previous = step.id
    return CascadeTable(pd.concat(frames, ignore_index=True))


def adherence(
    rec: RecodedSurvey,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    design: Design | None = None,
) -> AdherenceTable:
    """Tablets consumed / expected (ratio of totals) and the share of women at or above the
    adherence threshold, among women at the profile's ``among`` step."""
    spec = rec.profile.adherence
    if spec is None:
        raise InputError(f"profile '{rec.profile.name}' defines no adherence", field="adherence")
    d = design or design_of(rec)
    data = rec.data
    among = (
        data[spec.among].to_numpy(dtype=np.float64) == 1
        if spec.among
        else np.ones(len(data), dtype=bool)
    )
    in_period = data["in_period"].to_numpy(dtype=bool)
    if spec.consumed not in data.columns:
        raise InputError(f"adherence needs the variable '{spec.consumed}'", field="adherence")
    consumed = data[spec.consumed].to_numpy(dtype=np.float64)
    if isinstance(spec.expected, str):
        if spec.expected not in data.columns:
            raise InputError(f"adherence needs the variable '{spec.expected}'", field="adherence")
        expected = data[spec.expected].to_numpy(dtype=np.float64)
    else:
        expected = np.full(len(data), float(spec.expected))
    keep = among & in_period & (expected > 0)
    data["_consumed"] = np.where(keep, consumed, np.nan)
    data["_expected"] = np.where(keep, expected, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.minimum(consumed / expected, np.inf) >= spec.threshold
    ok = keep & ~np.isnan(consumed)
    data["_adherent"] = np.where(ok, share.astype(np.float64), np.nan)
    try:
        r = ratio(d, "_consumed", "_expected", by=by, level=level, deff="wr")
        s = proportion(d, "_adherent", by=by, level=level, deff="wr")
    finally:
        for col in ("_consumed", "_expected", "_adherent"):
            del data[col]
    n_by = len(_columns(by))
    r.insert(n_by, "measure", "consumed / expected (ratio of totals)")
    s.insert(n_by, "measure", f"share with consumed / expected >= {spec.threshold:g}")
    return AdherenceTable(pd.concat([r, s], ignore_index=True))
