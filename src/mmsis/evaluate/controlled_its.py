"""Controlled interrupted time series: a treated series against a control series.

Model (Lopez Bernal, Cummins & Gasparrini 2018, "The use of controls in interrupted time series
studies of public health interventions", Int J Epidemiol 47:2082-93), on the stacked series:

    g(E[y_gt]) = b0 + b1 t + b2 D_t [+ b3 (t - o) D_t]                        (both series)
                 + b4 G + b5 G t + b6 G D_t [+ b7 G (t - o) D_t]              (treated only)
                 + seasonality + log(offset_gt)

with G = 1 for the treated series and D_t the post-intervention indicator in calendar time
(the same months for both). b2/b3 are changes the control shows too (a common shock: a stock
rupture, a new ANC register, COVID); b6/b7 are the treated series' changes *beyond* them, the
effect of the intervention. A plain ITS of the treated series would attribute b2 to MMS.
The slope origin o is t0 - 1 (``last-pre``, default) or t0 (``first-post``), as in plain ITS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmsis.errors import InputError
from mmsis.evaluate._base import (
    model_scores_and_bread,
    newey_west_cov,
)
from mmsis.evaluate._input import binary_column, require_columns
from mmsis.evaluate.its import (
    Family,
    SegmentedEffects,
    SlopeOrigin,
    _check_design,
    _standardise,
    check_fit_options,
    fit_family,
    time_since_interruption,
    with_seasonality,
)
from mmsis.results import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass
class ControlledITSResult(SegmentedEffects):
    """A fitted controlled ITS: effects relative to the control, and the common changes."""

    family: str
    n: int
    n_pre: int
    n_post: int
    summary: pd.DataFrame
    series: pd.DataFrame
    dispersion: float
    se_type: str
    slope_change_fitted: bool
    slope_origin: str = "last-pre"
    warnings: list[str] = field(default_factory=list)
    method: str = "controlled interrupted time series (segmented regression, treated vs control)"

    @property
    def common_level_change(self) -> dict[str, Any]:
        """The level change both series show (what a plain ITS would wrongly credit)."""
        return self._effect_dict("post")

    def to_dict(self) -> dict[str, Any]:
        """Key results as plain values for JSON output."""
        return {
            "method": self.method,
            "family": self.family,
            "n": self.n,
            "n_pre": self.n_pre,
            "n_post": self.n_post,
            "level_change": self.level_change,
            "slope_change": self.slope_change,
            "common_level_change": self.common_level_change,
            "slope_origin": self.slope_origin,
            "dispersion": self.dispersion,
            "se_type": self.se_type,
            "summary": self.summary,
            "warnings": self.warnings,
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """Both series with their fits; the treated counterfactual (control's changes only)."""
        s = self.series
        ax = new_axes(ax)
        for g, colour, name in ((0, "0.45", "control"), (1, "C0", "treated")):
            part = s[s["treated"] == g]
            ax.scatter(part["time"], part["observed"], s=10, color=colour, alpha=0.7)
            ax.plot(part["time"], part["fitted"], color=colour, label=f"{name} (fitted)")
        post = s[(s["treated"] == 1) & (s["intervention"] == 1)]
        ax.plot(post["time"], post["counterfactual"], "--", color="C3", label="counterfactual")
        ax.fill_between(post["time"], post["cf_low"], post["cf_high"], color="C3", alpha=0.2)
        ax.axvline(post["time"].min() - 0.5, color="0.5", lw=0.8)
        lc = self.level_change
        label = (
            f"RR vs control {lc['rr']:.3f} ({lc['ci_low']:.3f}-{lc['ci_high']:.3f})"
            if self.log_link
            else f"difference vs control {lc['estimate']:.3g} "
            f"({lc['ci_low']:.3g} to {lc['ci_high']:.3g})"
        )
        ax.set_title(f"Controlled ITS ({self.family}): {label}", fontsize=10)
        ax.set_xlabel("time")
        ax.set_ylabel("count" if self.log_link else "outcome")
        ax.legend(fontsize=8)
        return ax


def _stack(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    group: str,
    intervention: str,
    offset: str | None,
    season: str | None,
    file: str | None,
) -> pd.DataFrame:
    """Both series standardised (t, y, d, off, season, g), checked to share their time points
    and their post-intervention months."""
    require_columns(data, [group], file)
    g = binary_column(data, group, file)
    parts = []
    for value in (0, 1):
        mask = (g == value).to_numpy()
        rows = data[mask]
        if rows.empty:
            which = "control (0)" if value == 0 else "treated (1)"
            raise InputError(f"no rows of the {which} series", file=file, column=group)
        try:
            part = _standardise(rows, outcome, time, intervention, offset, season, None, file)
        except InputError as exc:  # rows counted within one series: name the file's row
            if exc.row is not None:
                exc = InputError(exc.message, file=exc.file, column=exc.column, field=exc.field,
                                 row=int(np.flatnonzero(mask)[exc.row - 1]) + 1)
            raise exc from None
        part["g"] = value
        parts.append(part)
    control, treated = parts
    ct, tt = set(control["t"]), set(treated["t"])
    if ct != tt:
        odd = sorted(ct ^ tt)[:5]
        raise InputError(
            f"the treated and control series must cover the same time points; "
            f"{len(ct ^ tt)} differ (first: {odd})",
            file=file,
            column=time,
        )
    both = control.merge(treated, on="t", suffixes=("_c", "_t"))
    differ = both["d_c"] != both["d_t"]
    if differ.any():
        t_bad = both.loc[differ, "t"].iloc[0]
        raise InputError(
            f"the intervention column must mark the same post-intervention time points in both "
            f"series (calendar time); they differ at time {t_bad:g}",
            file=file,
            column=intervention,
        )
    return pd.concat([control, treated], ignore_index=True)


def fit_controlled_its(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    group: str,
    intervention: str,
    *,
    offset: str | None = None,
    family: Family = "poisson",
    slope_change: bool = False,
    harmonics: int = 0,
    season: str | None = None,
    period: float = 12,
    month_indicators: bool = False,
    newey_west: int | None = None,
    slope_origin: SlopeOrigin = "last-pre",
    file: str | None = None,
) -> ControlledITSResult:
    """Fit a controlled ITS on two stacked series (``group`` 1 = treated, 0 = control).

    ``intervention`` is 0 before and 1 from the intervention on, in calendar time, on the rows
    of both series. ``offset`` is on the natural scale (logged for count families; for the
    Gaussian family the outcome is modelled as outcome / offset). Seasonality (harmonics or
    month indicators) is shared by the two series. ``newey_west`` gives panel HAC standard
    errors (Newey-West within each series, summed) with that many lags. ``slope_origin``
    codes time since the interruption as 1 (``last-pre``) or 0 (``first-post``) at the first
    post point.
    """

    check_fit_options(family, newey_west, slope_origin)
    frame = _stack(data, outcome, time, group, intervention, offset, season, file)
    missing = frame["y"].isna()
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} missing outcome values; a controlled ITS needs both series "
            "complete (impute or aggregate first)",
            file=file,
            column=outcome,
        )
    if (harmonics or month_indicators) and "season" not in frame:
        frame["season"] = frame["t"] % period
    _check_design(frame[frame["g"] == 1].reset_index(drop=True), intervention, slope_change, file)
    if family != "gaussian" and (frame["y"] < 0).any():
        raise InputError("counts must be >= 0 for count families", file=file, column=outcome)
    frame = frame.sort_values(["g", "t"]).reset_index(drop=True)  # series by series (HAC)

    t = frame["t"].to_numpy(dtype=float)
    d = frame["d"].to_numpy(dtype=float)
    g = frame["g"].to_numpy(dtype=float)
    since = time_since_interruption(t, d, slope_origin)
    x = pd.DataFrame({"const": 1.0, "time": t, "post": d})
    if slope_change:
        x["post_slope"] = since
    x["treated"] = g
    x["treated_time"] = g * t
    x["level_change"] = g * d
    if slope_change:
        x["slope_change"] = g * since
    x = with_seasonality(x, frame, harmonics, period, month_indicators, file)
    se_type = (
        f"panel Newey-West HAC ({newey_west} lags, within series)"
        if newey_west is not None
        else "model-based"
    )
    fit = fit_family(frame, x, family)
    if newey_west is not None:
        # as sandwich::vcovPL(cluster = ~group, order.by = ~time, lag = L, adjust = FALSE,
        # aggregate = FALSE); statsmodels' hac-panel added n/(n-k) and, for the negative
        # binomial, used the observed Hessian as bread
        scores, bread = model_scores_and_bread(fit.res)
        fit.vcov = newey_west_cov(bread, scores, newey_west, groups=g.astype(int))
    log_link = family != "gaussian"
    summary = fit.summary(log_link)
    # counterfactual of the treated series: its own trend plus the control's changes only
    off = ["level_change"] + (["slope_change"] if slope_change else [])
    series = pd.DataFrame(
        {"time": t, "treated": g.astype(int), "intervention": d.astype(int),
         **fit.series(x, off, log_link)}
    )
    dispersion = fit.dispersion
    warnings = fit.warnings(family)
    common = summary.set_index("term").loc["post"]
    if common["p"] < 0.05:
        warnings.append(
            "the control series also changed at the intervention time (common level change "
            f"p = {common['p']:.3g}): a plain ITS of the treated series would have credited "
            "that change to the intervention"
        )
    treated = frame["g"] == 1
    return ControlledITSResult(
        family=family,
        n=len(frame),
        n_pre=int(((frame["d"] == 0) & treated).sum()),
        n_post=int(((frame["d"] == 1) & treated).sum()),
        summary=summary,
        series=series,
        dispersion=dispersion,
        se_type=se_type,
        slope_change_fitted=slope_change,
        slope_origin=slope_origin,
        warnings=warnings,
    )
