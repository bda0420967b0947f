"""Run a supply forecast: need, stock projection and orders for MMS and IFA, expiry, budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmsis.forecast.budget import budget_by_year, programme_by_phase
from mmsis.forecast.consumption import consumption_forecast
from mmsis.forecast.inventory import Policy, Projection, simulate
from mmsis.forecast.need import Need, annual_pregnancies, demographic_need
from mmsis.forecast.scenario import Batch, Scenario, month_index, month_label
from mmsis.results import summary_html

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass
class ForecastResult:
    """Tables of a supply forecast (implements `mmsis.results.Result`).

    `summary` is the protocol's tidy table (quantity, estimate, method: a projection has no
    standard error or interval); `totals` is the same key totals as item, value, the table
    the CLI prints and `to_dict()` exports under "summary".
    """

    scenario: Scenario
    months: pd.DataFrame
    orders: pd.DataFrame
    budget: pd.DataFrame
    need: pd.DataFrame
    expiry: pd.DataFrame
    consumption: pd.DataFrame | None = None
    programme: pd.DataFrame | None = None
    _raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """The key totals as the protocol's tidy table: quantity, estimate, method."""
        t = self.totals
        return pd.DataFrame({"quantity": t["item"], "estimate": t["value"].astype(float),
                             "method": "deterministic projection over the scenario's horizon "
                                       "(mmsis.forecast.engine.run_forecast)"})

    @property
    def totals(self) -> pd.DataFrame:
        """Key totals over the horizon: item, value (the exported summary)."""
        m, e = self.months, self.expiry
        rows = [
            ("pregnancies covered by MMS", m["pregnancies_covered"].sum()),
            ("MMS tablets needed", m["mms_tablets_needed"].sum()),
            ("IFA tablets needed", m["ifa_tablets_needed"].sum()),
            ("MMS packs ordered", self.orders.loc[self.orders["product"] == "mms",
                                                  "packs"].sum()),
            ("IFA packs ordered", self.orders.loc[self.orders["product"] == "ifa",
                                                  "packs"].sum()),
            ("MMS tablets short", m["mms_shortage_tablets"].sum()),
            ("IFA tablets short", m["ifa_shortage_tablets"].sum()),
            ("IFA tablets expired in horizon",
             e.loc[e["product"] == "ifa", "expired_in_horizon"].sum()),
            ("IFA tablets at risk of expiry after horizon",
             e.loc[e["product"] == "ifa", "expired_after_horizon"].sum()),
            (f"total budget ({self.scenario.currency})", self.budget["total"].sum()),
        ]
        return pd.DataFrame(rows, columns=["item", "value"])

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON contract: months, orders, budget (+ expiry, consumption, summary)."""
        return {
            "scenario": self.scenario.name,
            "currency": self.scenario.currency,
            "currency_year": self.scenario.currency_year,
            "months": self.months,
            "orders": self.orders,
            "budget": self.budget,
            "expiry": self.expiry,
            "need": self.need,
            "programme": self.programme,
            "consumption": self.consumption,
            "summary": self.totals,
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """The stock projection against need (the other charts: `mmsis.forecast.charts`)."""
        from mmsis.forecast.charts import stock_axes

        return stock_axes(self, ax)

    def _repr_html_(self) -> str:
        """The key totals, for notebooks."""
        return summary_html(self, f"Forecast: {self.scenario.name}")


def _opening(sc: Scenario, batches: list[Batch], col: str, shelf: int,
             weights: np.ndarray, districts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Opening stock as (points x batches) tablets and expiry months relative to start."""
    start = sc.start_index
    exp = np.array([(month_index(b.expires) - start) if b.expires else shelf for b in batches],
                   dtype=int)
    qty = np.array([b.tablets for b in batches], float)
    local = districts[col] if col in districts else pd.Series(dtype=float)
    if sc.inventory.level == "national":
        if not batches and local.notna().any():  # district stock held nationally: its sum
            return np.array([[local.fillna(0.0).sum()]]), np.array([shelf])
        return qty[None, :], exp
    if local.notna().any():
        q = local.fillna(0.0).to_numpy(float)[:, None]
        e = np.array([exp.min() if len(exp) else shelf])
        return q, e
    return weights[:, None] * qty[None, :], exp


def _project(sc: Scenario, need: Need, product: str) -> Projection:
    prod = sc.mms if product == "mms" else sc.ifa
    demand = need.mms_tablets if product == "mms" else need.ifa_tablets
    weights = annual_pregnancies(sc).reindex(need.units).to_numpy(float)
    weights = weights / weights.sum() if weights.sum() > 0 else weights
    if sc.inventory.level == "national":
        demand = demand.sum(axis=0, keepdims=True)
    batches = getattr(sc.inventory.opening_stock, product)
    q, e = _opening(sc, batches, f"opening_{product}", prod.shelf_life_months, weights,
                    sc.district_table())
    policy = Policy(
        min_months=sc.inventory.min_months, max_months=sc.inventory.max_months,
        lead_time=sc.inventory.lead_time_months, review=sc.inventory.review_period_months,
        shelf_life=prod.shelf_life_months, pack_size=prod.pack_size,
    )
    return simulate(demand, policy, q, e)


def _expiry_table(sc: Scenario, p: Projection, product: str, points: list[str]) -> pd.DataFrame:
    start, horizon = sc.start_index, p.horizon
    rows = []
    for b, label in enumerate(p.batch_label):
        got = p.batch_qty[:, b].sum()
        if got <= 0:
            continue
        exp_rel = int(p.batch_expiry[b])
        expired = p.batch_expired[:, b].sum()
        arrival = int(p.batch_arrival[b])
        rows.append({
            "product": product,
            "batch": label if label.startswith("opening") else
            f"order placed {month_label(start + int(label.split()[1]))}",
            "received": month_label(start + arrival) if arrival >= 0 else "opening",
            "expires": month_label(start + exp_rel),
            "tablets": got,
            "consumed": p.batch_consumed[:, b].sum(),
            "expired_in_horizon": expired if exp_rel < horizon else 0.0,
            "expired_after_horizon": expired if exp_rel >= horizon else 0.0,
        })
    cols = ["product", "batch", "received", "expires", "tablets", "consumed",
            "expired_in_horizon", "expired_after_horizon"]
    return pd.DataFrame(rows, columns=cols)


def run_forecast(sc: Scenario, history: pd.DataFrame | None = None) -> ForecastResult:
    """Forecast need, stock, orders, expiry and budget; `history` enables the consumption
    method (see mmsis.forecast.consumption)."""
    need = demographic_need(sc)
    proj = {p: _project(sc, need, p) for p in ("mms", "ifa")}
    h = sc.horizon_months
    nt = need.table()
    if sc.inventory.level == "national":
        points = ["national"]
        keys = ["mms_tablets_needed", "mms_packs_needed", "ifa_tablets_needed",
                "pregnancies", "anc1_clients", "pregnancies_covered", "ifa_pregnancies"]
        months = nt.groupby("month", as_index=False)[keys].sum()
        months.insert(1, "district", need.units[0] if len(need.units) == 1 else "national")
    else:
        points = need.units
        months = nt.drop(columns=["mms_share"]).copy()
    pack = sc.mms.pack_size
    for prod, p in proj.items():
        months[f"{prod}_stock_end_tablets"] = p.stock_end[:, :h].ravel()
        months[f"{prod}_received_tablets"] = p.received[:, :h].ravel()
        months[f"{prod}_expired_tablets"] = p.expired[:, :h].ravel()
        months[f"{prod}_shortage_tablets"] = p.shortage[:, :h].ravel()
        fwd = p.forward_demand[:, :h].ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            months[f"{prod}_months_of_stock"] = np.where(fwd > 0, p.stock_end[:, :h].ravel()
                                                         / fwd, np.nan)
        months[f"{prod}_order_packs"] = p.order_packs.ravel()
    months["stock_end"] = months["mms_stock_end_tablets"] / pack
    months["order_packs"] = months["mms_order_packs"]
    first = ["month"] + (["district"] if "district" in months else []) + [
        "pregnancies_covered", "mms_tablets_needed", "mms_packs_needed", "ifa_tablets_needed",
        "stock_end", "order_packs"]
    months = months[first + [c for c in months.columns if c not in first]]
    orders = []
    for prod, p in proj.items():
        prod_in = sc.mms if prod == "mms" else sc.ifa
        for i, pt in enumerate(points):
            for t in np.nonzero(p.order_packs[i])[0]:
                tabs = float(p.order_tablets[i, t])
                orders.append({
                    "product": prod, "district": pt,
                    "order_month": month_label(sc.start_index + int(t)),
                    "arrival_month": month_label(sc.start_index + int(t)
                                                 + sc.inventory.lead_time_months),
                    "packs": float(p.order_packs[i, t]), "pack_size": prod_in.pack_size,
                    "tablets": tabs, "cost": tabs * prod_in.price_per_tablet
                    * (1 + sc.freight_pct + sc.distribution_pct),
                })
    orders_df = pd.DataFrame(orders, columns=["product", "district", "order_month",
                                              "arrival_month", "packs", "pack_size",
                                              "tablets", "cost"])
    budget = budget_by_year(sc, proj["mms"].order_tablets.sum(axis=0),
                            proj["ifa"].order_tablets.sum(axis=0))
    expiry = pd.concat([_expiry_table(sc, proj[p], p, points) for p in ("mms", "ifa")],
                       ignore_index=True)
    comp = None
    if history is not None:
        comp = consumption_forecast(history, need, sc.consumption.months if sc.consumption
                                    else 6)
    elif sc.consumption is not None:
        from mmsis.forecast.consumption import read_history
        from mmsis.forecast.store_io import history_from_store

        hist = (read_history(sc.consumption.file) if sc.consumption.file
                else history_from_store(str(sc.consumption.store)))
        comp = consumption_forecast(hist, need, sc.consumption.months)
    return ForecastResult(scenario=sc, months=months.reset_index(drop=True), orders=orders_df,
                          budget=budget, need=nt, expiry=expiry, consumption=comp,
                          programme=programme_by_phase(sc),
                          _raw={"need": need, "projection": proj})
