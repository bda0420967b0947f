"""Independent cross-check: a plain month-by-month loop written from docs/forecast-impact.md
(need, max-min order rule with lead time and review period, FEFO, expiry, budget) must give
the engine's numbers on small staggered roll-outs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from mmsis.forecast import run_forecast, scenario_from_dict


def _mi(s: str) -> int:
    y, m = s.split("-")
    return int(y) * 12 + int(m) - 1


def _need(cfg: dict[str, Any]) -> tuple[list[float], list[float]]:
    """National MMS and IFA tablets needed by month, one woman at a time."""
    start, h = _mi(cfg["start"]), cfg["horizon_months"]
    reg = cfg["regimen"]
    per = reg["tablets_per_pregnancy"] * reg["dispensed_share"] * (1 + reg["wastage"])
    dm_mms, dm_ifa = math.ceil(180 / cfg["mms"]["pack_size"]), 6
    mms, ifa = [0.0] * h, [0.0] * h
    for d in cfg["geography"]["districts"]:
        clients = d["population"] * 0.03 * 1.07 / 12 * d.get("anc1_coverage", 0.85)
        e = next(r for r in cfg["rollout"]["districts"] if r["district"] == d["id"])
        sw, ramp = _mi(e["start"]), e.get("ramp_months", cfg["rollout"]["ramp_months"])

        def share(t: int, sw: int = sw, ramp: int = ramp) -> float:
            k = start + t - sw
            return 0.0 if k < 0 else min(1.0, (k + 1) / ramp)

        for t in range(h):
            mms[t] += sum(clients * share(t - j) * per / dm_mms for j in range(dm_mms))
            ifa[t] += sum(clients * (1 - share(t - j)) * per / dm_ifa for j in range(dm_ifa))
    return mms, ifa


def _simulate(dem: list[float], inv: dict[str, Any], shelf: int, pack: int,
              opening: list[tuple[float, int]], h: int) -> tuple[list[float], list[int]]:
    """Stock at month end and packs ordered, by the documented max-min rule."""
    lt, rev, mn, mx = (inv["lead_time_months"], inv["review_period_months"],
                       inv["min_months"], inv["max_months"])

    def d(s: int) -> float:
        return dem[min(s, len(dem) - 1)]  # demand held at its last level

    batches = [[q, e] for q, e in opening]
    arriving: dict[int, list[list[float]]] = {}
    orders, end = [0] * h, []
    for t in range(h):
        batches += arriving.pop(t, [])
        for b in batches:
            if b[1] <= t:
                b[0] = 0.0
        if t % rev == 0:
            a = t + lt
            dbar = sum(d(s) for s in range(a, a + math.ceil(mx))) / math.ceil(mx)
            proj = sum(b[0] for b in batches)
            for s in range(t, a):
                proj = max(proj - d(s), 0.0) + sum(q for q, _ in arriving.get(s + 1, []))
            if dbar > 0 and proj - sum(d(s) for s in range(a, a + rev)) < mn * dbar - 1e-9:
                orders[t] = max(math.ceil((mx * dbar - proj) / pack - 1e-9), 0)
                lot = [float(orders[t] * pack), float(a + shelf)]
                if lt == 0:
                    batches.append(lot)
                else:
                    arriving.setdefault(a, []).append(lot)
        want = d(t)
        for b in sorted(batches, key=lambda b: b[1]):
            take = min(b[0], want)
            b[0] -= take
            want -= take
        end.append(sum(b[0] for b in batches))
    return end, orders


@pytest.mark.parametrize(
    ("lead", "review", "pack", "b_start", "ifa_open"),
    [(0, 1, 180, "2025-06", 0.0), (3, 3, 60, "2025-09", 3.0e6), (6, 3, 180, "2026-01", 8.0e5)],
)
def test_engine_matches_independent_month_loop(lead: int, review: int, pack: int,
                                               b_start: str, ifa_open: float) -> None:
    cfg: dict[str, Any] = {
        "start": "2025-03", "horizon_months": 24,
        "geography": {"level": "district", "districts": [
            {"id": "A", "population": 120_000},
            {"id": "B", "population": 333_333, "anc1_coverage": 0.6}]},
        "pregnancies": {"method": "population", "crude_birth_rate": 0.03,
                        "pregnancy_loss_adjustment": 1.07},
        "anc1_coverage": 0.85,
        "rollout": {"ramp_months": 6, "uptake": 1.0, "districts": [
            {"district": "A", "start": "2025-03", "ramp_months": 1},
            {"district": "B", "start": b_start}]},
        "regimen": {"tablets_per_pregnancy": 180, "adherence": 0.7, "dispensed_share": 0.9,
                    "wastage": 0.05},
        "mms": {"pack_size": pack, "price_per_tablet": 0.015},
        "ifa": {"pack_size": 1000, "price_per_tablet": 0.004},
        "freight_pct": 0.15, "distribution_pct": 0.10,
        "inventory": {"level": "national", "min_months": 3, "max_months": 6,
                      "lead_time_months": lead, "review_period_months": review,
                      "opening_stock": {"mms": 50_000,
                                        "ifa": [{"tablets": ifa_open, "expires": "2026-02"}]}},
    }
    fc = run_forecast(scenario_from_dict(cfg))
    m = fc.months
    h, inv = 24, cfg["inventory"]
    mms, ifa = _need(cfg)
    np.testing.assert_allclose(m["mms_tablets_needed"], mms, rtol=1e-9)
    np.testing.assert_allclose(m["ifa_tablets_needed"], ifa, rtol=1e-9)
    mms_end, mms_ord = _simulate(mms, inv, 30, pack, [(50_000.0, 30)], h)
    ifa_end, ifa_ord = _simulate(ifa, inv, 36, 1000, [(ifa_open, _mi("2026-02") - _mi("2025-03"))],
                                 h)
    np.testing.assert_allclose(m["mms_stock_end_tablets"], mms_end, rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(m["mms_order_packs"], mms_ord)
    np.testing.assert_allclose(m["ifa_stock_end_tablets"], ifa_end, rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(m["ifa_order_packs"], ifa_ord)
    # IFA is not re-ordered for arrival after its last course ends (B at full uptake in its
    # 6th month, whose last IFA clients finish 5 months later)
    ifa_over = _mi(b_start) - _mi("2025-03") + 10
    assert ifa[min(ifa_over, h - 1)] == 0.0 or ifa_over >= h
    assert sum(ifa_ord[max(ifa_over - lead, 0):]) == 0
    # budget: orders placed in a calendar year x price x (1 + freight + distribution)
    for year, row in fc.budget.set_index("year").iterrows():
        ts = [t for t in range(h) if (_mi("2025-03") + t) // 12 == year]
        want = (sum(mms_ord[t] for t in ts) * pack * 0.015
                + sum(ifa_ord[t] for t in ts) * 1000 * 0.004) * 1.25
        assert row["total"] == pytest.approx(want, rel=1e-9, abs=1e-9)
