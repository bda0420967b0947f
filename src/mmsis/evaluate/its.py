"""Interrupted time series by segmented regression (Lopez Bernal, Cummins & Gasparrini 2017).

Model: g(E[y_t]) = b0 + b1 t + b2 D_t [+ b3 (t - o) D_t] + seasonality + log(offset_t), with
D_t the intervention indicator, t0 the first intervention time and o the slope origin: t0 - 1
(``last-pre``, time since the interruption is 1 at t0, as Wagner et al. 2002 and Lopez Bernal et
al. 2017's ``I(time - 36)``) or t0 (``first-post``, 0 at t0, as Stata's itsa). b2 is the level
change at o (at t0 without a slope change) and b3 the change in slope. Poisson, quasi-Poisson
(scale = Pearson chi2 / df, as R's quasipoisson), negative binomial (NB2 by maximum
likelihood) and Gaussian (OLS on rates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mmsis.errors import InputError
from mmsis.evaluate._base import (
    Z95,
    EffectModel,
    model_scores_and_bread,
    newey_west_cov,
    wald_row,
)
from mmsis.evaluate._input import (
    binary_column,
    numeric_column,
    period_to_month_index,
    positive_column,
    require_columns,
)
from mmsis.evaluate.quality import Handling, apply_handling
from mmsis.results import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Family = Literal["poisson", "quasipoisson", "negbin", "gaussian"]
FAMILIES: tuple[str, ...] = ("poisson", "quasipoisson", "negbin", "gaussian")
SlopeOrigin = Literal["last-pre", "first-post"]
SLOPE_ORIGINS: tuple[str, ...] = ("last-pre", "first-post")
MIN_SEGMENT = 3


def fourier_terms(season: np.ndarray, k: int, period: float) -> pd.DataFrame:
    """Harmonic pairs sin/cos(2 pi j s / period), j = 1..k, as R tsModel::harmonic(s, k, period)."""
    if k < 1 or k > period / 2:
        raise InputError(
            f"harmonics must be between 1 and period/2 = {period / 2:g}", field="harmonics"
        )
    cols: dict[str, np.ndarray] = {}
    for j in range(1, k + 1):
        cols[f"sin{j}"] = np.sin(2 * np.pi * j * season / period)
        cols[f"cos{j}"] = np.cos(2 * np.pi * j * season / period)
    return pd.DataFrame(cols)


def breusch_godfrey(resid: np.ndarray, exog: np.ndarray, lags: int) -> dict[str, float]:
    """Breusch-Godfrey LM test of `resid` regressed on the design, as `lmtest::bgtest(resid ~ X)`.

    The series is first residualised on the design (a no-op for OLS residuals; GLM Pearson
    residuals are not orthogonal to it), then regressed on the design and its own lags
    (missing lags filled with 0); n R^2 ~ chi2(lags).
    """
    from scipy import stats

    coef, *_ = np.linalg.lstsq(exog, resid, rcond=None)
    resid = resid - exog @ coef
    n = len(resid)
    lagged = np.column_stack(
        [np.concatenate([np.zeros(j), resid[:-j]]) for j in range(1, lags + 1)]
    )
    z = np.column_stack([exog, lagged])
    beta, *_ = np.linalg.lstsq(z, resid, rcond=None)
    fitted = z @ beta
    r2 = 1 - np.sum((resid - fitted) ** 2) / np.sum((resid - resid.mean()) ** 2)
    lm = n * r2
    return {"lags": lags, "statistic": float(lm), "p": float(stats.chi2.sf(lm, lags))}


class SegmentedEffects(EffectModel):
    """Effects of a segmented regression (plain or controlled ITS) as the CLI and JSON show them."""

    family: str
    slope_change_fitted: bool
    slope_origin: str

    @property
    def log_link(self) -> bool:
        """True when effects are rate ratios (count families)."""
        return self.family != "gaussian"

    def _effect_dict(self, term: str) -> dict[str, Any]:
        e = self.effect(term)
        out = {"estimate": e["estimate"], "se": e["se"], "p": e["p"]}
        if self.log_link:
            out.update(rr=e["rr"], ci_low=e["rr_ci_low"], ci_high=e["rr_ci_high"])
        else:
            out.update(ci_low=e["ci_low"], ci_high=e["ci_high"])
        return out

    @property
    def level_change(self) -> dict[str, Any]:
        """Level change at the interruption (controlled ITS: beyond the control's): rate ratio
        (log links) or difference, with its CI."""
        return self._effect_dict("level_change")

    @property
    def slope_change(self) -> dict[str, Any] | None:
        """Change in slope per time unit after the interruption (controlled ITS: beyond the
        control's), when fitted."""
        return self._effect_dict("slope_change") if self.slope_change_fitted else None


@dataclass
class ITSResult(SegmentedEffects):
    """A fitted segmented regression: effects, fit diagnostics and the counterfactual series."""

    family: str
    n: int
    n_pre: int
    n_post: int
    summary: pd.DataFrame
    series: pd.DataFrame
    dispersion: float
    se_type: str
    autocorrelation: dict[str, Any]
    data_quality: dict[str, Any]
    slope_change_fitted: bool
    slope_origin: str = "last-pre"
    warnings: list[str] = field(default_factory=list)
    method: str = "interrupted time series (segmented regression)"
    #: the first month (YYYYMM) when time was given as periods: the chart's axis is dated
    first_month: str | None = None

    def trend_ratio(self, per: float = 12.0) -> float:
        """Pre-intervention trend over `per` time units (rate ratio; difference for Gaussian)."""
        b = float(self.effect("time")["estimate"]) * per
        return float(np.exp(b)) if self.log_link else b

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
            "slope_origin": self.slope_origin,
            "dispersion": self.dispersion,
            "se_type": self.se_type,
            "autocorrelation": self.autocorrelation,
            "data_quality": self.data_quality,
            "summary": self.summary,
            "warnings": self.warnings,
        }

    def _when(self, t: float) -> str:
        """Time point `t` for people: its month when the data were dated, else the number."""
        return _month_name(self.first_month, t) if self.first_month else f"time {t:g}"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Observed points, the fitted segments and the counterfactual with its 95% band."""
        s = self.series
        ax = new_axes(ax)
        ax.scatter(s["time"], s["observed"], s=12, color="0.35", label="observed")
        pre, post = s[s["intervention"] == 0], s[s["intervention"] == 1]
        # two fitted segments: the level change is a jump, not a slope across the start
        ax.plot(pre["time"], pre["fitted"], color="C0", label="fitted")
        ax.plot(post["time"], post["fitted"], color="C0")
        ax.plot(post["time"], post["counterfactual"], "--", color="C3", label="counterfactual")
        ax.fill_between(
            post["time"], post["cf_low"], post["cf_high"], color="C3", alpha=0.2, label="95% band"
        )
        from mmsis.present.numbers import ci

        start = post["time"].min()
        ax.axvline(start - 0.5, color="0.5", lw=0.8,
                   label=f"intervention starts ({self._when(start)})")
        lc = self.level_change
        label = (
            f"level change: rate ratio {ci(lc['rr'], lc['ci_low'], lc['ci_high'])}"
            if self.log_link
            else f"level change {ci(lc['estimate'], lc['ci_low'], lc['ci_high'])}"
        )
        ax.set_title(f"Interrupted time series: {label}", fontsize=10)
        if self.first_month is not None:
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: self._when(v)))
            ax.set_xlabel("month")
        else:
            ax.set_xlabel("time")
        ax.set_ylabel("outcome" if not self.log_link else "count")
        ax.legend(fontsize=8)
        return ax


def _month_name(first: str, months: float) -> str:
    """The month `months` after `first` (YYYYMM), as people write it ("Jul 2023")."""
    from mmsis.present.format import period

    idx = int(first[:4]) * 12 + int(first[4:6]) - 1 + round(months)
    return period(f"{idx // 12}{idx % 12 + 1:02d}")


def _standardise(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    intervention: str,
    offset: str | None,
    season: str | None,
    completeness: str | None,
    file: str | None,
) -> pd.DataFrame:
    """Validate the columns and return a frame with t, y, d, off, season, comp."""
    require_columns(data, [outcome, time, intervention, offset, season, completeness], file)
    if len(data) == 0:
        raise InputError("the data have no rows", file=file)
    month_index = period_to_month_index(data[time])
    t = month_index if month_index is not None else numeric_column(data, time, file)
    dup = t.duplicated(keep=False)
    if dup.any():
        pos = np.flatnonzero(dup.to_numpy())
        raise InputError(
            f"duplicate time points ({data[time].iloc[pos[0]]!r} occurs {int(dup.sum())} times "
            f"among rows {', '.join(str(p + 1) for p in pos[:6])}); aggregate to one row per time",
            file=file,
            row=int(pos[1]) + 1,
            column=time,
        )
    frame = pd.DataFrame(
        {"t": t.to_numpy(), "y": numeric_column(data, outcome, file, allow_nan=True)}
    )
    frame["d"] = binary_column(data, intervention, file).to_numpy()
    if offset is not None:
        off = numeric_column(data, offset, file)
        positive_column(off, offset, file)
        frame["off"] = off.to_numpy()
    if season is not None:
        frame["season"] = numeric_column(data, season, file).to_numpy()
    elif month_index is not None:
        frame["season"] = (pd.to_numeric(data[time]) % 100).to_numpy(dtype=float)
    if completeness is not None:
        comp = numeric_column(data, completeness, file, allow_nan=True).fillna(0.0)
        bad = (comp < 0) | (comp > 1)
        if bad.any():
            bad_pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                "completeness must be a share in [0, 1]",
                file=file,
                row=bad_pos + 1,
                column=completeness,
            )
        frame["comp"] = comp.to_numpy()
    return frame.sort_values("t").reset_index(drop=True)


def _check_design(
    frame: pd.DataFrame, intervention: str, slope_change: bool, file: str | None
) -> None:
    """Refuse designs that cannot identify a level (and slope) change."""
    d = frame["d"].to_numpy()
    if d.min() == d.max():
        raise InputError(
            f"no variation in the intervention indicator (all {d[0]}); ITS needs months before "
            "and after",
            file=file,
            column=intervention,
        )
    first = int(np.argmax(d == 1))
    if not (d[first:] == 1).all() or not (d[:first] == 0).all():
        pos = first + int(np.argmax(d[first:] == 0))
        raise InputError(
            "the intervention must switch on once and stay on (0 before, 1 after)",
            file=file,
            column=intervention,
            row=pos + 1,
        )
    n_pre, n_post = first, len(d) - first
    need_post = MIN_SEGMENT if slope_change else 1
    if n_pre < MIN_SEGMENT or n_post < need_post:
        raise InputError(
            f"too few points: {n_pre} before and {n_post} after the intervention "
            f"(need at least {MIN_SEGMENT} before and {need_post} after)",
            file=file,
            column=intervention,
        )


def check_fit_options(
    family: str, newey_west: int | None, slope_origin: str = "last-pre"
) -> None:
    """Refuse an unknown model family or slope origin, or a negative number of Newey-West lags."""
    if family not in FAMILIES:
        raise InputError(f"must be one of {', '.join(FAMILIES)} (got {family!r})", field="family")
    if slope_origin not in SLOPE_ORIGINS:
        raise InputError(
            f"must be one of {', '.join(SLOPE_ORIGINS)} (got {slope_origin!r})",
            field="slope_origin",
        )
    if newey_west is not None and newey_west < 0:
        raise InputError("Newey-West lags must be >= 0", field="newey_west")


def with_seasonality(
    x: pd.DataFrame,
    frame: pd.DataFrame,
    harmonics: int,
    period: float,
    month_indicators: bool,
    file: str | None,
) -> pd.DataFrame:
    """The design with Fourier pairs or season indicators added; refused if rank-deficient."""
    if harmonics:
        x = pd.concat(
            [x, fourier_terms(frame["season"].to_numpy(dtype=float), harmonics, period)], axis=1
        )
    if month_indicators:
        dummies = pd.get_dummies(
            frame["season"].astype(int), prefix="season", drop_first=True, dtype=float
        )
        x = pd.concat([x, dummies], axis=1)
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise InputError(
            f"the design ({', '.join(x.columns)}) is rank-deficient: too few points for the "
            "seasonal terms or a constant season column",
            file=file,
        )
    return x


@dataclass
class FamilyFit:
    """A fitted segmented regression before its effects are tabulated."""

    res: Any  # the statsmodels results (for the sandwich)
    params: pd.Series
    vcov: np.ndarray
    dispersion: float  # Pearson chi2/df (Poisson families), alpha (negbin), residual variance
    y: np.ndarray  # the modelled outcome: counts, or rates for the Gaussian family
    log_off: np.ndarray  # log offset on the linear predictor (zeros for the Gaussian family)
    eta_fit: np.ndarray  # fitted linear predictor
    resid: np.ndarray  # Pearson residuals (GLMs) or raw residuals (OLS)

    def warnings(self, family: str) -> list[str]:
        """Warnings the fit itself raises (overdispersion of a plain Poisson model)."""
        if family == "poisson" and self.dispersion > 1.5:
            return [f"overdispersion (Pearson chi2/df = {self.dispersion:.2f}): use quasipoisson "
                    "or negbin"]
        return []

    def summary(self, log_link: bool) -> pd.DataFrame:
        """One Wald row per term (rate ratios added on log links)."""
        se = np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))
        return pd.DataFrame(
            [
                wald_row(str(name), float(self.params[name]), float(s), log_link)
                for name, s in zip(self.params.index, se, strict=True)
            ]
        )

    def series(self, x: pd.DataFrame, switched_off: list[str], log_link: bool) -> dict[str, Any]:
        """Observed, fitted and the counterfactual (``switched_off`` terms set to 0) with its
        delta-method 95% band on the linear scale, on the outcome's scale."""
        xm = x.assign(**{term: 0.0 for term in switched_off}).to_numpy()
        eta_cf = xm @ self.params.to_numpy() + self.log_off
        se_cf = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", xm, self.vcov, xm), 0.0, None))
        inv = np.exp if log_link else (lambda v: v)
        return {
            "observed": self.y,
            "fitted": inv(self.eta_fit),
            "counterfactual": inv(eta_cf),
            "cf_low": inv(eta_cf - Z95 * se_cf),
            "cf_high": inv(eta_cf + Z95 * se_cf),
        }


def time_since_interruption(t: np.ndarray, d: np.ndarray, slope_origin: str) -> np.ndarray:
    """(t - origin) D: 1 at the first post point for ``last-pre`` (origin t0 - 1, Wagner et al.
    2002; Lopez Bernal et al. 2017), 0 there for ``first-post`` (origin t0, Stata's itsa)."""
    t0 = t[d == 1].min()
    origin = t0 - 1.0 if slope_origin == "last-pre" else t0
    return np.asarray((t - origin) * d)


def fit_family(frame: pd.DataFrame, x: pd.DataFrame, family: str) -> FamilyFit:
    """Fit ``frame.y`` on ``x`` (offset ``frame.off`` when present) with the chosen family:
    Poisson / quasi-Poisson (scale = Pearson chi2/df, as R), NB2 (alpha by profile ML, as
    MASS::glm.nb) or OLS on rates. A fit that breaks down numerically (extreme values) is an
    InputError naming the outcome, not a traceback."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow: checked just below
            fit = _fit_family(frame, x, family)
    except InputError:
        raise
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"the {family} model cannot be fitted to these values ({reason}); "
                         "look for extreme or constant values", field="outcome") from exc
    if not (np.all(np.isfinite(fit.params.to_numpy())) and np.all(np.isfinite(fit.vcov))):
        raise InputError(f"the {family} model gives no finite estimates for these values; "
                         "look for extreme or constant values", field="outcome")
    return fit


def _fit_family(frame: pd.DataFrame, x: pd.DataFrame, family: str) -> FamilyFit:
    """`fit_family` without its numerical checks."""
    import statsmodels.api as sm

    has_off = "off" in frame
    log_off = np.log(frame["off"].to_numpy(dtype=float)) if has_off else np.zeros(len(frame))
    y = frame["y"].to_numpy(dtype=float)
    if family in ("poisson", "quasipoisson"):
        res = sm.GLM(y, x, family=sm.families.Poisson(), offset=log_off).fit(
            scale="X2" if family == "quasipoisson" else 1.0
        )
        dispersion = float(res.pearson_chi2 / res.df_resid)
    elif family == "negbin":
        alpha = _negbin_alpha(y, x, log_off)
        res = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=log_off).fit(
            scale=1.0
        )
        dispersion = alpha
    else:
        y = y / frame["off"].to_numpy(dtype=float) if has_off else y
        res = sm.OLS(y, x).fit()
        return FamilyFit(res, res.params, np.asarray(res.cov_params()), float(res.scale), y,
                         np.zeros(len(frame)), np.asarray(res.fittedvalues),
                         np.asarray(res.resid))
    eta = x.to_numpy() @ res.params.to_numpy() + log_off
    return FamilyFit(res, res.params, np.asarray(res.cov_params()), dispersion, y, log_off, eta,
                     np.asarray(res.resid_pearson))


def fit_its(
    data: pd.DataFrame,
    outcome: str,
    time: str,
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
    completeness: str | None = None,
    missing: Handling = "drop",
    min_completeness: float = 0.9,
    acf_lags: int = 12,
    slope_origin: SlopeOrigin = "last-pre",
    file: str | None = None,
) -> ITSResult:
    """Fit a segmented regression ITS and return rate ratios (or differences) with Wald CIs.

    `offset` is a column on the natural scale (population, expected pregnancies), logged here;
    for the Gaussian family the outcome is modelled as a rate `outcome / offset`. `time` may be
    numeric or a YYYYMM period (then months are counted and the month is the default season).
    `newey_west` gives HAC (Newey-West) standard errors with that many lags. `slope_origin`
    codes time since the interruption as 1 (``last-pre``) or 0 (``first-post``) at the first
    post point; it moves where the level change is measured, not the fit.
    """

    check_fit_options(family, newey_west, slope_origin)
    frame = _standardise(data, outcome, time, intervention, offset, season, completeness, file)
    if (harmonics or month_indicators) and "season" not in frame:
        frame["season"] = frame["t"] % period
    frame, dq = apply_handling(frame, missing, min_completeness, int(period) if period else None)
    _check_design(frame, intervention, slope_change, file)
    if family != "gaussian" and (frame["y"] < 0).any():
        pos = int(np.flatnonzero((frame["y"] < 0).to_numpy())[0])
        raise InputError(
            "counts must be >= 0 for count families", file=file, column=outcome, row=pos + 1
        )

    t = frame["t"].to_numpy(dtype=float)
    d = frame["d"].to_numpy(dtype=float)
    x = pd.DataFrame({"const": 1.0, "level_change": d, "time": t})
    if slope_change:
        x["slope_change"] = time_since_interruption(t, d, slope_origin)
    x = with_seasonality(x, frame, harmonics, period, month_indicators, file)
    se_type = f"Newey-West HAC ({newey_west} lags)" if newey_west is not None else "model-based"

    fit = fit_family(frame, x, family)
    if newey_west is not None:
        # own sandwich: statsmodels' GLM HAC uses the observed Hessian as bread, which for
        # the negative binomial's non-canonical log link differs from sandwich::bread.glm
        scores, bread = model_scores_and_bread(fit.res)
        fit.vcov = newey_west_cov(bread, scores, newey_west)
    log_link = family != "gaussian"
    summary = fit.summary(log_link)
    # counterfactual: switch the intervention terms off
    off = ["level_change"] + (["slope_change"] if slope_change else [])
    series = pd.DataFrame(
        {"time": t, "intervention": d.astype(int), **fit.series(x, off, log_link)}
    )
    y, resid, dispersion = fit.y, fit.resid, fit.dispersion
    lags = int(min(acf_lags, max(1, len(y) // 2 - 1)))
    autocorrelation = _autocorrelation(resid, x.to_numpy(), lags)
    warnings = []
    if autocorrelation["breusch_godfrey"]["p"] < 0.05 and newey_west is None:
        warnings.append(
            "residual autocorrelation (Breusch-Godfrey p < 0.05): consider --newey-west LAGS "
            "or seasonal terms"
        )
    warnings += fit.warnings(family)
    if dq["n_missing"] or dq["n_low_completeness"]:
        warnings.append(
            f"data quality: {dq['n_missing']} missing and {dq['n_low_completeness']} "
            f"low-completeness time points, handled by '{dq['handling']}'"
        )
    return ITSResult(
        family=family,
        n=len(y),
        n_pre=int((d == 0).sum()),
        n_post=int((d == 1).sum()),
        summary=summary,
        series=series,
        dispersion=dispersion,
        se_type=se_type,
        autocorrelation=autocorrelation,
        data_quality=dq,
        slope_change_fitted=slope_change,
        slope_origin=slope_origin,
        warnings=warnings,
        first_month=_first_month(data[time]),
    )


def _first_month(values: pd.Series) -> str | None:
    """The earliest YYYYMM period when every time value is one (else None: plain numbers)."""
    if period_to_month_index(values) is None:
        return None
    return str(int(pd.to_numeric(values).min()))


def _negbin_alpha(y: np.ndarray, x: pd.DataFrame, log_off: np.ndarray) -> float:
    """NB2 dispersion alpha (= 1/theta) by maximising the profile likelihood, as MASS::glm.nb."""
    import statsmodels.api as sm
    from scipy.optimize import minimize_scalar

    def negll(log_alpha: float) -> float:
        fam = sm.families.NegativeBinomial(alpha=float(np.exp(log_alpha)))
        return -float(sm.GLM(y, x, family=fam, offset=log_off).fit(tol=1e-12).llf)

    opt = minimize_scalar(negll, bounds=(-15.0, 5.0), method="bounded", options={"xatol": 1e-9})
    if not opt.success or opt.x < -14.9:
        raise InputError(
            "negative binomial dispersion not identified (no overdispersion?); use poisson",
            field="family",
        )
    return float(np.exp(opt.x))


def _autocorrelation(resid: np.ndarray, exog: np.ndarray, lags: int) -> dict[str, Any]:
    """Residual ACF/PACF and the Breusch-Godfrey test on (Pearson) residuals."""
    from statsmodels.tsa.stattools import acf, pacf

    out: dict[str, Any] = {
        "acf": [float(v) for v in acf(resid, nlags=lags, fft=False)[1:]],
        "breusch_godfrey": breusch_godfrey(resid, exog, lags),
    }
    try:
        out["pacf"] = [float(v) for v in pacf(resid, nlags=min(lags, len(resid) // 2 - 1))[1:]]
    except (ValueError, np.linalg.LinAlgError):
        out["pacf"] = []
    return out
