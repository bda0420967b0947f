"""Properties of the stock projection on random demand and policies (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mmsis.forecast.inventory import Policy, simulate

demand = st.lists(st.floats(0, 1e4), min_size=1, max_size=30)


@settings(max_examples=30, deadline=None)
@given(demand, st.floats(0, 4), st.floats(0.5, 5), st.integers(0, 6), st.sampled_from([1, 3]),
       st.integers(1, 24), st.integers(1, 500), st.floats(0, 5e4), st.integers(0, 40))
def test_mass_balance(d: list[float], lo: float, extra: float, lead: int, review: int,
                      shelf: int, pack: int, opening: float, exp: int) -> None:
    """Opening + received = consumed + expired + closing, and nothing goes negative."""
    pol = Policy(lo, lo + extra, lead, review, shelf, pack)
    p = simulate(np.array([d]), pol, np.array([[opening]]), np.array([exp]))
    total_in = opening + p.received.sum()
    total_out = p.consumed.sum() + p.expired.sum() + p.stock_end[0, -1]
    assert np.isclose(total_in, total_out, rtol=1e-9, atol=1e-6)
    assert (p.stock_end >= -1e-9).all() and (p.shortage >= 0).all()
    assert np.allclose(p.order_tablets % pack, 0)
    assert np.isclose(p.order_tablets.sum(), p.batch_qty[0, 1:].sum())


@settings(max_examples=20, deadline=None)
@given(st.floats(10, 1e4), st.integers(0, 6), st.sampled_from([1, 3]), st.floats(1, 3))
def test_no_stockout_with_enough_opening_stock(level: float, lead: int, review: int,
                                               mn: float) -> None:
    """Constant demand, max - min >= review period, opening stock covering lead time + min +
    review: the policy never runs out within the horizon."""
    pol = Policy(mn, mn + review + 1, lead, review, 60, 1)
    opening = level * (lead + mn + review + 1)
    p = simulate(np.full((1, 36), level), pol, np.array([[opening]]), np.array([100]))
    assert p.shortage[0, :36].max() == 0
