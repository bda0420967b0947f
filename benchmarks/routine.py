"""Benchmark: import DHIS2 data values from CSV, district x month indicators, data-quality review.

Full size: 5,000 facilities x 48 months x 42 data element/option combo pairs = 10,080,000
values. Targets (issue 4): import >= 1 million values/s, indicators and DQ < 3 s, peak memory
< 3 GB. The baseline is a plain pandas implementation of the same indicators from the same CSV
(pandas.read_csv, then groupby), run in the same process after mmsis; the two results are
checked to agree. Two ratios are printed: end to end (CSV -> indicators) and indicators only
(pandas with the values already in memory).

    python benchmarks/routine.py            # full size
    python benchmarks/routine.py --quick    # 500 facilities (for development)
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

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
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(tmp: Path, n_fac: int, n_months: int) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """Write the data-value CSV with DuckDB; return it with org units and reports."""
    per_district = 50
    n_dist = max(1, n_fac // per_district)
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
    con.execute(f"""COPY (SELECT de AS dataelement, pe AS period, ou AS orgunit,
        coc AS categoryoptioncombo, 'HllvX50cXC0' AS attributeoptioncombo,
        CAST(hash(de || coc || pe || ou) % (2 * scale) AS BIGINT) AS value
        FROM pe, fac, pairs ORDER BY pe, ou) TO '{csv}' (HEADER, DELIMITER ',')""")
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


def main() -> None:
    """Run the benchmark and print its numbers."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--facilities", type=int, default=5000)
    ap.add_argument("--months", type=int, default=48)
    ap.add_argument("--quick", action="store_true", help="500 facilities (development)")
    args = ap.parse_args()
    n_fac = 500 if args.quick else args.facilities
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t = time.perf_counter()
        csv, ous, rep = make_data(tmp, n_fac, args.months)
        print(f"generated {csv.stat().st_size / 1e6:.0f} MB CSV in {time.perf_counter() - t:.1f}s")
        store = Store(tmp / "bench.duckdb")
        des = pd.DataFrame({"id": COUNT_DES + STOCK_DES,
                            "aggregation_type": ["SUM"] * len(COUNT_DES) + ["LAST"] * 2})
        store.import_metadata({"org_units": ous, "data_elements": des})
        store.import_reports(rep)
        consts = {"crude_birth_rate": 0.035, "pregnancy_loss_adjustment": 1.07}
        store.set_constants(consts)

        load = os.getloadavg()
        raw, timed = store.con, Timed(store.con)
        store.con = timed  # type: ignore[assignment]
        t, cpu = time.perf_counter(), time.process_time()
        report = store.import_file(csv)
        store.con.execute("CHECKPOINT")  # the values are on disk, compressed, when timing stops
        t_import, cpu_import = time.perf_counter() - t, time.process_time() - cpu
        store.con = raw
        assert report.ok, report.refusals[:3]
        n = report.imported
        t, cpu = time.perf_counter(), time.process_time()
        ours = compute_indicators(store, IDS, level=3, period_type="monthly")
        t_ind, cpu_ind = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        qr = quality_review(store, level=3)
        t_dq, cpu_dq = time.perf_counter() - t, time.process_time() - cpu
        mem_ours = peak_mb()
        t = time.perf_counter()
        again = store.import_file(csv)
        t_reimport = time.perf_counter() - t
        mem_reimport = peak_mb()
        store.close()

        t, cpu = time.perf_counter(), time.process_time()
        dv = pd.read_csv(csv, dtype={"dataelement": "category", "period": "category",
                                     "orgunit": "category", "categoryoptioncombo": "category",
                                     "attributeoptioncombo": "category", "value": "float64"})
        dv = dv.rename(columns={"dataelement": "data_element", "orgunit": "org_unit"})
        t_pd_read, cpu_pd_read = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        base = pandas_indicators(dv, ous, rep, consts)
        t_pandas, cpu_pandas = time.perf_counter() - t, time.process_time() - cpu
        merged = ours.merge(base, on=["org_unit", "period", "indicator"], suffixes=("", "_pd"))
        assert len(merged) == len(ours) == len(base), (len(ours), len(base), len(merged))
        np.testing.assert_allclose(merged["value"], merged["value_pd"], rtol=1e-9,
                                   equal_nan=True)

    ours_e2e, pd_e2e = t_import + t_ind, t_pd_read + t_pandas
    print(f"values: {n:,} ({n_fac} facilities x {args.months} months x 42 pairs); "
          f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on "
          f"{os.cpu_count()} cores")
    print("(wall seconds, with process CPU seconds in brackets: the machine may be shared)")
    print(f"import (CSV -> validated, stored, checkpointed): {t_import:.2f} s [{cpu_import:.2f}]"
          f" = {n / t_import / 1e6:.2f} M values/s")
    top = sorted(timed.phases.items(), key=lambda kv: -kv[1])[:4]
    print("  import phases (wall s): " + "; ".join(f"{k.strip()} {v:.2f}" for k, v in top))
    print(f"indicators ({len(IDS)} ids, district x month, {len(ours):,} rows): "
          f"{t_ind:.2f} s [{cpu_ind:.2f}]")
    print(f"data-quality review ({len(qr.table):,} rows, score {qr.score:.1f}): "
          f"{t_dq:.2f} s [{cpu_dq:.2f}]")
    print(f"indicators + DQ: {t_ind + t_dq:.2f} s [{cpu_ind + cpu_dq:.2f}]")
    print(f"peak memory (import + indicators + DQ): {mem_ours:.0f} MB")
    print(f"re-import (all unchanged, {again.ignored:,} ignored): {t_reimport:.2f} s; "
          f"peak memory with it {mem_reimport:.0f} MB")
    print(f"pandas: read_csv {t_pd_read:.2f} s [{cpu_pd_read:.2f}] (no validation), "
          f"indicators {t_pandas:.2f} s [{cpu_pandas:.2f}]; values agree (rtol 1e-9)")
    print(f"ratio pandas / mmsis, CSV -> indicators: {pd_e2e / ours_e2e:.2f}x wall "
          f"({(cpu_pd_read + cpu_pandas) / (cpu_import + cpu_ind):.2f}x CPU); indicators only: "
          f"{t_pandas / t_ind:.2f}x wall ({cpu_pandas / cpu_ind:.2f}x CPU)")
    print(f"peak memory including the pandas baseline: {peak_mb():.0f} MB")

if __name__ == "__main__":
    main()
