"""Benchmark: CPU seconds of the routine indicators alone, per size (issue #20's growth check).

    python benchmarks/routine_indicators.py --curve 1e6,1e7,1e8

For each size, a store is written in a temporary folder with the values of
`benchmarks/routine.py` (the same facilities, 48 months, 42 element/combo pairs, reports and
constants), the values inserted month by month in SQL instead of through the importer (so a
100 M-value store takes minutes, not the import's quarter of an hour; the importer is timed by
`routine.py`). Then, in this process, one cold and ``--reps`` warm calls of
`compute_indicators` (the benchmark's 9 ids, district x month); the least and the median
process CPU seconds of the warm calls are printed with the load average, and the growth
between the first and the last size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import routine as bench  # noqa: E402  (the generator's constants)

from mmsis.data.store import Store  # noqa: E402
from mmsis.measure.routine import compute_indicators  # noqa: E402

MONTHS = 48
PER_DISTRICT = 50


def make_store(path: Path, n_fac: int) -> int:
    """Write the benchmark's org units, reports, constants and values; return the values."""
    fac = [f"FAC{i:05d}" for i in range(n_fac)]
    dist = [f"DIS{i // PER_DISTRICT:03d}" for i in range(n_fac)]
    reg = [f"REG{(i // PER_DISTRICT) % 5}" for i in range(n_fac)]
    rows: list[tuple[object, ...]] = [("ROOT", "Country", 1, None, "/ROOT", None)]
    rows += [(f"REG{r}", f"Region {r}", 2, "ROOT", f"/ROOT/REG{r}", None) for r in range(5)]
    rows += [(f"DIS{d:03d}", f"District {d}", 3, f"REG{d % 5}", f"/ROOT/REG{d % 5}/DIS{d:03d}",
              None) for d in range(-(-n_fac // PER_DISTRICT))]
    rng = np.random.default_rng(1)
    pops = rng.integers(5_000, 30_000, n_fac)
    rows += [(f, f"Facility {f}", 4, d, f"/ROOT/{r}/{d}/{f}", float(p))
             for f, d, r, p in zip(fac, dist, reg, pops, strict=True)]
    ous = pd.DataFrame(rows, columns=["id", "name", "level", "parent_id", "path", "population"])
    months = [f"{2021 + m // 12}{m % 12 + 1:02d}" for m in range(MONTHS)]
    rep = pd.DataFrame({"dataSet": "MNH_MONTHLY", "period": np.repeat(months, n_fac),
                        "orgUnit": np.tile(fac, MONTHS), "expected": 1,
                        "received": (rng.random(n_fac * MONTHS) < 0.9).astype(int)})
    rep["on_time"] = rep["received"] * (rng.random(len(rep)) < 0.8)
    store = Store(path)
    des = pd.DataFrame({"id": bench.COUNT_DES + bench.STOCK_DES,
                        "aggregation_type": ["SUM"] * len(bench.COUNT_DES) + ["LAST"] * 2})
    assert store.import_metadata({"org_units": ous, "data_elements": des}).ok
    assert store.import_reports(rep).ok
    store.set_constants({"crude_birth_rate": 0.035, "pregnancy_loss_adjustment": 1.07})
    pairs = ([(de, c) for de in bench.COUNT_DES for c in bench.COCS]
             + [(de, "HllvX50cXC0") for de in bench.STOCK_DES])
    con = store.con
    con.register("fac", pd.DataFrame({"ou": fac}))
    con.register("pairs", pd.DataFrame({"de": [p[0] for p in pairs],
                                        "coc": [p[1] for p in pairs],
                                        "scale": [bench.SCALE[p[0]] for p in pairs]}))
    for pe in months:  # month by month, as a country's imports arrive
        con.execute(f"""INSERT INTO data_values SELECT de, '{pe}', ou, coc, 'HllvX50cXC0',
            CAST(hash(de || coc || '{pe}' || ou) % (2 * scale) AS BIGINT)::DOUBLE, NULL
            FROM fac, pairs ORDER BY ou""")
    con.execute("CHECKPOINT")
    row = con.execute("SELECT count(*) FROM data_values").fetchone()
    store.close()
    return int(row[0]) if row else 0


def time_indicators(path: Path, reps: int) -> tuple[float, float, int]:
    """Least and median CPU seconds of ``reps`` warm calls, and the rows returned."""
    store = Store(path, read_only=True)
    res = compute_indicators(store, bench.IDS, level=3, period_type="monthly")  # cold
    cpu = []
    for _ in range(reps):
        t = time.process_time()
        res = compute_indicators(store, bench.IDS, level=3, period_type="monthly")
        cpu.append(time.process_time() - t)
    store.close()
    return min(cpu), sorted(cpu)[len(cpu) // 2], len(res)


def main() -> None:
    """Build each size's store, time the indicators, print the growth."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curve", default="1e6,1e7", help="sizes in values, e.g. 1e6,1e7,1e8")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    results = []
    for size in (float(x) for x in args.curve.split(",")):
        n_fac = max(1, round(size / (42 * MONTHS)))
        with tempfile.TemporaryDirectory(dir=os.environ.get("MMSIS_BENCH_TMP")) as d:
            path = Path(d) / "bench.duckdb"
            t = time.perf_counter()
            n = make_store(path, n_fac)
            built = time.perf_counter() - t
            least, median, rows = time_indicators(path, args.reps)
        print(f"{n / 1e6:.1f} M values ({n_fac:,} facilities; store written in {built:.0f} s): "
              f"indicators {least:.3f} s CPU (median {median:.3f}), {rows:,} rows; load "
              f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        results.append((n, least, median))
    if len(results) > 1:
        (n0, l0, m0), (n1, l1, m1) = results[0], results[-1]
        print(f"growth from {n0 / 1e6:.1f} M to {n1 / 1e6:.1f} M values ({n1 / n0:.1f}x the "
              f"data): CPU {l1 / l0:.1f}x (least), {m1 / m0:.1f}x (median)")


if __name__ == "__main__":
    main()
