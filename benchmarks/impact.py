"""Benchmark: Monte Carlo impact/CE model, 10,000 draws over 100 districts.

Times the vectorised hot path (draws -> all outputs) against a baseline that evaluates the same
model one draw at a time (the spreadsheet way), on the same generated scenario, and prints
seconds, peak memory (tracemalloc) and the speed ratio. Usage:
    python benchmarks/impact.py [--draws 10000] [--districts 100] [--baseline-draws 1000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from mmsis.forecast.scenario import scenario_from_dict
from mmsis.impact.engine import build_units
from mmsis.impact.model import compute
from mmsis.impact.params import draw_params, param_specs


def scenario(n_districts: int, seed: int = 1) -> dict:
    """A district scenario with varied populations, baselines and staggered roll-out."""
    rng = np.random.default_rng(seed)
    districts = [{"id": f"D{i:03d}", "population": int(rng.integers(50_000, 800_000)),
                  "baseline_lbw": float(rng.uniform(0.08, 0.3)),
                  "baseline_neonatal_mortality": float(rng.uniform(0.01, 0.04))}
                 for i in range(n_districts)]
    rollout = [{"district": d["id"], "start": f"{2025 + i % 3}-{1 + (i * 5) % 12:02d}"}
               for i, d in enumerate(districts)]
    return {"start": "2025-01", "horizon_months": 36,
            "geography": {"level": "district", "districts": districts},
            "pregnancies": {"method": "population", "crude_birth_rate": 0.033},
            "rollout": {"districts": rollout},
            "uncertain": {"mms.price_per_tablet": {"low": 0.01, "high": 0.02},
                          "impact.baseline.lbw": {"low": 0.12, "high": 0.18},
                          "programme_costs": {"low": 0.8, "high": 1.5}}}


def main() -> None:
    """Run the benchmark and print the timings."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--districts", type=int, default=100)
    ap.add_argument("--baseline-draws", type=int, default=1_000)
    a = ap.parse_args()
    sc = scenario_from_dict(scenario(a.districts))
    units = build_units(sc)
    specs = param_specs(sc)
    compute(units, draw_params(specs, 10, np.random.default_rng(0)))  # warm up

    tracemalloc.start()
    t0 = time.perf_counter()
    out = compute(units, draw_params(specs, a.draws, np.random.default_rng(1)))
    fast = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for _ in range(a.baseline_draws):
        compute(units, draw_params(specs, 1, rng))
    slow = (time.perf_counter() - t0) * a.draws / a.baseline_draws

    print(f"impact Monte Carlo: {a.draws} draws x {a.districts} districts")
    print(f"  vectorised: {fast:.3f} s, peak memory {peak / 1e6:.1f} MB, "
          f"DALYs averted mean {out['dalys_averted'].mean():,.0f}")
    print(f"  baseline (one draw at a time, {a.baseline_draws} draws timed, scaled to "
          f"{a.draws}): {slow:.3f} s")
    print(f"  ratio baseline / vectorised: {slow / fast:.1f}x")
    from mmsis.impact.engine import run_impact

    t0 = time.perf_counter()
    run_impact(sc, draws=a.draws, seed=1)
    print(f"  end to end run_impact (need, draws, tornado, by district): "
          f"{time.perf_counter() - t0:.3f} s")
    from mmsis.forecast.engine import run_forecast

    data = scenario(a.districts)
    data["inventory"] = {"level": "district"}
    t0 = time.perf_counter()
    run_forecast(scenario_from_dict(data))
    print(f"  run_forecast, {a.districts} district stock points x 36 months: "
          f"{time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
