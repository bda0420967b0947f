"""Hand-checked stock projections: steady state, lead time, FEFO and expiry."""

from __future__ import annotations

import numpy as np

from mmsis.forecast.inventory import Policy, simulate


def test_steady_state_stays_between_min_and_max() -> None:
    # 100/month, min 3, max 6, no lead time: order 300 whenever stock would drop under 300.
    d = np.full((1, 12), 100.0)
    p = simulate(d, Policy(3, 6, 0, 1, 30, 1), np.array([[600.0]]), np.array([30]))
    assert p.stock_end[0, :12].tolist() == [500, 400, 300] * 4
    assert p.order_tablets[0].tolist() == [0, 0, 0] + [300, 0, 0] * 3
    assert p.shortage[0, :12].sum() == 0
    assert (p.stock_start[0, :12] + p.received[0, :12] <= 600).all()


def test_lead_time_delays_first_delivery() -> None:
    # No opening stock, lead time 2: order 600 at month 0 arrives in month 2; months 0-1 short.
    d = np.full((1, 12), 100.0)
    p = simulate(d, Policy(3, 6, 2, 1, 30, 1), np.zeros((1, 0)), np.zeros(0))
    assert p.order_tablets[0, 0] == 600
    assert p.received[0, 2] == 600
    assert p.shortage[0, :3].tolist() == [100, 100, 0]
    assert p.stock_end[0, 2:12].tolist() == [500, 400, 300, 500, 400, 300, 500, 400, 300, 500]
    # The month-3 order (300) arrives in month 5, when stock would otherwise hit 200.
    assert p.order_tablets[0, 3] == 300 and p.received[0, 5] == 300


def test_expiry_writes_off_unused_stock() -> None:
    d = np.full((1, 12), 100.0)
    p = simulate(d, Policy(3, 6, 0, 1, 30, 1), np.array([[1000.0]]), np.array([5]),
                 allow_orders=False)
    assert p.consumed[0, :6].tolist() == [100, 100, 100, 100, 100, 0]
    assert p.expired[0, 5] == 500
    assert p.batch_expired[0, 0] == 500


def test_fefo_uses_earliest_expiry_first() -> None:
    d = np.full((1, 6), 100.0)
    q = np.array([[300.0, 300.0]])
    p = simulate(d, Policy(0, 1, 0, 1, 30, 1), q, np.array([10, 2]), allow_orders=False)
    # batch 2 (expires month 2) is used in months 0-1, its last 100 expire at month 2.
    assert p.batch_consumed[0, 1] == 200
    assert p.batch_expired[0, 1] == 100
    assert p.batch_consumed[0, 0] == 300


def test_orders_are_whole_packs_and_quarterly() -> None:
    d = np.full((1, 12), 100.0)
    p = simulate(d, Policy(3, 6, 0, 3, 30, 180), np.zeros((1, 0)), np.zeros(0))
    placed = np.nonzero(p.order_tablets[0])[0]
    assert all(t % 3 == 0 for t in placed)
    assert np.allclose(p.order_tablets[0] % 180, 0)


def test_vectorised_points_are_independent() -> None:
    d = np.array([[100.0] * 12, [50.0] * 12])
    p = simulate(d, Policy(3, 6, 0, 1, 30, 1), np.array([[600.0], [300.0]]), np.array([30]))
    assert p.stock_end[0, :12].tolist() == [500, 400, 300] * 4
    assert p.stock_end[1, :12].tolist() == [250, 200, 150] * 4


def test_step_in_demand_is_anticipated_through_lead_time() -> None:
    # Demand steps from 100 to 200 in month 6; lead time 2, min 2, max 4 months.
    # Hand check: month 1 sees forward demand 125 (months 3-6) and orders 4 x 125 - 200 = 300;
    # month 3 sees 175 (months 5-8) and orders 700 - 300 = 400; then 400 every other month.
    d = np.array([[100.0] * 6 + [200.0] * 10])
    p = simulate(d, Policy(2, 4, 2, 1, 30, 1), np.array([[500.0]]), np.array([30]))
    assert p.order_tablets[0, :6].tolist() == [0, 300, 0, 400, 0, 400]
    assert p.received[0, 3] == 300 and p.received[0, 5] == 400
    assert p.stock_end[0, :8].tolist() == [400, 300, 200, 400, 300, 600, 400, 600]
    assert p.shortage[0, :16].sum() == 0
    assert p.stock_end[0, 6:16].min() >= 2 * 200
