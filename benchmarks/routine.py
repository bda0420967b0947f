"""Benchmark: import DHIS2 data values from CSV, district x month indicators, data-quality review.

Full size: 5,000 facilities x 48 months x 42 data element/option combo pairs = 10,080,000
values. Targets (issue 4): import >= 1 million values/s, indicators and DQ < 3 s, peak memory
< 3 GB. The baseline is a plain pandas implementation of the same indicators from the same CSV
(pandas.read_csv, then groupby), run in the same process after mmsis; the two results are
checked to agree. Two ratios are printed: end to end (CSV -> indicators) and indicators only
(pandas with the values already in memory).

    python benchmarks/routine.py            # full size
    python benchmarks/routine.py --quick    # 500 facilities (for development)
    python benchmarks/routine.py --curve 1e6,1e7,1e8   # time, throughput, peak RSS per size

The mmsis part (import, indicators, review, unchanged re-import, one more month) and the pandas
baseline each run in a child process, so each peak RSS is its own (data generation apart);
above 20 M rows the baseline reads the first 20 M rows and scales its times (it says so).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from mmsis.data.store import Store
from mmsis.measure.routine import compute_indicators, quality_review

COUNT_DES = ["ANC1", "ANC4", "IFA_CLIENTS", "MMS_CLIENTS", "IFA_TABLETS_DISPENSED",
             "MMS_TABLETS_DISPENSED", "MMS_STOCK_RECEIVED", "IFA_STOCK_RECEIVED",
             "MMS_DAYS_STOCKED_OUT", "IFA_DAYS_STOCKED_OUT"]
STOCK_DES = ["MMS_STOCK_ON_HAND", "IFA_STOCK_ON_HAND"]
COCS = ["cocAge1519a", "cocAge2024a", "cocAge2534a", "cocAge35plu"]
SCALE = {"ANC1": 40, "ANC4": 20, "IFA_CLIENTS": 15, "MMS_CLIENTS": 15,
         "IFA_TABLETS_DISPENSED": 2000, "MMS_TABLETS_DISPENSED": 2000,
         "MMS_STOCK_RECEIVED": 3000, "IFA_STOCK_RECEIVED": 3000, "MMS_DAYS_STOCKED_OUT": 3,
         "IFA_DAYS_STOCKED_OUT": 3, "MMS_STOCK_ON_HAND": 8000, "IFA_STOCK_ON_HAND": 8000}
IDS = ["anc1_coverage", "anc4_coverage", "mms_share_of_anc1", "mms_tablets_per_client",
       "ifa_to_mms_transition_share", "pregnancies_reaching_180", "stockout_rate",
       "reporting_completeness", "reporting_timeliness"]


class Timed:
    """A DuckDB connection proxy that adds up wall seconds per kind of statement (phases)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.phases = con, {}  # type: ignore[var-annotated]

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        """Run and time one statement under a short label."""
        t = time.perf_counter()
        try:
            return self.con.execute(sql, *args)
        finally:
            words = " ".join(sql.split())
            label = (words[:40] if "hash(" not in words else "duplicate-key check (hash groups)")
            if "read_csv" in words:
                label = "read CSV (typed cast) into the store table"
            self.phases[label] = self.phases.get(label, 0.0) + time.perf_counter() - t

    def __getattr__(self, name: str) -> object:
        return getattr(self.con, name)


def peak_mb() -> float:
    """Peak resident memory of this process so far (MB): VmHWM, which starts afresh at exec
    (ru_maxrss keeps the parent's peak across fork and exec on Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(tmp: Path, n_fac: int, n_months: int) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """Write the data-value CSV with DuckDB; return it with org units and reports."""
    per_district = 50
    n_dist = -(-n_fac // per_district)  # every facility has its district
    fac = [f"FAC{i:05d}" for i in range(n_fac)]
    dist = [f"DIS{i // per_district:03d}" for i in range(n_fac)]
    reg = [f"REG{(i // per_district) % 5}" for i in range(n_fac)]
    rows = [("ROOT", "Country", 1, None, "/ROOT", None)]
    rows += [(f"REG{r}", f"Region {r}", 2, "ROOT", f"/ROOT/REG{r}", None) for r in range(5)]
    rows += [(f"DIS{d:03d}", f"District {d}", 3, f"REG{d % 5}", f"/ROOT/REG{d % 5}/DIS{d:03d}",
              None) for d in range(n_dist)]
    rng = np.random.default_rng(1)
    pops = rng.integers(5_000, 30_000, n_fac)
    rows += [(f, f"Facility {f}", 4, d, f"/ROOT/{r}/{d}/{f}", float(p))
             for f, d, r, p in zip(fac, dist, reg, pops, strict=True)]
    ous = pd.DataFrame(rows, columns=["id", "name", "level", "parent_id", "path", "population"])
    months = [f"{2021 + m // 12}{m % 12 + 1:02d}" for m in range(n_months)]
    pairs = [(de, c) for de in COUNT_DES for c in COCS] + [(de, "HllvX50cXC0") for de in STOCK_DES]
    con = duckdb.connect()
    con.register("fac", pd.DataFrame({"ou": fac}))
    con.register("pe", pd.DataFrame({"pe": months}))
    con.register("pairs", pd.DataFrame({"de": [p[0] for p in pairs],
                                        "coc": [p[1] for p in pairs],
                                        "scale": [SCALE[p[0]] for p in pairs]}))
    csv = tmp / "values.csv"
    query = """COPY (SELECT de AS dataelement, pe AS period, ou AS orgunit,
        coc AS categoryoptioncombo, 'HllvX50cXC0' AS attributeoptioncombo,
        CAST(hash(de || coc || pe || ou) % (2 * scale) AS BIGINT) AS value
        FROM pe, fac, pairs ORDER BY pe, ou) TO '{csv}' (HEADER, DELIMITER ',')"""
    con.execute(query.format(csv=csv))
    # one further month, for the incremental import
    con.register("pe", pd.DataFrame({"pe": [f"{2021 + n_months // 12}{n_months % 12 + 1:02d}"]}))
    con.execute(query.format(csv=tmp / "next_month.csv"))
    rep = pd.DataFrame({"dataSet": "MNH_MONTHLY", "period": np.repeat(months, n_fac),
                        "orgUnit": np.tile(fac, n_months), "expected": 1,
                        "received": rng.random(n_fac * n_months) < 0.9})
    rep["on_time"] = rep["received"] & (rng.random(len(rep)) < 0.8)
    rep[["received", "on_time"]] = rep[["received", "on_time"]].astype(int)
    return csv, ous, rep


def pandas_indicators(dv: pd.DataFrame, ous: pd.DataFrame, rep: pd.DataFrame,
                      consts: dict[str, float]) -> pd.DataFrame:
    """The same district x month indicators, written directly in pandas."""
    fac = ous[ous["level"] == 4]
    anc = pd.Series(fac["path"].str.split("/").str[3].to_numpy(), index=fac["id"].to_numpy())
    wide = dv.groupby(["org_unit", "period", "data_element"], observed=True)["value"].sum()
    wide = wide.unstack()
    wide = wide.reset_index()
    wide["ou"] = wide["org_unit"].astype(str).map(anc)
    wide["period"] = wide["period"].astype(str)
    wide["stocked_out"] = np.where(wide["MMS_STOCK_ON_HAND"].isna(), np.nan,
                                   (wide["MMS_STOCK_ON_HAND"] <= 0).astype(float))
    wide["soh_reported"] = wide["MMS_STOCK_ON_HAND"].notna().astype(float)
    g = wide.groupby(["ou", "period"])[COUNT_DES + ["stocked_out", "soh_reported"]].sum()
    r = rep.assign(ou=rep["orgUnit"].map(anc)).groupby(["ou", "period"])[
        ["expected", "received", "on_time"]].sum()
    g = g.join(r, how="outer").fillna(0)
    dist = ous[ous["level"] == 3].set_index("id")["population"]
    pop_by_dist = fac.assign(d=fac["id"].map(anc)).groupby("d")["population"].sum()
    pop = g.index.get_level_values(0).map(dist.fillna(pop_by_dist)).to_numpy()
    expected_preg = pop * consts["crude_birth_rate"] * consts["pregnancy_loss_adjustment"]

    def ratio(n: pd.Series | np.ndarray, d: pd.Series | np.ndarray) -> np.ndarray:
        n, d = np.asarray(n, float), np.asarray(d, float)
        return np.where(d == 0, np.nan, n / np.where(d == 0, 1, d))

    # DHIS2's annualization factor: 365 / days in the month
    ann = 365 / pd.to_datetime(g.index.get_level_values(1), format="%Y%m").days_in_month.to_numpy()
    vals = {
        "anc1_coverage": ratio(g["ANC1"], expected_preg) * 100 * ann,
        "anc4_coverage": ratio(g["ANC4"], expected_preg) * 100 * ann,
        "mms_share_of_anc1": ratio(g["MMS_CLIENTS"], g["ANC1"]) * 100,
        "mms_tablets_per_client": ratio(g["MMS_TABLETS_DISPENSED"], g["MMS_CLIENTS"]),
        "ifa_to_mms_transition_share": ratio(g["MMS_CLIENTS"],
                                             g["MMS_CLIENTS"] + g["IFA_CLIENTS"]) * 100,
        "pregnancies_reaching_180": ratio(g["MMS_TABLETS_DISPENSED"] / 180,
                                          expected_preg) * 100 * ann,
        "stockout_rate": ratio(g["stocked_out"], g["soh_reported"]) * 100,
        "reporting_completeness": ratio(g["received"], g["expected"]) * 100,
        "reporting_timeliness": ratio(g["on_time"], g["expected"]) * 100,
    }
    out = [pd.DataFrame({"org_unit": g.index.get_level_values(0),
                         "period": g.index.get_level_values(1), "indicator": k, "value": v})
           for k, v in vals.items()]
    return pd.concat(out, ignore_index=True)


PANDAS_CAP = 20_000_000
"""Rows the pandas baseline reads at most: above it, it reads the first rows (whole months,
the CSV is sorted by period) and its times are scaled to the full size (said in the output)."""


def run_mmsis(tmp: Path) -> dict[str, object]:
    """The mmsis part, in its own process: import, indicators, review, re-import, one month."""
    ous, rep = pd.read_pickle(tmp / "ous.pkl"), pd.read_pickle(tmp / "rep.pkl")
    store = Store(tmp / "bench.duckdb")
    des = pd.DataFrame({"id": COUNT_DES + STOCK_DES,
                        "aggregation_type": ["SUM"] * len(COUNT_DES) + ["LAST"] * 2})
    store.import_metadata({"org_units": ous, "data_elements": des})
    store.import_reports(rep)
    store.set_constants({"crude_birth_rate": 0.035, "pregnancy_loss_adjustment": 1.07})
    out: dict[str, object] = {"load": os.getloadavg()[0],
                              "memory_limit": os.environ.get("MMSIS_STORE_MEMORY", "2GB")}

    def timed(key: str, fn):  # type: ignore[no-untyped-def]
        t, cpu = time.perf_counter(), time.process_time()
        res = fn()
        out[key], out[key + "_cpu"] = time.perf_counter() - t, time.process_time() - cpu
        return res

    raw, tcon = store.con, Timed(store.con)
    store.con = tcon  # type: ignore[assignment]

    def first_import():  # type: ignore[no-untyped-def]
        r = store.import_file(tmp / "values.csv")
        store.con.execute("CHECKPOINT")  # the values are on disk, compressed, when timing stops
        return r

    report = timed("import", first_import)
    store.con = raw
    assert report.ok, report.refusals[:3]
    out["values"] = report.imported
    out["phases"] = sorted(tcon.phases.items(), key=lambda kv: -kv[1])[:4]
    ours = timed("indicators", lambda: compute_indicators(store, IDS, level=3,
                                                          period_type="monthly"))
    ours.to_parquet(tmp / "ours.parquet")
    qr = timed("review", lambda: quality_review(store, level=3))
    out["review_rows"], out["score"], out["indicator_rows"] = len(qr.table), qr.score, len(ours)
    out["peak_mb"] = peak_mb()
    again = timed("reimport", lambda: store.import_file(tmp / "values.csv"))
    assert again.ignored == report.imported and not again.imported and not again.updated
    out["reimport_hash_only"] = again.unchanged
    month = timed("month", lambda: (store.import_file(tmp / "next_month.csv"),
                                    store.con.execute("CHECKPOINT"))[0])
    out["month_values"] = month.imported
    # the store changed since values.csv (the month): the same file now takes the full
    # checks and the compare-only upsert (what any re-import paid before the content hash)
    compared = timed("recompare", lambda: store.import_file(tmp / "values.csv"))
    assert not compared.unchanged and not compared.imported and not compared.updated
    out["peak_mb_all"] = peak_mb()
    store.close()
    return out


def run_pandas(tmp: Path, n_rows: int) -> dict[str, object]:
    """The pandas baseline, in its own process (at most PANDAS_CAP rows, see there)."""
    ous, rep = pd.read_pickle(tmp / "ous.pkl"), pd.read_pickle(tmp / "rep.pkl")
    nrows = None if n_rows <= PANDAS_CAP else PANDAS_CAP
    out: dict[str, object] = {"fraction": 1.0 if nrows is None else PANDAS_CAP / n_rows}
    t, cpu = time.perf_counter(), time.process_time()
    dv = pd.read_csv(tmp / "values.csv", nrows=nrows,
                     dtype={"dataelement": "category", "period": "category",
                            "orgunit": "category", "categoryoptioncombo": "category",
                            "attributeoptioncombo": "category", "value": "float64"})
    dv = dv.rename(columns={"dataelement": "data_element", "orgunit": "org_unit"})
    out["read"], out["read_cpu"] = time.perf_counter() - t, time.process_time() - cpu
    t, cpu = time.perf_counter(), time.process_time()
    base = pandas_indicators(dv, ous, rep, {"crude_birth_rate": 0.035,
                                            "pregnancy_loss_adjustment": 1.07})
    out["indicators"], out["indicators_cpu"] = (time.perf_counter() - t,
                                                time.process_time() - cpu)
    out["peak_mb"] = peak_mb()
    if nrows is None:
        base.to_parquet(tmp / "base.parquet")
    return out


def _child(*args: str) -> dict[str, object]:
    """Run this script's ``--child`` mode and return the JSON it prints (its own peak RSS)."""
    res = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, env=os.environ.copy())
    if res.returncode:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"benchmark child {args[0]} failed")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def run_size(n_fac: int, months: int) -> dict[str, object]:
    """One size: generate (timed apart), mmsis in a child process, pandas in another."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("MMSIS_BENCH_TMP")) as d:
        tmp = Path(d)
        t = time.perf_counter()
        csv, ous, rep = make_data(tmp, n_fac, months)
        ous.to_pickle(tmp / "ous.pkl")
        rep.to_pickle(tmp / "rep.pkl")
        gen = time.perf_counter() - t
        print(f"  generated {csv.stat().st_size / 1e6:,.0f} MB CSV ({n_fac:,} facilities x "
              f"{months} months x 42) in {gen:.0f} s", flush=True)
        ours = _child("mmsis", str(tmp))
        n = int(ours["values"])  # type: ignore[call-overload]
        base = _child("pandas", str(tmp), str(n))
        agree = None
        if (tmp / "base.parquet").exists():
            a, b = pd.read_parquet(tmp / "ours.parquet"), pd.read_parquet(tmp / "base.parquet")
            merged = a.merge(b, on=["org_unit", "period", "indicator"], suffixes=("", "_pd"))
            assert len(merged) == len(a) == len(b), (len(a), len(b), len(merged))
            np.testing.assert_allclose(merged["value"], merged["value_pd"], rtol=1e-9,
                                       equal_nan=True)
            agree = True
    return {"facilities": n_fac, "months": months, "mmsis": ours, "pandas": base,
            "agree": agree}


def report_size(r: dict[str, Any]) -> None:
    """Print one size's figures (wall s, CPU s in brackets)."""
    o, p = r["mmsis"], r["pandas"]
    n, frac = o["values"], p["fraction"]
    scale = 1 / frac
    print(f"values: {n:,} ({r['facilities']:,} facilities x {r['months']} months x 42); "
          f"MMSIS_STORE_MEMORY={o['memory_limit']}; load average at start {o['load']:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"  import: {o['import']:.2f} s [{o['import_cpu']:.2f}] = "
          f"{n / o['import'] / 1e6:.2f} M values/s; phases (wall s): "
          + "; ".join(f"{k.strip()} {v:.2f}" for k, v in o["phases"]))
    print(f"  indicators ({len(IDS)} ids, district x month, {o['indicator_rows']:,} rows): "
          f"{o['indicators']:.2f} s [{o['indicators_cpu']:.2f}]")
    print(f"  data-quality review ({o['review_rows']:,} rows, score {o['score']:.1f}): "
          f"{o['review']:.2f} s [{o['review_cpu']:.2f}]")
    print(f"  peak RSS of the mmsis process (import + indicators + review): "
          f"{o['peak_mb']:,.0f} MB; with the re-import and the month: {o['peak_mb_all']:,.0f} MB")
    how = "hash only" if o["reimport_hash_only"] else "compared"
    print(f"  re-import unchanged ({how}): {o['reimport']:.2f} s [{o['reimport_cpu']:.2f}] "
          f"({o['reimport'] / o['import']:.2f}x the first import's wall, "
          f"{o['reimport_cpu'] / o['import_cpu']:.2f}x its CPU); after one more month, the same "
          f"file compared: {o['recompare']:.2f} s [{o['recompare_cpu']:.2f}] "
          f"({o['recompare_cpu'] / o['import_cpu']:.2f}x the first import's CPU)")
    print(f"  one more month ({o['month_values']:,} values): {o['month']:.2f} s "
          f"[{o['month_cpu']:.2f}] = {o['month_values'] / o['month'] / 1e6:.2f} M values/s")
    sampled = "" if frac == 1 else (f" (read the first {frac:.0%} of the rows; times scaled "
                                    f"x{scale:.1f}, memory as measured)")
    pd_read, pd_ind = p["read"] * scale, p["indicators"] * scale
    print(f"  pandas{sampled}: read_csv {pd_read:.2f} s (no validation), indicators "
          f"{pd_ind:.2f} s, peak RSS {p['peak_mb']:,.0f} MB"
          + ("; values agree (rtol 1e-9)" if r["agree"] else "; values not compared"))
    e2e = (pd_read + pd_ind) / (o["import"] + o["indicators"])
    print(f"  ratio pandas / mmsis: CSV -> indicators {e2e:.2f}x, "
          f"indicators only {pd_ind / o['indicators']:.2f}x")


def main() -> None:
    """Run the benchmark (one size, or a curve of sizes) and print its numbers."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facilities", type=int, default=5000)
    ap.add_argument("--months", type=int, default=48)
    ap.add_argument("--quick", action="store_true", help="500 facilities (development)")
    ap.add_argument("--curve", help="sizes in values, e.g. 1e6,1e7,1e8: facilities = size / "
                                    "(42 x months)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, tmp = args.child[0], Path(args.child[1])
        res = run_mmsis(tmp) if kind == "mmsis" else run_pandas(tmp, int(args.child[2]))
        print(json.dumps(res, default=float))
        return
    if args.curve:
        sizes = [float(x) for x in args.curve.split(",")]
        facs = [max(1, round(v / (42 * args.months))) for v in sizes]
    else:
        facs = [500 if args.quick else args.facilities]
    print("(wall seconds, process CPU seconds in brackets: the machine may be shared)")
    rows = []
    for n_fac in facs:
        r = run_size(n_fac, args.months)
        report_size(r)
        rows.append(r)
    if len(rows) > 1:
        print("\n| values | import | M values/s | indicators | review | re-import | month | "
              "peak RSS mmsis | pandas read + ind. | pandas peak |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            o, p = r["mmsis"], r["pandas"]
            s = 1 / p["fraction"]
            print(f"| {o['values'] / 1e6:.1f} M | {o['import']:.1f} s | "
                  f"{o['values'] / o['import'] / 1e6:.2f} | {o['indicators']:.1f} s | "
                  f"{o['review']:.1f} s | {o['reimport']:.1f} s | {o['month']:.2f} s | "
                  f"{o['peak_mb']:,.0f} MB | {(p['read'] + p['indicators']) * s:.1f} s"
                  f"{'*' if s > 1 else ''} | {p['peak_mb']:,.0f} MB |")
        first, last = rows[0]["mmsis"], rows[-1]["mmsis"]
        k = last["values"] / first["values"]
        print(f"growth from {first['values'] / 1e6:.1f} M to {last['values'] / 1e6:.1f} M values "
              f"({k:.1f}x the data): import {last['import'] / first['import']:.1f}x, indicators "
              f"{last['indicators'] / first['indicators']:.1f}x, review "
              f"{last['review'] / first['review']:.1f}x (linear = {k:.1f}x); CPU: import "
              f"{last['import_cpu'] / first['import_cpu']:.1f}x, indicators "
              f"{last['indicators_cpu'] / first['indicators_cpu']:.1f}x, review "
              f"{last['review_cpu'] / first['review_cpu']:.1f}x; unchanged re-import / first "
              "import (CPU): " + ", ".join(
                  f"{r['mmsis']['reimport_cpu'] / r['mmsis']['import_cpu']:.3f}x at "
                  f"{r['mmsis']['values'] / 1e6:.1f} M" for r in rows))
        if any(r["pandas"]["fraction"] < 1 for r in rows):
            print(f"* pandas read the first {PANDAS_CAP:,} rows and its time is scaled up")


if __name__ == "__main__":
    main()
