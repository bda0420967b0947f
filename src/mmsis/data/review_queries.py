"""The store's scans behind the data-quality review (mmsis.measure.routine.quality): report
counts by unit and year, outlier series statistics, facility-months per element and roll-out
starts. The review's checks and thresholds stay in measure.routine; the SQL is here, so that
only mmsis.data speaks SQL to the store (docs/architecture.md).

``anc`` below is a frame with columns org_unit and ou (each org unit's unit at the review
level, `mmsis.measure.routine.aggregate.ancestors`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pandas as pd

from mmsis.data import spill
from mmsis.data.store import Store
from mmsis.errors import InputError

_PARTITION_BYTES_PER_VALUE = 28
"""Upper bound of one value's bytes in the review's partition files (two 8-byte hashes, a
4-byte element index, an 8-byte value; Parquet compresses them, the bound does not count on it)."""
SERIES_STATS = ("avg(value) AS mean, stddev_samp(value) AS sd, median(value) AS med, "
                "mad(value) AS mad, min(value) AS lo, max(value) AS hi, count(*) AS n")


@contextmanager
def _with_units(store: Store, anc: pd.DataFrame) -> Iterator[None]:
    store.con.register("_anc_df", anc)
    try:
        yield
    finally:
        store.con.unregister("_anc_df")


def report_counts_by_year(store: Store, anc: pd.DataFrame, data_set: str) -> pd.DataFrame:
    """Columns ou, period (the year), expected, received, on_time: ``data_set``'s reports
    summed per unit at the review level and year."""
    with _with_units(store, anc):
        return store.query("""SELECT a.ou, substr(r.period, 1, 4) AS period,
            coalesce(sum(r.expected), 0)::BIGINT AS expected,
            coalesce(sum(r.received), 0)::BIGINT AS received,
            coalesce(sum(r.on_time), 0)::BIGINT AS on_time FROM reports r
            JOIN _anc_df a USING (org_unit)
            WHERE r.data_set = ? GROUP BY ALL ORDER BY ALL""", [data_set])


def _series_table(store: Store, des: list[str], bytes_per_value: int, hash_keys: bool) -> str:
    """Temp table ``_series``: mean, SD, median, MAD, range and size of each outlier series
    (facility x element x combos, at least 4 values); returns the join clause to the values.

    Series are grouped and joined on one 64-bit hash of their key (far cheaper than four text
    columns); a second, independent hash per group proves no two series collided, else the
    text key is used. When the values outgrow the memory bound, they are first written once,
    partitioned by bucket (hash modulo the number of buckets) into Parquet files beside the
    store's spill files, and each bucket's files are grouped on their own. Partitioning is one
    pass without a sort (the sort by bucket used before spilled and grew faster than the data:
    30 M synthetic values at 300 MB, 14.6 s CPU sorted against 10.5 s partitioned).
    """
    c = store.con
    key = "data_element, org_unit, coc, aoc"
    h, h2 = f"hash({key})", "hash(aoc, coc, org_unit, data_element, 'mmsis')"
    row = c.execute("SELECT count(*) FROM data_values WHERE list_contains(?, data_element)",
                    [des]).fetchone()
    n_values = int(row[0]) if row else 0
    per_bucket = max(100_000, spill.memory_limit(c) // bytes_per_value)
    k = max(1, -(-n_values // per_bucket))
    where = "WHERE list_contains(?, data_element)"
    if k == 1:
        c.execute(f"""CREATE OR REPLACE TEMP TABLE _series AS SELECT {h} AS h,
            any_value(data_element) AS data_element, min({h2}) = max({h2}) AS one,
            {SERIES_STATS} FROM data_values {where} GROUP BY h HAVING count(*) >= 4""", [des])
    else:
        _bucketed_series(store, des, k, h, h2, where, n_values)
    row = c.execute("SELECT count(*) FILTER (WHERE NOT one) FROM _series").fetchone()
    if hash_keys and row is not None and not row[0]:
        return "ON s.h = hash(v.data_element, v.org_unit, v.coc, v.aoc)"
    for b in range(k):  # a collision (or forced): the text key, bucket by bucket
        head = "CREATE OR REPLACE TEMP TABLE _series AS" if b == 0 else "INSERT INTO _series"
        c.execute(f"""{head} SELECT {key}, {SERIES_STATS} FROM data_values {where}
            AND {h} % {k} = {b} GROUP BY ALL HAVING count(*) >= 4""", [des])
    return f"USING ({key})"


def _bucketed_series(store: Store, des: list[str], k: int, h: str, h2: str, where: str,
                     n_values: int) -> None:
    """Temp table ``_series`` (hashed key) grouped bucket by bucket from one partitioned write
    of the values (see `_series_table`); the Parquet files are removed afterwards."""
    c = store.con
    row = c.execute("SELECT current_setting('temp_directory'), "
                    "current_setting('max_temp_directory_size')").fetchall()
    spill_dir = str(row[0][0]) if row and row[0][0] else tempfile.gettempdir()
    os.makedirs(spill_dir, exist_ok=True)
    room = shutil.disk_usage(spill_dir).free
    with suppress(InputError):  # "90% of available disk space" (the default): the disk decides
        room = min(room, spill.parse_size(str(row[0][1]).replace(" ", "")))
    need = n_values * _PARTITION_BYTES_PER_VALUE
    if need > room:  # DuckDB does not count these files against its spill limit: check here
        raise duckdb.IOException(
            f"could not write the review's partitioned values: about {need:,} bytes needed "
            f"beside the store, {room:,} allowed (free disk or max_temp_directory_size)")
    parts = Path(tempfile.mkdtemp(prefix="mmsis-series-", dir=spill_dir))
    try:
        target = str(parts / "v").replace("'", "''")
        c.execute(f"""COPY (SELECT ({h} % {k})::INTEGER AS b, {h} AS h, {h2} AS h2,
            list_position(?, data_element)::INTEGER AS e, value FROM data_values {where})
            TO '{target}' (FORMAT parquet, PARTITION_BY (b))""", [des, des])
        c.execute("CREATE OR REPLACE TEMP TABLE _series (h UBIGINT, data_element VARCHAR, "
                  "one BOOLEAN, mean DOUBLE, sd DOUBLE, med DOUBLE, mad DOUBLE, lo DOUBLE, "
                  "hi DOUBLE, n BIGINT)")
        for b in range(k):
            files = sorted(str(f) for f in (parts / "v" / f"b={b}").glob("*.parquet"))
            if not files:  # no series hashed into this bucket
                continue
            c.execute(f"""INSERT INTO _series SELECT h, list_extract(?::VARCHAR[],
                any_value(e)) AS data_element, min(h2) = max(h2) AS one, {SERIES_STATS}
                FROM read_parquet(?) GROUP BY h HAVING count(*) >= 4""", [des, files])
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def outlier_values(store: Store, des: list[str], moderate: float, modified_z: float, *,
                   bytes_per_value: int, hash_keys: bool = True
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The values far from their own series (facility x element x combos, 4+ values): columns
    data_element, org_unit, period, value, mean, med, z (|value - mean| / SD) and mz (modified
    z), those with z > ``moderate`` or mz > ``modified_z``, largest z first; and the series
    sizes per element (data_element, n_values).

    One pass in DuckDB: series statistics are grouped (in buckets of ``bytes_per_value`` x
    values that fit the store's memory bound; on a 64-bit key hash when ``hash_keys`` and no
    two series collide) and joined back to the values; only flagged values leave DuckDB."""
    join = _series_table(store, des, bytes_per_value, hash_keys)
    try:
        # only series whose extremes could be flagged are joined back to their values (the
        # exact tests follow; the 0.999 slack keeps rounding from dropping a borderline value)
        mod, mz = float(moderate), float(modified_z)
        candidate = (f"(sd > 0 AND greatest(hi - mean, mean - lo) > 0.999 * {mod} * sd) OR "
                     f"(mad > 0 AND greatest(hi - med, med - lo) > 0.999 * {mz} * mad / 0.6745)")
        flagged = store.query(f"""SELECT * FROM (SELECT v.data_element, v.org_unit, v.period,
            v.value, s.mean, s.med,
            CASE WHEN s.sd > 0 THEN abs(v.value - s.mean) / s.sd END AS z,
            CASE WHEN s.mad > 0 THEN 0.6745 * abs(v.value - s.med) / s.mad END AS mz
            FROM data_values v JOIN (SELECT * FROM _series WHERE {candidate}) s {join}
            WHERE list_contains(?, v.data_element))
            WHERE z > {mod} OR mz > {mz} ORDER BY z DESC NULLS LAST""", [des])
        sizes = store.query("SELECT data_element, sum(n)::BIGINT AS n_values FROM _series "
                            "GROUP BY ALL")
    finally:
        store.con.execute("DROP TABLE IF EXISTS _series")
    return flagged, sizes


class FacilityMonths:
    """One row per facility-month (with its unit at the review level) and a column per data
    element summed over option combos, held by the store while the review's internal and
    over-time checks read it (see `facility_months`)."""

    def __init__(self, store: Store, col: dict[str, str]) -> None:
        self._store = store
        self._col = col

    def pair_counts(self, pairs: list[tuple[str, str]]) -> pd.DataFrame:
        """Columns k (the pair's index), ou, period (year), bad (facility-months with lhs >
        rhs), n (facility-months with both), for each (lhs, rhs) pair of elements."""
        col = self._col
        selects = [f"""SELECT {k} AS k, ou, substr(period, 1, 4) AS period,
            count(*) FILTER (WHERE {col[lhs]} > {col[rhs]}) AS bad, count(*) AS n
            FROM _fm WHERE {col[lhs]} IS NOT NULL AND {col[rhs]} IS NOT NULL GROUP BY ALL"""
                   for k, (lhs, rhs) in enumerate(pairs)]
        return self._store.query(" UNION ALL ".join(selects) + " ORDER BY k, ou, period")

    def yearly_totals(self, des: list[str]) -> pd.DataFrame:
        """Columns ou, data_element, year, total: each element's total per unit and year."""
        col = self._col
        selects = [f"""SELECT ou, ? AS data_element, substr(period, 1, 4) AS year,
            sum({col[d]}) AS total FROM _fm WHERE {col[d]} IS NOT NULL GROUP BY ALL"""
                   for d in des]
        return self._store.query(" UNION ALL ".join(selects), list(des))


@contextmanager
def facility_months(store: Store, anc: pd.DataFrame, des: list[str]
                    ) -> Iterator[FacilityMonths]:
    """The facility-months of ``des`` (one scan shared by the checks that read them), dropped
    on leaving; with no elements, nothing is scanned (and nothing can be read)."""
    col = {d: f"d{i}" for i, d in enumerate(des)}
    try:
        if des:
            cols = ", ".join(f"sum(value) FILTER (WHERE data_element = ?) AS {col[d]}"
                             for d in des)
            with _with_units(store, anc):
                store.con.execute(f"""CREATE OR REPLACE TEMP TABLE _fm AS SELECT a.ou, f.* FROM
                    (SELECT org_unit, period, {cols} FROM data_values
                    WHERE list_contains(?, data_element) GROUP BY org_unit, period) f
                    JOIN _anc_df a USING (org_unit)""", [*des, des])
        yield FacilityMonths(store, col)
    finally:
        store.con.execute("DROP TABLE IF EXISTS _fm")


def first_positive_month(store: Store, anc: pd.DataFrame, data_element: str) -> pd.DataFrame:
    """Columns ou, start: the first month (YYYYMM) ``data_element`` is above zero in each unit
    at the review level."""
    with _with_units(store, anc):
        return store.query("""SELECT a.ou, min(v.period) AS start FROM data_values v
            JOIN _anc_df a USING (org_unit) WHERE v.data_element = ? AND v.value > 0
            AND length(v.period) = 6 GROUP BY a.ou""", [data_element])
