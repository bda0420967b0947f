"""Benchmark: the data-quality review's bucketed series grouping, sorted by bucket (before
2026-12-06) against partitioned by bucket (now), on synthetic values at a fixed memory bound.

    python benchmarks/review_buckets.py --values 3e7 --buckets 20 --mode part
    python benchmarks/review_buckets.py --values 3e7 --buckets 20 --mode sort

Synthetic: 6 elements x facilities x months (48 values a series); the same grouping SQL as
`mmsis.data.review_queries`. Prints wall and process CPU seconds (compare CPU on a shared
machine). The database is kept in --dir to re-run without regenerating.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import duckdb

KEY = "data_element, org_unit, coc, aoc"
H, H2 = f"hash({KEY})", "hash(aoc, coc, org_unit, data_element, 'mmsis')"
STATS = ("avg(value) AS mean, stddev_samp(value) AS sd, median(value) AS med, "
         "mad(value) AS mad, min(value) AS lo, max(value) AS hi, count(*) AS n")


def main() -> None:
    """Build (or reuse) the synthetic values, group them in buckets one way, print the cost."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", type=float, default=3e6)
    ap.add_argument("--buckets", type=int, default=2)
    ap.add_argument("--mode", choices=["sort", "part"], default="part")
    ap.add_argument("--memory", default="300MB")
    ap.add_argument("--dir", default="/tmp/mmsis-review-buckets")
    a = ap.parse_args()
    n, k = int(a.values), a.buckets
    base = Path(a.dir) / f"v{n}"
    base.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(base / "s.duckdb"))
    con.execute(f"SET memory_limit = '{a.memory}'; SET threads = 2; "
                f"SET temp_directory = '{base / 'tmp'}'; SET preserve_insertion_order = false")
    units = max(1, n // 288)  # 6 elements x 48 months per unit
    if not con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'dv'").fetchone()[0]:  # type: ignore[index]
        con.execute(f"""CREATE TABLE dv AS SELECT 'DE' || (i % 6) AS data_element,
            'OU' || ((i // 6) % {units}) AS org_unit, 'c' AS coc, 'a' AS aoc,
            (200001 + i // (6 * {units}))::VARCHAR AS period, random() * 100 AS value
            FROM range({n}) t(i)""")
    t, c = time.perf_counter(), time.process_time()
    parts = base / "parts"
    shutil.rmtree(parts, ignore_errors=True)
    if a.mode == "sort":
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ov AS SELECT ({H} % {k})::INTEGER AS b, "
                    f"{H} AS h, {H2} AS h2, value FROM dv ORDER BY b")
        sources = [f"(SELECT * FROM _ov WHERE b = {b})" for b in range(k)]
    else:
        con.execute(f"COPY (SELECT ({H} % {k})::INTEGER AS b, {H} AS h, {H2} AS h2, value "
                    f"FROM dv) TO '{parts}' (FORMAT parquet, PARTITION_BY (b))")
        sources = [f"read_parquet('{parts}/b={b}/*.parquet')" for b in range(k)]
    for b, src in enumerate(sources):
        head = "CREATE OR REPLACE TEMP TABLE _series AS" if b == 0 else "INSERT INTO _series"
        con.execute(f"{head} SELECT h, min(h2) = max(h2) AS one, {STATS} FROM {src} "
                    "GROUP BY h HAVING count(*) >= 4")
    series, values = con.execute("SELECT count(*), sum(n) FROM _series").fetchone()  # type: ignore[misc]
    print(f"{a.mode}: {n:,} values, {k} buckets, {a.memory}: {time.perf_counter() - t:.2f} s "
          f"[{time.process_time() - c:.2f} CPU]; {series:,} series, {values:,} values")
    shutil.rmtree(parts, ignore_errors=True)


if __name__ == "__main__":
    main()
