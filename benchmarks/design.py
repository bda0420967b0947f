"""Benchmark for mmsis.design: closed-form stepped-wedge power over a grid, simulation power.

1. Power of 10,000 stepped-wedge designs (clusters per sequence x sequences x extra periods x tau)
   with the vectorised Hussey & Hughes closed form, against a loop of `stepped_wedge_power` calls.
2. Simulated power of one design (24 districts in 4 sequences, 120 women per district-period)
   with 1,000 replicates: the vectorised cluster-period LMM against a straightforward loop of
   statsmodels MixedLM fits on the same replicates (and the cluster-period GEE on a subset).

Usage: python benchmarks/design.py [--reps 1000] [--baseline-reps 1000] [--gee-reps 50]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np


def _timed(fn, trace: bool = True):  # type: ignore[no-untyped-def]
    """Seconds (untraced run) and Python peak allocation in MiB (a second, traced run)."""
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    peak = float("nan")
    if trace:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, sec, peak


def grid_benchmark(loop_designs: int) -> None:
    from mmsis.design.stepped_wedge import (
        hh_variance,
        normal_power,
        standard_design_sums,
        stepped_wedge_power,
    )

    c, s, e, tau = np.meshgrid(np.arange(1, 26), np.arange(2, 10), np.arange(0, 5),
                               np.linspace(0.002, 0.02, 10), indexing="ij")
    c, s, e, tau = (a.ravel() for a in (c, s, e, tau))
    n, p0, p1 = 120, 0.05, 0.035
    pbar = (p0 + p1) / 2
    s2 = pbar * (1 - pbar) / n

    def vectorised() -> np.ndarray:
        i, j, u, w, v = standard_design_sums(c, s, e)
        return normal_power(p1 - p0, hh_variance(i, j, u, w, v, s2, tau**2))

    power, sec, peak = _timed(vectorised)
    idx = np.random.default_rng(1).choice(c.size, loop_designs, replace=False)

    def loop() -> list[float]:
        return [stepped_wedge_power(sequences=[int(c[k])] * int(s[k]),
                                    extra_treated_periods=int(e[k]), n=n, p0=p0, p1=p1,
                                    tau=float(tau[k])).power for k in idx]

    ref, sec_loop, _ = _timed(loop, trace=False)
    assert np.allclose(power[idx], ref, rtol=1e-9, atol=1e-12)
    per_loop = sec_loop / loop_designs
    print(f"[grid] {c.size} designs, vectorised closed form: {sec:.4f} s, peak {peak:.1f} MiB")
    print(f"[grid] loop of stepped_wedge_power on {loop_designs} designs: {sec_loop:.3f} s "
          f"({per_loop * 1e3:.3f} ms/design); "
          f"ratio per design {per_loop / (sec / c.size):.0f}x; max |diff| "
          f"{np.max(np.abs(power[idx] - ref)):.1e}")


def simulation_benchmark(reps: int, baseline_reps: int, gee_reps: int, jobs: int | None) -> None:
    from mmsis.design.simulate import _cells, analyse_loop, lmm_fast, simulate_counts
    from mmsis.design.stepped_wedge import stepped_wedge_power, sw_matrix

    x = sw_matrix([6, 6, 6, 6])
    cells = _cells(x, np.full(x.shape, 120.0))
    p0, p1, tau = 0.05, 0.035, 0.01
    counts = simulate_counts(cells, p0=p0, theta=p1 - p0, tau=tau, gamma=0.0,
                             period_effects=np.zeros(x.shape[1]), n_reps=reps,
                             rng=np.random.default_rng(2024))
    props = counts / cells.n
    z = 1.959963984540054
    (est, se), sec, peak = _timed(lambda: lmm_fast(cells, props))
    power = float(np.mean(np.abs(est / se) > z))
    mcse = np.sqrt(power * (1 - power) / reps)
    analytic = stepped_wedge_power(x, n=120, p0=p0, p1=p1, tau=tau).power
    print(f"[sim] {reps} replicates, lmm-fast: {sec:.3f} s, peak {peak:.1f} MiB, power "
          f"{power:.3f} (MC SE {mcse:.3f}; closed form {analytic:.3f})")
    b = min(baseline_reps, reps)
    (best, bse), bsec, _ = _timed(lambda: analyse_loop("mixedlm", cells, counts[:b], 1),
                                  trace=False)
    ok = np.isfinite(best)
    bpower = float(np.mean(np.abs(best[ok] / bse[ok]) > z))
    fast_reject = np.abs(est[:b][ok] / se[:b][ok]) > z
    agree = float(np.mean((np.abs(best[ok] / bse[ok]) > z) == fast_reject))
    print(f"[sim] statsmodels MixedLM loop (1 process) on {b} replicates: {bsec:.2f} s, "
          f"power {bpower:.3f} (lmm-fast on the same: {fast_reject.mean():.3f}; "
          f"decisions agree in {agree:.3f}; max |theta diff| "
          f"{np.max(np.abs(best[ok] - est[:b][ok])):.1e})")
    print(f"[sim] ratio per replicate MixedLM loop / lmm-fast: "
          f"{(bsec / b) / (sec / reps):.0f}x")
    if gee_reps:
        g = min(gee_reps, reps)
        _, gsec, _ = _timed(lambda: analyse_loop("gee", cells, counts[:g], jobs), trace=False)
        print(f"[sim] cluster-period GEE loop ({jobs or 'all'} processes) on {g} replicates: "
              f"{gsec:.2f} s ({gsec / g * 1e3:.0f} ms/replicate); ratio per replicate "
              f"{(gsec / g) / (sec / reps):.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--baseline-reps", type=int, default=1000)
    ap.add_argument("--gee-reps", type=int, default=50)
    ap.add_argument("--loop-designs", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    grid_benchmark(args.loop_designs)
    simulation_benchmark(args.reps, args.baseline_reps, args.gee_reps, args.jobs)
    import resource

    print(f"[all] process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          " MiB")


if __name__ == "__main__":
    main()
