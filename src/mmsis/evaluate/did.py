"""Difference-in-differences and event studies on unit-by-time panels (e.g. district-months).

Two-way fixed effects (TWFE) with cluster-robust (CRV1, by unit) standard errors via pyfixest,
an event study of leads and lags, and Gardner's two-stage estimator (did2s, equal to the
Borusyak-Jaravel-Spiess imputation estimator) that stays unbiased under staggered roll-out with
effects that vary by cohort or time since start. The de Chaisemartin-D'Haultfoeuille weights of
TWFE on treated cells are reported; negative weights mean TWFE can be biased (even of wrong sign).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmsis.errors import InputError
from mmsis.evaluate._base import EffectModel
from mmsis.evaluate._input import numeric_column, positive_column, require_columns
from mmsis.results import new_axes

if TYPE_CHECKING:
    from types import ModuleType

    from matplotlib.axes import Axes
    from pyfixest.estimation import Feols

TIDY_NAMES = {
    "Estimate": "estimate",
    "Std. Error": "se",
    "2.5%": "ci_low",
    "97.5%": "ci_high",
    "Pr(>|t|)": "p",
}


#: fixest's default small-sample correction, ssc(adj = TRUE, fixef.K = "nested", cluster.adj =
#: TRUE, cluster.df = "min"): (n - 1) / (n - K) x G / (G - 1), K = coefficients + fixed effects
#: not nested in the cluster (pyfixest calls that k_fixef="nonnested"). Pinned here rather than
#: left to pyfixest's default; checked against fixest's published Grunfeld example.
FIXEST_SSC: dict[str, Any] = {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"}


def twfe(pf: ModuleType, data: pd.DataFrame, rhs: str, cluster: str = "unit") -> Feols:
    """OLS of ``y`` on ``rhs`` with ``unit`` and ``time`` fixed effects, CRV1 errors clustered
    by ``cluster`` with fixest's small-sample correction (as ``feols(vcov = ~cluster)``)."""
    return pf.feols(f"y ~ {rhs} | unit + time", data=data, vcov={"CRV1": cluster},
                    ssc=pf.ssc(**FIXEST_SSC))


def two_stage(pf: ModuleType, data: pd.DataFrame, second_stage: str,
              cluster: str = "unit") -> Feols:
    """Gardner's two-stage DiD (first stage ``unit`` and ``time`` effects on untreated rows,
    treatment ``D``), clustered by ``cluster``, as R ``did2s``."""
    return pf.did2s(data, yname="y", first_stage="~ 0 | unit + time", second_stage=second_stage,
                    treatment="D", cluster=cluster)


def absolute_months(values: pd.Series) -> pd.Series | None:
    """YYYYMM periods as a month count (year*12 + month - 1), or None if not all periods."""
    v = pd.to_numeric(values, errors="coerce")
    ok = v.dropna()
    if ok.empty or not (ok == ok.round()).all():
        return None
    year, month = ok // 100, ok % 100
    if not ((year >= 1900) & (year <= 2100) & (month >= 1) & (month <= 12)).all():
        return None
    return (v // 100) * 12 + (v % 100) - 1


def _tidy(fit: Any, term: str, name: str, log: bool) -> dict[str, Any]:
    """One row of a pyfixest fit as a summary dict (rate ratios added on the log scale)."""
    tab = fit.tidy().rename(columns=TIDY_NAMES)
    row = tab.loc[term]
    out: dict[str, Any] = {"term": name, **{k: float(row[k]) for k in TIDY_NAMES.values()}}
    if log:
        out.update(
            rr=float(np.exp(out["estimate"])),
            rr_ci_low=float(np.exp(out["ci_low"])),
            rr_ci_high=float(np.exp(out["ci_high"])),
        )
    return out


def twfe_weights(panel: pd.DataFrame) -> pd.DataFrame:
    """de Chaisemartin-D'Haultfoeuille weights of the TWFE coefficient on each treated cell.

    TWFE's coefficient is sum_w w_it * effect_it over treated cells with w proportional to the
    residual of D on unit and time fixed effects; negative w are 'forbidden comparisons'.
    """
    import pyfixest as pf

    fit = pf.feols("D ~ 1 | unit + time", data=panel[["D", "unit", "time"]].astype({"D": float}))
    resid = np.asarray(fit.resid())
    treated = panel["D"].to_numpy() == 1
    w = resid[treated] / resid[treated].sum()
    return panel.loc[treated, ["unit", "time", "cohort"]].assign(weight=w).reset_index(drop=True)


@dataclass
class DiDResult(EffectModel):
    """TWFE and heterogeneity-robust (did2s) effects, event-study coefficients and TWFE weights."""

    n: int
    n_units: int
    cohorts: dict[str, int]
    log_outcome: bool
    summary: pd.DataFrame
    event_study: pd.DataFrame
    weights: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    method: str = "difference-in-differences: TWFE (CRV1 by unit) and did2s (Gardner 2021)"

    def _eff(self, term: str) -> dict[str, Any]:
        e = self.effect(term)
        return {k: v for k, v in e.items() if not (isinstance(v, float) and np.isnan(v))}

    @property
    def twfe(self) -> dict[str, Any]:
        """Static TWFE effect (biased under staggered timing with heterogeneous effects)."""
        return self._eff("twfe_att")

    @property
    def robust(self) -> dict[str, Any]:
        """Gardner two-stage (imputation) ATT, robust to staggered timing."""
        return self._eff("did2s_att")

    def to_dict(self) -> dict[str, Any]:
        """Key results as plain values for JSON output."""
        return {
            "method": self.method,
            "n": self.n,
            "n_units": self.n_units,
            "cohorts": self.cohorts,
            "log_outcome": self.log_outcome,
            "twfe": self.twfe,
            "robust": self.robust,
            "event_study": self.event_study,
            "twfe_weights": self.weights,
            "warnings": self.warnings,
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """Event-study coefficients (TWFE and did2s) with 95% CIs by time since start."""
        ax = new_axes(ax)
        for k, (est, colour) in enumerate((("twfe", "C0"), ("did2s", "C3"))):
            es = self.event_study[self.event_study["estimator"] == est]
            x = es["rel_time"] + (k - 0.5) * 0.2
            ax.errorbar(
                x,
                es["estimate"],
                yerr=[es["estimate"] - es["ci_low"], es["ci_high"] - es["estimate"]],
                fmt="o",
                ms=3,
                color=colour,
                label=est,
                capsize=2,
            )
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(-0.5, color="0.5", lw=0.8, ls="--")
        ax.set_xlabel("time since start (reference -1)")
        ax.set_ylabel("effect (log scale)" if self.log_outcome else "effect")
        r = self.robust
        att = (
            f"RR {r['rr']:.3f} ({r['rr_ci_low']:.3f} to {r['rr_ci_high']:.3f})"
            if self.log_outcome
            else f"{r['estimate']:.3g} ({r['ci_low']:.3g} to {r['ci_high']:.3g})"
        )
        ax.set_title(f"Event study; did2s ATT {att}", fontsize=10)
        ax.legend(fontsize=8)
        return ax


def _panel(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_from: str,
    offset: str | None,
    log_outcome: bool,
    file: str | None,
) -> pd.DataFrame:
    """Validate and standardise to columns unit, time, y, cohort (first treated time or NaN), D."""
    require_columns(data, [outcome, unit, time, treated_from, offset], file)
    if len(data) == 0:
        raise InputError("the data have no rows", file=file)
    t_abs = absolute_months(data[time])
    t = t_abs if t_abs is not None else numeric_column(data, time, file)
    raw_g = data[treated_from].replace({"": np.nan})
    g_abs = absolute_months(raw_g) if t_abs is not None else None
    g = g_abs if g_abs is not None else pd.to_numeric(raw_g, errors="coerce")
    bad_g = g.isna() & raw_g.notna() & (raw_g.astype(str).str.strip() != "")
    if bad_g.any():
        pos = int(np.flatnonzero(bad_g.to_numpy())[0])
        raise InputError(
            f"not a time (got {raw_g.iloc[pos]!r}); leave empty for never treated",
            file=file,
            row=pos + 1,
            column=treated_from,
        )
    y = numeric_column(data, outcome, file)
    if offset is not None:
        off = numeric_column(data, offset, file)
        positive_column(off, offset, file)
        y = y / off
    if log_outcome:
        if not (y > 0).all():
            pos = int(np.flatnonzero(~(y > 0).to_numpy())[0])
            raise InputError("log outcome needs values > 0", file=file, row=pos + 1, column=outcome)
        y = np.log(y)
    panel = pd.DataFrame(
        {
            "unit": data[unit].astype(str).to_numpy(),
            "time": t.to_numpy(),
            "y": y.to_numpy(),
            "cohort": g.to_numpy(),
        }
    )
    dup = panel.duplicated(["unit", "time"], keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"duplicate unit-time point (unit {panel['unit'].iloc[pos]!r}, time "
            f"{data[time].iloc[pos]!r})",
            file=file,
            row=pos + 1,
            column=time,
        )
    varying = panel.groupby("unit")["cohort"].nunique(dropna=False) > 1
    if varying.any():
        raise InputError(
            f"treated-from must be constant within a unit (unit {varying.idxmax()!r})",
            file=file,
            column=treated_from,
        )
    panel["D"] = (panel["time"] >= panel["cohort"]).astype(int)
    d_by_unit = panel.groupby("unit")["D"]
    if panel["D"].nunique() < 2:
        raise InputError(
            "no variation in treatment: every unit-time is "
            f"{'treated' if panel['D'].iloc[0] else 'untreated'}",
            file=file,
            column=treated_from,
        )
    switchers = (d_by_unit.min() == 0) & (d_by_unit.max() == 1)
    if not switchers.any():
        raise InputError(
            "no unit is observed both before and after its start", file=file, column=treated_from
        )
    if (
        panel.loc[panel["D"] == 0, "time"].nunique() < 2
        or (panel.groupby("time")["D"].min() == 1).all()
    ):
        raise InputError(
            "no untreated comparison in the treated periods", file=file, column=treated_from
        )
    return panel.sort_values(["unit", "time"]).reset_index(drop=True)


def fit_did(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_from: str,
    *,
    offset: str | None = None,
    log_outcome: bool = False,
    leads: int = 6,
    lags: int = 12,
    file: str | None = None,
) -> DiDResult:
    """Fit TWFE and did2s DiD with an event study; `treated_from` is each unit's start time
    (same units as `time`; YYYYMM periods allowed; empty for never-treated units)."""
    import pyfixest as pf

    if leads < 1 or lags < 0:
        raise InputError("leads must be >= 1 and lags >= 0", field="leads")
    panel = _panel(data, outcome, unit, time, treated_from, offset, log_outcome, file)
    # times when every unit is treated have no untreated comparison: no counterfactual can be
    # imputed for them, so both estimators use the times with at least one untreated unit
    all_treated = panel.groupby("time")["D"].transform("min") == 1
    n_dropped = int(all_treated.sum())
    panel = panel.loc[~all_treated].reset_index(drop=True)
    panel, thin = _drop_thin_comparisons(panel, file, treated_from)
    with _fit_errors(file):
        return _fit(pf, panel, log_outcome, leads, lags, n_dropped, thin)


@contextlib.contextmanager
def _fit_errors(file: str | None) -> Iterator[None]:
    """pyfixest's errors on panels too small or too collinear, as an InputError."""
    try:
        yield
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(
            f"the panel is too small or too collinear for the DiD models ({exc}); add units or "
            "time points before the starts",
            file=file,
        ) from exc


def _drop_thin_comparisons(
    panel: pd.DataFrame, file: str | None, treated_from: str
) -> tuple[pd.DataFrame, list[str]]:
    """Leave out treated units seen untreated fewer than twice and times with fewer than two
    untreated units: their fixed effects rest on one observation, which pyfixest drops as a
    singleton (and on tiny panels aborts the process on), so they cannot be imputed."""
    notes = []
    for _ in range(3):  # dropping units can thin times and vice versa
        untreated = panel[panel["D"] == 0]
        per_unit = untreated.groupby("unit").size().reindex(panel["unit"].unique(), fill_value=0)
        thin_units = sorted(per_unit[per_unit < 2].index)
        if thin_units:
            notes.append(
                f"units seen untreated fewer than twice were left out: {', '.join(thin_units[:8])}"
            )
            panel = panel[~panel["unit"].isin(thin_units)]
            continue
        per_time = untreated.groupby("time")["unit"].nunique()
        per_time = per_time.reindex(panel["time"].unique(), fill_value=0)
        thin_times = sorted(per_time[per_time < 2].index)
        if thin_times:
            notes.append(
                f"{len(thin_times)} time points with fewer than two untreated units were left out"
            )
            panel = panel[~panel["time"].isin(thin_times)]
            continue
        break
    panel = panel.reset_index(drop=True)
    d_by_unit = panel.groupby("unit")["D"]
    if panel.empty or not ((d_by_unit.min() == 0) & (d_by_unit.max() == 1)).any():
        raise InputError(
            "too few untreated observations for a DiD: each started unit needs at least two "
            "time points before its start, and each time point two untreated units"
            + (f" ({'; '.join(notes)})" if notes else ""),
            file=file,
            column=treated_from,
        )
    return panel, notes


def _fit(
    pf: Any,
    panel: pd.DataFrame,
    log_outcome: bool,
    leads: int,
    lags: int,
    n_dropped: int,
    thin: list[str],
) -> DiDResult:
    """TWFE, did2s and both event studies on a checked panel."""
    rel = panel["time"] - panel["cohort"]
    panel["rel"] = np.where(panel["cohort"].notna(), np.clip(rel, -leads, lags), -1.0)
    static = twfe(pf, panel, "D")
    robust = two_stage(pf, panel, "~ i(D)")
    rows = [
        _tidy(static, "D", "twfe_att", log_outcome),
        _tidy(robust, robust.tidy().index[0], "did2s_att", log_outcome),
    ]
    es_rows = []
    es_twfe = twfe(pf, panel, "i(rel, ref=-1.0)")
    es_d2s = two_stage(pf, panel, "~ i(rel, ref=-1.0)")
    for name, fit in (("twfe", es_twfe), ("did2s", es_d2s)):
        tab = fit.tidy().rename(columns=TIDY_NAMES)
        for term, r in tab.iterrows():
            k = float(str(term).split("::")[1])
            es_rows.append(
                {"estimator": name, "rel_time": k, **{c: float(r[c]) for c in TIDY_NAMES.values()}}
            )
    event_study = pd.DataFrame(es_rows).sort_values(["estimator", "rel_time"], ignore_index=True)

    w = twfe_weights(panel)
    neg = w["weight"] < 0
    cohorts = panel.dropna(subset=["cohort"]).groupby("cohort")["unit"].nunique()
    weights = {
        "n_treated_cells": len(w),
        "n_negative": int(neg.sum()),
        "share_negative": float(neg.mean()),
        "sum_negative": float(w.loc[neg, "weight"].sum()),
    }
    warnings: list[str] = []
    if len(cohorts) > 1 and neg.any():
        warnings.append(
            f"staggered roll-out ({len(cohorts)} start times): {int(neg.sum())} of {len(w)} "
            f"treated cells get negative TWFE weights (sum {weights['sum_negative']:.3f}); TWFE "
            "is biased if effects vary over time or cohorts; use the did2s (robust) estimate"
        )
    warnings.extend(thin)
    if n_dropped:
        warnings.append(
            f"{n_dropped} unit-times after the last unit started (no untreated comparison) "
            "were left out"
        )
    never = int(panel.groupby("unit")["cohort"].first().isna().sum())
    if never == 0:
        warnings.append("no never-treated units: comparisons rely on not-yet-treated units only")
    return DiDResult(
        n=len(panel),
        n_units=int(panel["unit"].nunique()),
        cohorts={
            str(int(k)) if float(k).is_integer() else str(k): int(v) for k, v in cohorts.items()
        }
        | {"never": never},
        log_outcome=log_outcome,
        summary=pd.DataFrame(rows),
        event_study=event_study,
        weights=weights,
        warnings=warnings,
    )
