"""Benchmark: design-based estimates on a DHS-like sample, mmsis vs svy vs R survey.

Generates a stratified cluster sample (default 1,000,000 women, 40,000 PSUs, 50 strata,
10 regions) and times the same set in each engine, each in its own process so that peak
memory is its own: overall proportion with logit CI, proportion by region and by wealth
quintile, mean tablets by region. Prints seconds, peak memory (RSS), the ratios, and the
largest absolute difference from R.

    .venv/bin/python benchmarks/survey.py            # full size
    .venv/bin/python benchmarks/survey.py --n 100000 --psu 4000   # quick
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mmsis(path: Path) -> dict:
    """The benchmark set in mmsis (design construction included)."""
    from mmsis.measure import survey

    # the package exports load lazily: import them before the clock starts
    _ = (survey.Design, survey.proportion, survey.mean)
    df = pd.read_parquet(path)
    base = _peak_mb()
    t0 = time.perf_counter()
    d = survey.Design(df, weight="wt", cluster="psu", strata="stratum", lonely_psu="fail")
    res = {
        "overall": survey.proportion(d, "mms"),
        "region": survey.proportion(d, "mms", by="region"),
        "wealth": survey.proportion(d, "mms", by="wealth"),
        "tablets": survey.mean(d, "tablets", by="region"),
    }
    secs = time.perf_counter() - t0
    cols = ["estimate", "se", "ci_low", "ci_high"]
    out = {k: v[cols].to_numpy().tolist() for k, v in res.items()}
    return {"seconds": secs, "peak_mb": _peak_mb(), "data_mb": base, "results": out}


def run_svy(path: Path) -> dict:
    """The same set in the svy package (Sample construction included)."""
    import polars as pl
    import svy

    df = pl.read_parquet(path)
    base = _peak_mb()
    t0 = time.perf_counter()
    s = svy.Sample(df, design=svy.Design(psu="psu", stratum="stratum", wgt="wt"))
    est = s.estimation
    res = {
        "overall": est.prop("mms", drop_nulls=True),
        "region": est.prop("mms", by="region", drop_nulls=True),
        "wealth": est.prop("mms", by="wealth", drop_nulls=True),
        "tablets": est.mean("tablets", by="region", drop_nulls=True),
    }
    secs = time.perf_counter() - t0
    out = {}
    for k, v in res.items():
        f = v.to_polars()
        if "mms" in f.columns:  # prop reports both levels; keep level 1
            f = f.filter(pl.col("mms") == 1)
        out[k] = f.select(["est", "se", "lci", "uci"]).to_numpy().tolist()
    return {"seconds": secs, "peak_mb": _peak_mb(), "data_mb": base, "results": out}


R_SCRIPT = r"""
suppressMessages(library(survey))
d <- read.csv("%s")
invisible(gc(reset = TRUE))
t0 <- proc.time()[["elapsed"]]
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~wt, data = d)
dm <- subset(des, !is.na(mms))
p <- svymean(~mms, dm)
ci <- attr(svyciprop(~mms, dm, method = "logit"), "ci")
br <- svyby(~mms, ~region, dm, svyciprop, method = "logit", vartype = c("se", "ci"))
bw <- svyby(~mms, ~wealth, dm, svyciprop, method = "logit", vartype = c("se", "ci"))
bt <- svyby(~tablets, ~region, des, svymean, na.rm = TRUE, vartype = c("se", "ci"))
secs <- proc.time()[["elapsed"]] - t0
mem <- sum(gc()[, 6])
cat(sprintf("seconds %%.6f\npeak_mb %%.1f\n", secs, mem))
w <- function(key, est, se, lo, hi)
  cat(sprintf("%%s %%.15g %%.15g %%.15g %%.15g\n", key, est, se, lo, hi))
w("overall", coef(p), SE(p), ci[1], ci[2])
for (i in seq_len(nrow(br))) w("region", br[i, 2], br[i, 3], br[i, 4], br[i, 5])
for (i in seq_len(nrow(bw))) w("wealth", bw[i, 2], bw[i, 3], bw[i, 4], bw[i, 5])
# svyby's svymean CI uses the normal quantile; mmsis uses t on each domain's design df
for (i in seq_len(nrow(bt))) {
  q <- qt(0.975, degf(subset(des, region == bt$region[i] & !is.na(tablets))))
  w("tablets", bt[i, 2], bt[i, 3], bt[i, 2] - q * bt[i, 3], bt[i, 2] + q * bt[i, 3])
}
"""


def run_r(csv: Path) -> dict | None:
    """The same set in R survey (svyby of svyciprop / svymean); None if R is absent."""
    if shutil.which("Rscript") is None:
        return None
    proc = subprocess.run(
        ["Rscript", "--vanilla", "-e", R_SCRIPT % csv], capture_output=True, text=True
    )
    if proc.returncode != 0:
        print("R failed:", proc.stderr[-500:], file=sys.stderr)
        return None
    out: dict = {"results": {}}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        if parts[0] in ("seconds", "peak_mb"):
            out[parts[0]] = float(parts[1])
        else:
            out["results"].setdefault(parts[0], []).append([float(x) for x in parts[1:]])
    return out


def _child(engine: str, path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--data", str(path)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def _max_diff(a: dict, b: dict) -> float:
    diffs = []
    for key, rows in b["results"].items():
        x = np.asarray(a["results"][key], dtype=float)
        y = np.asarray(rows, dtype=float)
        diffs.append(float(np.nanmax(np.abs(x - y))))
    return max(diffs)


def main() -> None:
    """Generate the sample, run each engine in its own process, print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000, help="women")
    ap.add_argument("--psu", type=int, default=40_000, help="PSUs")
    ap.add_argument("--strata", type=int, default=50)
    ap.add_argument("--no-r", action="store_true", help="skip R")
    ap.add_argument("--child", choices=["mmsis", "svy"], help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        result = run_mmsis(args.data) if args.child == "mmsis" else run_svy(args.data)
        print(json.dumps(result))
        return

    sys.path.insert(0, str(ROOT / "src"))
    from mmsis.measure.survey.simulate import simulate_dhs_like

    df = simulate_dhs_like(
        n_women=args.n, n_psu=args.psu, n_strata=args.strata, n_regions=10, seed=2024
    )
    print(
        f"DHS-like sample: {len(df):,} women, {df['psu'].nunique():,} PSUs, "
        f"{df['stratum'].nunique()} strata, {df['region'].nunique()} regions"
    )
    print("set: overall proportion + logit CI; proportion by region; by wealth; mean by region")
    with tempfile.TemporaryDirectory() as tmp:
        pq = Path(tmp) / "sample.parquet"
        csv = Path(tmp) / "sample.csv"
        df.to_parquet(pq)
        ours = _child("mmsis", pq)
        other = _child("svy", pq)
        r = None
        if not args.no_r:
            df.to_csv(csv, index=False)
            r = run_r(csv)
    rows = [("mmsis", ours), ("svy", other)] + ([("R survey", r)] if r else [])
    print(f"{'engine':10s} {'seconds':>9s} {'peak MB':>9s} {'x mmsis':>9s}")
    for name, res in rows:
        print(
            f"{name:10s} {res['seconds']:9.3f} {res.get('peak_mb', float('nan')):9.0f} "
            f"{res['seconds'] / ours['seconds']:9.1f}"
        )
    print(
        f"mmsis process: {ours['data_mb']:.0f} MB after loading the data, peak "
        f"{ours['peak_mb']:.0f} MB (R: MB from gc(), max used)"
    )
    if r:
        print(f"max |mmsis - R| over estimates, SEs and CIs: {_max_diff(ours, r):.3g}")
        print(f"max |svy - R|   over estimates, SEs and CIs: {_max_diff(other, r):.3g}")
        print(
            f"speed-up: {r['seconds'] / ours['seconds']:.1f}x R survey, "
            f"{other['seconds'] / ours['seconds']:.1f}x svy"
        )
    else:
        print(f"speed-up: {other['seconds'] / ours['seconds']:.1f}x svy (R not run)")


if __name__ == "__main__":
    main()
