"""Run the impact and cost-effectiveness analysis of a scenario, with Monte Carlo uncertainty."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmsis.forecast.budget import programme_costs_by_month
from mmsis.forecast.evidence import evidence
from mmsis.forecast.need import Need, demographic_need
from mmsis.forecast.scenario import Scenario
from mmsis.impact import decision, wording
from mmsis.impact.model import OUTCOMES, PATHWAYS, Units, compute
from mmsis.impact.params import (
    ParamSpec,
    central_params,
    draw_params,
    param_specs,
    tornado_params,
)
from mmsis.results import summary_html

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CONTRACT = ("lbw_averted", "preterm_averted", "sga_averted", "stillbirths_averted",
            "neonatal_deaths_averted", "dalys_averted", "incremental_cost", "cost_per_daly")
RATIOS = {"cost_per_daly": ("incremental_cost", "dalys_averted"),
          "cost_per_death_averted": ("incremental_cost", "deaths_averted_discounted")}


def build_units(sc: Scenario, need: Need | None = None) -> Units:
    """District inputs of the impact model from the scenario's demographic need."""
    need = need or demographic_need(sc)
    r = sc.impact.daly.discount_rate
    t = np.arange(len(need.months))
    disc = (1 + r) ** -(t // 12)
    adj = sc.pregnancies.pregnancy_loss_adjustment
    preg = need.mms_enrolled.sum(axis=1)
    preg_d = (need.mms_enrolled * disc[None, :]).sum(axis=1)
    d = sc.district_table().set_index("id").reindex(need.units)
    base = {}
    for k in OUTCOMES:
        col = f"baseline_{k}"
        nat = getattr(sc.impact.baseline, k)
        vals = d[col].astype(float).fillna(nat) if col in d else pd.Series(nat, index=d.index)
        base[k] = vals.to_numpy(float)
    prog = programme_costs_by_month(sc)
    rel_year = (prog["month_index"] - sc.start_index) // 12
    prog_disc = float((prog["amount"] * (1 + r) ** -rel_year.clip(lower=0)).sum())
    sg = sc.impact.subgroups
    return Units(
        ids=need.units, births=preg / adj, births_disc=preg_d / adj, pregnancies=preg,
        pregnancies_disc=preg_d, baseline=base,
        baseline_central={k: float(getattr(sc.impact.baseline, k)) for k in OUTCOMES},
        programme_cost=float(prog["amount"].sum()), programme_cost_disc=prog_disc,
        tablets_per_pregnancy=float(sc.regimen.tablets_per_pregnancy),
        anc1_central=sc.anc1_coverage, pathway=sc.impact.neonatal_pathway,
        anaemic_share=sg.anaemic_share, female_share=sg.female_share,
        include_stillbirths=sc.impact.daly.include_stillbirths,
        value_per_daly=sc.impact.value_per_daly,
        yld_per_lbw_birth=sc.impact.daly.yld_per_lbw_birth,
        adherence_shares=None if sc.regimen.adherence_shares is None else (
            sc.regimen.adherence_shares.ge_90, sc.regimen.adherence_shares.from_60_to_90,
            sc.regimen.adherence_shares.below_60),
    )


def _quantiles(x: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(x, [0.025, 0.975], method="inverted_cdf")
    return float(lo), float(hi)


@dataclass
class ImpactResult:
    """Measures (central, mean, 95% UI each), tornado, anchors and district results.

    Implements `mmsis.results.Result`: `summary` is the protocol's tidy table (measure,
    estimate = the central value, mean, se, ci_low/ci_high = the 95% uncertainty interval of
    the Monte Carlo draws, n draws, method). `measures` is the exported table (measure,
    central, mean, se, ui_low, ui_high, n, method: impact_summary.csv, the report's impact
    sheet); `to_dict()` gives each measure's central, mean, ui_low and ui_high.
    """

    scenario: Scenario
    measures: pd.DataFrame
    tornado: pd.DataFrame
    anchors: pd.DataFrame
    by_district: pd.DataFrame
    parameters: pd.DataFrame
    pathways: pd.DataFrame = field(default_factory=pd.DataFrame)
    acceptability: pd.DataFrame = field(default_factory=pd.DataFrame)
    thresholds: pd.DataFrame = field(default_factory=pd.DataFrame)
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """The measures as the protocol's tidy table: measure, estimate (central), mean, se,
        ci_low, ci_high (the 95% uncertainty interval), n (draws), method."""
        m = self.measures
        return pd.DataFrame({
            "measure": m["measure"], "estimate": m["central"], "mean": m["mean"],
            "se": m["se"], "ci_low": m["ui_low"], "ci_high": m["ui_high"], "n": m["n"],
            "method": "central parameters; interval: 95% uncertainty interval, " + m["method"]})

    def measure(self, name: str) -> dict[str, float]:
        """One measure's central, mean, ui_low and ui_high."""
        row = self.measures.set_index("measure").loc[name]
        return {k: float(row[k]) for k in ("central", "mean", "ui_low", "ui_high")}

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON contract: each measure with mean, ui_low, ui_high and central."""
        out: dict[str, Any] = {"scenario": self.scenario.name,
                               "currency": self.scenario.currency,
                               "currency_year": self.scenario.currency_year,
                               "draws": int(self.measures["n"].iloc[0])}
        for m in self.measures["measure"]:
            out[m] = self.measure(m)
        out["pathways"] = self.pathways
        out["acceptability"] = self.acceptability
        out["thresholds"] = self.thresholds
        out["anchors"] = self.anchors
        out["tornado"] = self.tornado
        out["by_district"] = self.by_district
        out["parameters"] = self.parameters
        return out

    def plot(self, ax: Axes | None = None) -> Axes:
        """Events averted with their 95% UIs (the other charts: `mmsis.impact.charts`)."""
        from mmsis.impact.charts import outcomes_axes

        return outcomes_axes(self, ax)

    def _repr_html_(self) -> str:
        """The tidy summary (central estimate, mean, 95% UI per measure), for notebooks."""
        return summary_html(self, f"Impact: {self.scenario.name}")


def _summary(central: dict[str, np.ndarray], draws: dict[str, np.ndarray], n: int
             ) -> pd.DataFrame:
    rows = []
    for m in central:
        c = float(central[m][0])
        x = draws[m]
        lo, hi = _quantiles(x)
        if m in RATIOS:
            num, den = RATIOS[m]
            mean = float(draws[num].mean() / draws[den].mean()) if draws[den].mean() > 0 \
                else float("inf")
            sd = float("nan")
            method = "ratio of means; 95% UI from per-draw ratios (non-positive effect = inf)"
        else:
            mean, sd = float(x.mean()), float(x.std(ddof=1)) if n > 1 else float("nan")
            method = "Monte Carlo mean and 2.5/97.5 percentiles"
        rows.append({"measure": m, "central": c, "mean": mean, "se": sd, "ui_low": lo,
                     "ui_high": hi, "n": n, "method": method})
    return pd.DataFrame(rows)


def _anchors(sc: Scenario, summary: pd.DataFrame) -> pd.DataFrame:
    """The scenario beside the published results, each with its values converted to the
    scenario's currency and currency year (when impact.currency_conversion allows)."""
    s = summary.set_index("measure")
    rows = [{
        "study": f"this scenario ({sc.name})",
        "currency_year": sc.currency_year,
        "cost_per_daly": s.loc["cost_per_daly", "central"],
        "cost_per_daly_low": s.loc["cost_per_daly", "ui_low"],
        "cost_per_daly_high": s.loc["cost_per_daly", "ui_high"],
        "dalys_averted_per_100k_pregnancies":
            s.loc["dalys_averted_per_100k_pregnancies", "central"],
        "cost_per_death_averted": s.loc["cost_per_death_averted", "central"],
        "benefit_cost_ratio": s.loc["benefit_cost_ratio", "central"]
        if "benefit_cost_ratio" in s.index else np.nan,
        "source": "mmsis",
    }]
    for a in evidence().anchors:
        rows.append({
            "study": a.get("study", a["id"]),
            "currency_year": a.get("currency_year"),
            "cost_per_daly": a.get("cost_per_daly_usd"),
            "cost_per_daly_low": a.get("cost_per_daly_usd_low"),
            "cost_per_daly_high": a.get("cost_per_daly_usd_high"),
            "dalys_averted_per_100k_pregnancies": a.get("dalys_averted_per_100k_pregnancies"),
            "cost_per_death_averted": np.nanmean([
                a.get("cost_per_death_averted_usd_low") or np.nan,
                a.get("cost_per_death_averted_usd_high") or np.nan])
            if a.get("cost_per_death_averted_usd_low") else np.nan,
            "benefit_cost_ratio": a.get("benefit_cost_ratio")
            or (f"{a['benefit_cost_ratio_low']}-{a['benefit_cost_ratio_high']}"
                if a.get("benefit_cost_ratio_low") else np.nan),
            "source": a.get("source", ""),
        })
    out = pd.DataFrame(rows)
    conv = [decision.convert_usd(v, y, sc) if i else (v, "scenario currency")
            for i, (v, y) in enumerate(zip(out["cost_per_daly"], out["currency_year"],
                                           strict=True))]
    out["cost_per_daly_converted"] = [c[0] for c in conv]
    out["cost_per_death_averted_converted"] = [
        decision.convert_usd(v, y, sc)[0] if i else v for i, (v, y) in enumerate(
            zip(out["cost_per_death_averted"], out["currency_year"], strict=True))]
    out["conversion"] = [c[1] for c in conv]
    return out


PATHWAY_LABELS = {  # English words stored; translated where shown (mmsis.impact.wording)
    k: (wording.PATHWAY_LABELS[k], events) for k, events in (
        ("neonatal_preterm", "neonatal_deaths_preterm"), ("neonatal_sga", "neonatal_deaths_sga"),
        ("neonatal_direct", "neonatal_deaths_direct"), ("stillbirth", "stillbirths_averted"),
        ("lbw", "lbw_averted"))}


def _pathways(sc: Scenario, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per pathway: on or off, events averted, its DALYs (central, mean, 95% UI)."""
    s = summary.set_index("measure")
    ev = evidence().model["stillbirth_daly"]
    imp = sc.impact
    on = {"neonatal_preterm": imp.neonatal_pathway == "birth_outcomes",
          "neonatal_sga": imp.neonatal_pathway == "birth_outcomes",
          "neonatal_direct": imp.neonatal_pathway == "direct",
          "stillbirth": imp.daly.include_stillbirths,
          "lbw": imp.daly.yld_per_lbw_birth > 0}
    note = {"stillbirth": ev["death_at_birth" if imp.daly.include_stillbirths else "gbd"][
        "label"] + " (switch: impact.daly.include_stillbirths)",
        "lbw": f"{imp.daly.yld_per_lbw_birth:g} discounted YLD per LBW birth averted "
               "(impact.daly.yld_per_lbw_birth)",
        "neonatal_direct": "female share "
        f"{imp.subgroups.female_share:g}: Smith 2017 female 0.85, male 1.06"
        if imp.subgroups.female_share is not None else "Keats 2019 pooled RR",
        "neonatal_preterm": "switch: impact.neonatal_pathway birth_outcomes",
        "neonatal_sga": "switch: impact.neonatal_pathway birth_outcomes"}
    total = float(s.loc["dalys_averted", "central"])
    rows = []
    for k in PATHWAYS:
        label, events = PATHWAY_LABELS[k]
        d = s.loc[f"dalys_{k}"]
        rows.append({"pathway": k, "label": label, "on": bool(on[k]),
                     "events_measure": events, "events_averted": float(s.loc[events, "central"]),
                     "dalys_central": float(d["central"]), "dalys_mean": float(d["mean"]),
                     "dalys_ui_low": float(d["ui_low"]), "dalys_ui_high": float(d["ui_high"]),
                     "share_of_dalys": float(d["central"]) / total if total > 0 else np.nan,
                     "convention": note[k]})
    return pd.DataFrame(rows)


def _swing(lo: float, hi: float) -> float:
    """|hi - lo|, with 0 when both ends are the same infinity (no DALYs either way), not NaN."""
    return 0.0 if lo == hi else abs(hi - lo)


def _tornado(units: Units, specs: list[ParamSpec], metric: str, central: float
             ) -> pd.DataFrame:
    ranged, p = tornado_params(specs)
    if not ranged:
        return pd.DataFrame(columns=["parameter", "low", "high", "output_low", "output_high",
                                     "swing", "metric"])
    y = compute(units, p)[metric]
    rows = [{"parameter": s.name, "low": s.low, "high": s.high, "output_low": float(y[2 * k]),
             "output_high": float(y[2 * k + 1]), "central": central, "metric": metric,
             "swing": _swing(float(y[2 * k]), float(y[2 * k + 1]))}
            for k, s in enumerate(ranged)]
    rows += _pathway_rows(units, specs, metric, central)
    return pd.DataFrame(rows).sort_values("swing", ascending=False).reset_index(drop=True)


def _pathway_rows(units: Units, specs: list[ParamSpec], metric: str, central: float
                  ) -> list[dict[str, Any]]:
    """A tornado row per pathway that yields DALYs: the metric with it off (low = 0) and on."""
    if metric not in ("cost_per_daly", "dalys_averted"):
        return []
    c = compute(units, central_params(specs))
    cost, dalys = float(c["incremental_cost"][0]), float(c["dalys_averted"][0])
    rows = []
    for k in PATHWAYS:
        dk = float(c[f"dalys_{k}"][0])
        if dk == 0:
            continue
        rest = dalys - dk
        off = rest if metric == "dalys_averted" else (cost / rest if rest > 0 else np.inf)
        rows.append({"parameter": f"pathway:{k}", "low": 0.0, "high": 1.0,
                     "output_low": off, "output_high": central, "central": central,
                     "metric": metric, "swing": _swing(off, central)})
    return rows


def _by_district(units: Units, p: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for i, uid in enumerate(units.ids):
        one = Units(**{**units.__dict__,
                       "ids": [uid], "births": units.births[i:i + 1],
                       "births_disc": units.births_disc[i:i + 1],
                       "pregnancies": units.pregnancies[i:i + 1],
                       "pregnancies_disc": units.pregnancies_disc[i:i + 1],
                       "baseline": {k: v[i:i + 1] for k, v in units.baseline.items()},
                       "programme_cost": 0.0, "programme_cost_disc": 0.0})
        r = compute(one, p)
        rows.append({"district": uid, **{k: float(r[k][0]) for k in (
            "births_covered", "lbw_averted", "preterm_averted", "sga_averted",
            "stillbirths_averted", "neonatal_deaths_averted", "dalys_averted")},
            "product_cost": float(r["incremental_cost"][0])})
    return pd.DataFrame(rows)


DRAWS = 10_000
"""Monte Carlo draws of every view (CLI default, web scenario page and API, report): one
answer, uncertainty intervals included (10,000 draws take about 0.2 s)."""
SEED = 2024
"""The seed of every view (the same seed and draws give the same intervals)."""


def run_impact(sc: Scenario, draws: int = DRAWS, seed: int = SEED,
               metric: str = "cost_per_daly", need: Need | None = None) -> ImpactResult:
    """Central estimate, Monte Carlo means and 95% UIs, tornado and CE anchors."""
    if draws < 2:
        from mmsis.errors import InputError

        raise InputError("need at least 2 draws", field="draws")
    units = build_units(sc, need)
    specs = param_specs(sc)
    pc = central_params(specs)
    central = compute(units, pc)
    d = compute(units, draw_params(specs, draws, np.random.default_rng(seed)))
    d = {k: np.broadcast_to(v, (draws,)) for k, v in d.items()}
    summary = _summary(central, d, draws)
    c_metric = float(central[metric][0])
    tornado = _tornado(units, specs, metric, c_metric)
    params = pd.DataFrame([s.__dict__ for s in specs])
    marks = decision.thresholds(sc)
    icer = float(central["cost_per_daly"][0])
    if not np.isfinite(icer):  # no DALYs centrally: scale the axis by the ratio of means
        icer = float(summary.set_index("measure").loc["cost_per_daly", "mean"])
    grid = decision.wtp_grid(sc, icer, marks)
    return ImpactResult(scenario=sc, measures=summary, tornado=tornado,
                        anchors=_anchors(sc, summary), by_district=_by_district(units, pc),
                        parameters=params, pathways=_pathways(sc, summary),
                        acceptability=decision.acceptability(d["dalys_averted"],
                                                             d["incremental_cost"], grid),
                        thresholds=decision.at_thresholds(marks, d["dalys_averted"],
                                                          d["incremental_cost"]),
                        draws=d)
