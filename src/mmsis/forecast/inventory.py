"""Stock projection with a max-min order policy, lead time and FEFO expiry, for many stock points.

Month t runs: orders placed at t-L arrive; batches whose expiry month has come are written off;
at a review month an order is decided; then the month's demand is met first-expiry-first-out.

Order rule (periodic review every R months, lead time L): project the stock at the start of the
arrival month a = t+L from stock on hand, the orders already in the pipeline and forecast demand
(unmet demand is lost, stock never below 0). With D = mean demand over the max_months months
from a, order when the projected stock minus the demand of the R months after arrival falls
below min_months x D, enough to bring the stock at arrival up to max_months x D, in whole packs.
Everything is vectorised over stock points (the nation or each district).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Policy:
    """Max-min policy in months of forward demand."""

    min_months: float
    max_months: float
    lead_time: int
    review: int
    shelf_life: int
    pack_size: int


@dataclass(frozen=True)
class Projection:
    """Simulated arrays of shape (points, months) over horizon + tail, and per-batch results."""

    horizon: int
    stock_start: np.ndarray
    received: np.ndarray
    expired: np.ndarray
    consumed: np.ndarray
    shortage: np.ndarray
    stock_end: np.ndarray
    order_packs: np.ndarray
    order_tablets: np.ndarray
    forward_demand: np.ndarray
    batch_label: list[str]
    batch_arrival: np.ndarray  # month index relative to start (-1 for opening stock)
    batch_expiry: np.ndarray
    batch_qty: np.ndarray  # (points, batches) tablets received
    batch_consumed: np.ndarray
    batch_expired: np.ndarray


def _extend(demand: np.ndarray, total: int) -> np.ndarray:
    """Continue demand past the horizon at the last month's level (the programme goes on)."""
    p, t = demand.shape
    if total <= t:
        return demand[:, :total]
    tail = np.repeat(demand[:, -1:], total - t, axis=1)
    return np.concatenate([demand, tail], axis=1)


def simulate(
    demand: np.ndarray,
    policy: Policy,
    opening_qty: np.ndarray,
    opening_expiry: np.ndarray,
    allow_orders: bool = True,
) -> Projection:
    """Project stock for demand (points x horizon months); opening batches (points x k) with
    expiry month indices relative to the start (shared by points)."""
    demand = np.asarray(demand, float)
    n_pts, horizon = demand.shape
    L, R = policy.lead_time, policy.review
    max_exp = int(opening_expiry.max()) if opening_expiry.size else 0
    total = max(horizon + L + policy.shelf_life + 1, max_exp + 1)
    look = total + L + int(np.ceil(policy.max_months)) + R + 1
    dem = _extend(demand, look)
    k = opening_qty.shape[1]
    n_b = k + horizon
    expiry = np.concatenate([opening_expiry.astype(int),
                             np.arange(horizon) + L + policy.shelf_life])
    arrival = np.concatenate([np.full(k, -1), np.arange(horizon) + L])
    fefo = np.argsort(expiry, kind="stable")
    qty = np.zeros((n_pts, n_b))
    qty[:, :k] = opening_qty
    received_b = qty.copy()
    consumed_b = np.zeros_like(qty)
    expired_b = np.zeros_like(qty)
    pipeline = np.zeros((n_pts, look + 1))  # arrivals by month
    shape = (n_pts, total)
    stock_start, received, expired, consumed, shortage, stock_end, fwd = (
        np.zeros(shape) for _ in range(7))
    order_packs = np.zeros((n_pts, horizon))
    order_tab = np.zeros((n_pts, horizon))
    nmax = max(1, int(np.ceil(policy.max_months)))
    for t in range(total):
        stock_start[:, t] = qty.sum(axis=1)
        if L == 0 or t >= L:
            src = t - L
            if 0 <= src < horizon and L > 0:
                qty[:, k + src] += order_tab[:, src]
                received_b[:, k + src] += order_tab[:, src]
                received[:, t] += order_tab[:, src]
        dead = expiry <= t
        if dead.any():
            gone = qty[:, dead]
            expired[:, t] = gone.sum(axis=1)
            expired_b[:, dead] += gone
            qty[:, dead] = 0.0
        a = t + L
        fwd[:, t] = dem[:, t + 1: t + 1 + nmax].mean(axis=1)  # for months of stock at end
        if allow_orders and t < horizon and t % R == 0:
            d_bar = dem[:, a: a + nmax].mean(axis=1)
            proj = qty.sum(axis=1)
            for s in range(t, a):
                proj = np.maximum(proj - dem[:, s], 0.0) + pipeline[:, s + 1]
            after = dem[:, a: a + R].sum(axis=1)
            need = (proj - after < policy.min_months * d_bar - 1e-9) & (d_bar > 0)
            q = np.where(need, policy.max_months * d_bar - proj, 0.0)
            packs = np.maximum(np.ceil(q / policy.pack_size - 1e-9), 0.0) + 0.0
            order_packs[:, t] = packs
            order_tab[:, t] = packs * policy.pack_size
            pipeline[:, a] += order_tab[:, t]
            if L == 0:
                qty[:, k + t] += order_tab[:, t]
                received_b[:, k + t] += order_tab[:, t]
                received[:, t] += order_tab[:, t]
        q_sorted = qty[:, fefo]
        cum = np.cumsum(q_sorted, axis=1)
        take = np.clip(dem[:, t: t + 1] - (cum - q_sorted), 0.0, q_sorted)
        qty[:, fefo] -= take
        consumed_b[:, fefo] += take
        consumed[:, t] = take.sum(axis=1)
        gap = dem[:, t] - consumed[:, t]
        shortage[:, t] = np.where(gap > 1e-6 * np.maximum(dem[:, t], 1.0), gap, 0.0)
        stock_end[:, t] = qty.sum(axis=1)
    labels = [f"opening {i + 1}" for i in range(k)] + [f"order {i}" for i in range(horizon)]
    return Projection(
        horizon=horizon, stock_start=stock_start, received=received, expired=expired,
        consumed=consumed, shortage=shortage, stock_end=stock_end, order_packs=order_packs,
        order_tablets=order_tab, forward_demand=fwd, batch_label=labels,
        batch_arrival=arrival, batch_expiry=expiry, batch_qty=received_b,
        batch_consumed=consumed_b, batch_expired=expired_b,
    )
