"""Benchmark for mmsis.evaluate on generated data.

1. DiD over a district-month panel (units x 48 months, six start cohorts): `fit_did` (TWFE,
   did2s, two event studies and the TWFE weights, all through pyfixest) against a single
   statsmodels OLS with unit and month dummies plus cluster-robust SEs (the TWFE estimate only).
2. Stepped-wedge binary GLMM: mmsis' adaptive-quadrature fit (25 nodes) against statsmodels'
   variational-Bayes BinomialBayesMixedGLM (faster, but its SEs are not usable; docs/evaluate.md).
3. ITS per district: quasi-Poisson with harmonics for every unit of the panel.

Usage: python benchmarks/evaluate.py [--units 24] [--clusters 24] [--women 50]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def _timed(fn):  # type: ignore[no-untyped-def]
    """Seconds (untraced run) and Python peak allocation in MiB (a second, traced run)."""
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, sec, peak


def panel(units: int, seed: int = 0) -> pd.DataFrame:
    """Log-linear monthly counts with a 10% level change at staggered starts."""
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(48), units)
    u = np.repeat(np.arange(units), 48)
    start = np.array([18, 24, 27, 30, 36, 42])[np.arange(units) % 6][u]
    month = t % 12 + 1
    mu = 1000 * np.exp(0.1 * rng.normal(size=units)[u] + 0.002 * t
                       + 0.1 * np.cos(2 * np.pi * month / 12) + np.log(1.1) * (t >= start))
    y = rng.poisson(mu * rng.lognormal(0, 0.05, size=len(t)))
    return pd.DataFrame({"unit": u, "t": t, "month": month, "y": y.astype(float),
                         "start": start, "mms": (t >= start).astype(int), "pop": 1e5})


def sw_binary(clusters: int, women: int, seed: int = 1) -> pd.DataFrame:
    """Stepped wedge, 5 periods, 4 sequences, binary outcome with cluster random intercepts."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(clusters):
        start, u = 1 + c % 4, rng.normal(0, 0.4)
        for p in range(5):
            eta = -1 + 0.2 * p + 0.5 * (p >= start) + u
            ys = rng.binomial(1, 1 / (1 + np.exp(-eta)), size=women)
            rows += [(f"c{c}", p, int(p >= start), y) for y in ys]
    return pd.DataFrame(rows, columns=["cluster", "period", "trt", "y"])


def report(name: str, ours: tuple[float, float], base: tuple[float, float] | None) -> None:
    line = f"{name:<34} mmsis {ours[0]:7.2f} s  peak {ours[1]:7.1f} MiB"
    if base is not None:
        line += f" | baseline {base[0]:7.2f} s  peak {base[1]:7.1f} MiB"
        line += f" | ratio {ours[0] / base[0]:.2f}"
    print(line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=24)
    ap.add_argument("--clusters", type=int, default=24)
    ap.add_argument("--women", type=int, default=50)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from mmsis.evaluate import fit_did, fit_its, fit_stepped_wedge

    df = panel(args.units)
    fit_did(df, "y", "unit", "t", "start", log_outcome=True)  # warm up pyfixest / numba
    r, s, m = _timed(lambda: fit_did(df, "y", "unit", "t", "start", log_outcome=True))
    ols = lambda: smf.ols("np.log(y) ~ mms + C(unit) + C(t)", df).fit(  # noqa: E731
        cov_type="cluster", cov_kwds={"groups": df["unit"]})
    b, bs, bm = _timed(ols)
    report(f"DiD, {args.units} units x 48 months", (s, m), (bs, bm))
    print(f"  did2s RR {r.robust['rr']:.4f}, TWFE RR {r.twfe['rr']:.4f}, "
          f"OLS-dummies RR {np.exp(b.params['mms']):.4f} (true 1.10)")

    sw = sw_binary(args.clusters, args.women)
    r, s, m = _timed(lambda: fit_stepped_wedge(sw, "y", "cluster", "period", "trt",
                                               family="binomial"))
    vb = lambda: sm.BinomialBayesMixedGLM.from_formula(  # noqa: E731
        "y ~ trt + C(period)", {"cluster": "0 + C(cluster)"}, sw).fit_vb()
    v, vs, vm = _timed(vb)
    report(f"SW GLMM+GEE, {args.clusters} clusters x 5 x {args.women}", (s, m), (vs, vm))
    k = list(v.model.exog_names).index("trt")
    e = r.effect("treatment_glmm")
    print(f"  AGQ log OR {e['estimate']:.4f} (SE {e['se']:.4f}); "
          f"VB {v.fe_mean[k]:.4f} (SD {v.fe_sd[k]:.4f})")

    def its_all() -> int:
        for _unit, part in df.groupby("unit"):
            fit_its(part, "y", "t", "mms", offset="pop", family="quasipoisson", harmonics=1,
                    season="month")
        return int(df["unit"].nunique())

    _, s, m = _timed(its_all)
    report(f"ITS per unit ({args.units} fits)", (s, m), None)


if __name__ == "__main__":
    main()
