"""The local store: an embedded DuckDB file holding org units, data elements, values, reports.

Imports are all-or-nothing per file: every row is validated first (vectorised, in DuckDB),
every refused row is reported with its row number, and nothing is written unless all pass.
Data values are keyed by (data element, period, org unit, category option combo, attribute
option combo); re-importing a key updates it instead of adding a duplicate.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
from pydantic import BaseModel, Field

from mmsis.data import concepts as concept_maps
from mmsis.data import contents, csvread, rollup, spill, textio
from mmsis.data.dhis2 import formats
from mmsis.data.dhis2.periods import is_valid_period
from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.programme import CountryProgramme

DEFAULT_PATH = "mmsis.duckdb"
_FAST = "_mmsis_import"  # the typed table a clean CSV is read into (becomes data_values)
_BIG_JSON = 5_000_000  # bytes: larger dataValueSets JSON files go through DuckDB's reader
MAX_REFUSALS = 100
HASH_COMPARE = True
"""An import into a store with data matches its rows to the stored ones on a hash of the key
(checked by a second hash; see ``Store._compare``); False compares on the full key (tests)."""
_KEY2 = "hash(concat_ws(chr(31), {}))"
"""The second hash of a key's columns ``{}`` (text, not the column-wise hash of the first)."""
"""Refusals an import report lists (the first, by row); ``refusals_total`` counts them all, so
memory stays bounded however many rows of a file are refused."""
_BEYOND = (f"beyond {textio.MAX_DATA_VALUE:,.0f}, more than any count or population this "
           "field can hold")
KEY = ["data_element", "period", "org_unit", "coc", "aoc"]
AGGREGATION_TYPES = {"SUM", "AVERAGE", "AVERAGE_SUM_ORG_UNIT", "LAST", "LAST_AVERAGE_ORG_UNIT",
                     "COUNT", "MIN", "MAX", "NONE"}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS org_units (id VARCHAR PRIMARY KEY, name VARCHAR, level INTEGER,
    parent_id VARCHAR, path VARCHAR, population DOUBLE, opening_date VARCHAR);
CREATE TABLE IF NOT EXISTS data_elements (id VARCHAR PRIMARY KEY, name VARCHAR,
    short_name VARCHAR, value_type VARCHAR, aggregation_type VARCHAR, domain_type VARCHAR);
CREATE TABLE IF NOT EXISTS category_option_combos (id VARCHAR PRIMARY KEY, name VARCHAR);
CREATE TABLE IF NOT EXISTS data_sets (id VARCHAR PRIMARY KEY, name VARCHAR);
CREATE TABLE IF NOT EXISTS data_values (data_element VARCHAR, period VARCHAR, org_unit VARCHAR,
    coc VARCHAR, aoc VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS reports (data_set VARCHAR, period VARCHAR, org_unit VARCHAR,
    expected INTEGER, received INTEGER, on_time INTEGER);
CREATE TABLE IF NOT EXISTS constants (id VARCHAR PRIMARY KEY, value DOUBLE, source VARCHAR);
CREATE TABLE IF NOT EXISTS populations (org_unit VARCHAR, year INTEGER, population DOUBLE,
    PRIMARY KEY (org_unit, year));
CREATE TABLE IF NOT EXISTS batches (id VARCHAR PRIMARY KEY, kind VARCHAR, file VARCHAR,
    rows BIGINT, imported_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS survey_waves (id VARCHAR PRIMARY KEY, name VARCHAR, file VARCHAR,
    rows INTEGER, imported_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS survey_rows (wave VARCHAR, row INTEGER, data VARCHAR);
CREATE TABLE IF NOT EXISTS batch_elements (batch VARCHAR, data_element VARCHAR);
ALTER TABLE data_values ADD COLUMN IF NOT EXISTS source VARCHAR;
"""
_DV_COLS = "data_element, period, org_unit, coc, aoc, value, source"
NUMERIC_VALUE_TYPES = {
    # DHIS2 ValueType -> (SQL condition on the number ``num`` that must hold, what it means)
    "NUMBER": ("true", "a number"),
    "INTEGER": ("num = trunc(num)", "a whole number"),
    "INTEGER_POSITIVE": ("num = trunc(num) AND num > 0", "a whole number > 0"),
    "INTEGER_NEGATIVE": ("num = trunc(num) AND num < 0", "a whole number < 0"),
    "INTEGER_ZERO_OR_POSITIVE": ("num = trunc(num) AND num >= 0", "a whole number >= 0"),
    "PERCENTAGE": ("num >= 0 AND num <= 100", "a percentage 0-100"),
    "UNIT_INTERVAL": ("num >= 0 AND num <= 1", "a number from 0 to 1"),
    "BOOLEAN": ("num IN (0, 1)", "true/false (1/0)"),
    "TRUE_ONLY": ("num = 1", "true (1)"),
}
"""DHIS2's rules for a data value by its data element's value type (ValueType in DHIS2's API):
negative numbers pass where the type allows them (NUMBER, INTEGER), as for stock adjustments.
Data elements without a value type are taken as NUMBER; other (text, date...) types are refused
because the store keeps numbers."""


def _num_and_bad(v: str) -> str:
    """SQL for ``num`` (the finite number, else NULL) and ``bad`` (NULL for a number, '' for a
    blank, else the offending text), keeping the staging table small."""
    num = f"TRY_CAST({v} AS DOUBLE)"
    ok = f"({num} IS NOT NULL AND isfinite({num}))"
    return (f"CASE WHEN {ok} THEN {num} END AS num, "
            f"CASE WHEN NOT coalesce({ok}, false) THEN coalesce(trim({v}), '') END AS bad")


class Refusal(BaseModel):
    """One refused row: where it is and why."""

    row: int
    column: str
    reason: str
    value: str | None = None


class ImportReport(BaseModel):
    """What an import did: counts of imported, updated, ignored and refused rows."""

    file: str | None = None
    kind: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    refused: int = 0
    refusals: list[Refusal] = Field(default_factory=list)
    refusals_total: int = 0
    """How many problems were found; ``refusals`` lists the first MAX_REFUSALS of them."""
    unchanged: bool = False
    """True when the file's bytes are those of the last import and nothing was written since
    (`mmsis.data.contents`): only hashed, nothing compared or written, every row ignored."""

    @property
    def ok(self) -> bool:
        """True when nothing was refused (and so the import was written)."""
        return self.refused == 0


_SHARED: dict[str, duckdb.DuckDBPyConnection] = {}
"""Store files this process keeps open (see `share`): DuckDB lets one process hold a file, so
every `Store` of such a file in this process is a cursor of the one connection."""


def share(path: str | Path) -> Store:
    """Open a store file once for this process: later `Store(path)` calls (read-only or not)
    get cursors of this connection, each seeing the last committed snapshot (DuckDB's MVCC),
    so readers never wait for a writer's transaction. Undo with `unshare`."""
    key = os.path.realpath(str(path))
    store = Store(path)
    _SHARED[key] = store.con
    return store


def unshare(path: str | Path) -> None:
    """Forget a shared store file (the caller closes the `Store` that `share` gave)."""
    _SHARED.pop(os.path.realpath(str(path)), None)


def _open_error(exc: duckdb.Error) -> str:
    """Why a store file cannot be opened, in words: DuckDB lets one process hold a file, and a
    running `mmsis serve` keeps its workspaces' stores open."""
    text = str(exc)
    if "Conflicting lock" in text or "Could not set lock" in text:
        pid = re.search(r"\(PID (\d+)\)", text)
        who = f" (process {pid.group(1)})" if pid else ""
        return (f"cannot open the store: another program has it open{who}; a running "
                "`mmsis serve` keeps its workspaces' stores open: stop it, then try again")
    return f"cannot open the store: {text}"


def default_store_path() -> str:
    """The store path from MMSIS_STORE, else ./mmsis.duckdb."""
    return os.environ.get("MMSIS_STORE", DEFAULT_PATH)


class Store:
    """A DuckDB-backed store of DHIS2 routine data (use ':memory:' for a throwaway store)."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False,
                 connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.path = str(path) if path is not None else default_store_path()
        self._batch: tuple[str, str, str | None] | None = None
        self._scope: str | None = None
        self._written: list[str] | None = None  # elements the open transaction wrote, if known
        if connection is None and self.path != ":memory:":
            shared = _SHARED.get(os.path.realpath(self.path))
            if shared is not None:
                connection = shared.cursor()
        if connection is not None:  # a cursor of a database another object keeps open
            self.con = connection
            return
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise InputError(_open_error(exc), file=self.path) from exc
        if read_only and not self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'data_values'"
        ).fetchone()[0]:  # type: ignore[index]
            self.con.close()
            raise InputError("not an mmsis store (it has no data_values table): give a store "
                             "written by `mmsis routine import` or a web workspace",
                             file=self.path)
        # bounded: DuckDB spills large imports, joins and aggregates beside the store file
        spill.configure(self.con, self.path)
        if not read_only:
            self.con.execute(_SCHEMA)
            self.con.execute(concept_maps.SCHEMA)  # the country's concept mapping
            self.con.execute(contents.SCHEMA)  # the last imported file's hash
            rollup.ensure(self.con)  # totals by org unit and period, kept by every import
            # an import killed between its two transactions leaves its committed scratch table:
            # no other process can be importing now (DuckDB gives one process the file)
            self.con.execute(f"DROP TABLE IF EXISTS {_FAST}")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self.con.close()

    def cursor(self) -> Store:
        """A store on a new cursor of this one's database (it sees the last committed snapshot
        and has its own transaction: one per request or writer); close it when done."""
        return Store(self.path, connection=self.con.cursor())

    # ------------------------------------------------------------------ reading
    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL against the store and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def org_units(self) -> pd.DataFrame:
        """All org units."""
        return self.query("SELECT * FROM org_units ORDER BY level, id")

    def data_elements(self) -> pd.DataFrame:
        """All data elements."""
        return self.query("SELECT * FROM data_elements ORDER BY id")

    def data_values(self, data_elements: list[str] | None = None) -> pd.DataFrame:
        """Data values (optionally of some data elements) as a DataFrame."""
        if data_elements:
            return self.query("SELECT * FROM data_values WHERE list_contains(?, data_element)",
                              [list(data_elements)])
        return self.query("SELECT * FROM data_values")

    def concepts(self) -> concept_maps.ConceptMap:
        """The country's concept mapping (data elements and levels mmsis computes with): the
        saved one, else the conventional one (mmsis.data.concepts)."""
        return concept_maps.concept_map(self)

    def set_concepts(self, mapping: concept_maps.ConceptMap) -> concept_maps.ConceptMap:
        """Validate and save the concept mapping (replaces the saved one); returns it as read."""
        return concept_maps.save(self, mapping)

    def reports(self) -> pd.DataFrame:
        """Data set report registrations (expected, received, on time)."""
        return self.query("SELECT * FROM reports")

    def constants(self) -> dict[str, float]:
        """Constants stored with the data (override the YAML defaults of indicators)."""
        rows = self.con.execute("SELECT id, value FROM constants").fetchall()
        return {str(k): float(v) for k, v in rows}

    def count(self, table: str) -> int:
        """Number of rows in a table."""
        if table not in {"org_units", "data_elements", "data_values", "reports", "constants",
                         "category_option_combos", "populations", "batches", "survey_waves",
                         "survey_rows", "data_sets"}:
            raise InputError(f"no table '{table}'", field="table")
        # fetchall: DuckDB 2 keeps a fetchone()'s result open, and a later register() fails
        rows = self.con.execute(f"SELECT count(*) FROM {table}").fetchall()
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------------ import
    @spill.out_of_core()
    def import_file(self, path: str | Path, kinds: tuple[str, ...] | None = None,
                    encoding: str | None = None) -> ImportReport:
        """Import a file, detecting its kind: DHIS2 JSON (data values, metadata, analytics,
        registrations) or CSV (data values, org units, data elements, reports); with ``kinds``
        (e.g. ``("data_values",)``) any other kind is refused before anything is read.

        The file is decoded by `textio` (UTF-8 with or without a BOM, UTF-16 with a BOM, else
        refused naming the encoding, unless ``encoding`` names it); errors name the file."""
        p = Path(path)
        if not p.exists():
            raise InputError("file not found", file=str(p))
        if p.is_dir():
            raise InputError("a folder, not a file", file=str(p))
        known = self._same_content(p, kinds, encoding)
        if known is not None and known[1] is not None:
            return known[1]
        with textio.utf8_file(p, encoding) as u:
            try:
                report = self._import_file(u, kinds, str(p))
            except InputError as exc:
                if u != p and exc.file in (str(u), u.name):
                    exc.file = str(p)
                    exc.args = (str(exc),)
                raise
        report.file = str(p)
        if known is not None and report.ok and report.kind == "data_values":
            contents.remember(self.con, known[0], encoding, p.stat().st_size, report.kind,
                              report.rows)
        return report

    def _same_content(self, p: Path, kinds: tuple[str, ...] | None, encoding: str | None
                      ) -> tuple[str, ImportReport | None] | None:
        """(the file's SHA-256, the report of an unchanged re-import or None); None when the
        content is not remembered for a data-values file (a scoped or batched import, or not
        a .csv/.json file, always takes the full path)."""
        if p.suffix.lower() not in (".csv", ".json") or (kinds and "data_values" not in kinds):
            return None
        sha = contents.file_sha256(p)
        if self._scope is not None or self._batch is not None:
            return sha, None
        size = contents.recorded_size(self.con, encoding)
        if size != p.stat().st_size:
            return sha, None
        known = contents.unchanged(self.con, sha, encoding)
        if known is None:
            return sha, None
        return sha, ImportReport(file=str(p), kind=known[0], rows=known[1], ignored=known[1],
                                 unchanged=True)

    def _import_file(self, p: Path, kinds: tuple[str, ...] | None, name: str) -> ImportReport:
        """`import_file` of a UTF-8 file ``p``; ``name`` is the user's file (in messages)."""
        if kinds is not None:
            found = self.file_kind(p, name)
            if found not in kinds:
                raise InputError(f"the file holds {found.replace('_', ' ')}, not "
                                 f"{' or '.join(k.replace('_', ' ') for k in kinds)}",
                                 file=Path(name).name)
        if p.suffix.lower() == ".json":
            if p.stat().st_size > _BIG_JSON:
                fast = self._import_values_json(p)
                if fast is not None:
                    return fast
            doc = formats.load_json(p, file=name)
            if not isinstance(doc, dict):
                raise InputError("expected a JSON object", file=name)
            if "dataValues" in doc:
                return self.import_data_values(formats.read_data_value_set_json(doc, name), name)
            if "headers" in doc and "rows" in doc:
                df = formats.analytics_to_data_values(formats.read_analytics_json(doc, name), name)
                return self.import_data_values(df, name, aggregated=True)
            if "completeDataSetRegistrations" in doc:
                return self.import_reports(formats.read_registrations_json(doc, name), name)
            tables = formats.read_metadata_json(doc, name)
            if tables:
                return self.import_metadata(tables, name)
            raise InputError("unrecognised JSON: expected dataValues, organisationUnits, "
                             "dataElements, analytics headers/rows or "
                             "completeDataSetRegistrations", file=name)
        header = csvread.header(p, name)
        lower = {h.lower() for h in header}
        if formats.csv_column_map(header) is not None:
            return self._import_values_csv(p, header, name)
        if {"id", "level"} <= lower and ("path" in lower or "parent_id" in lower):
            return self.import_metadata({"org_units": csvread.read_frame(p, name)}, name)
        if {"id", "aggregation_type"} <= lower:
            return self.import_metadata({"data_elements": csvread.read_frame(p, name)}, name)
        if {"dataset", "period", "orgunit", "received"} <= lower:
            return self.import_reports(csvread.read_frame(p, name), name)
        if {"year", "population"} <= lower and lower & {"orgunit", "org_unit"}:
            return self.import_populations(csvread.read_frame(p, name), name)
        if len(header) >= 6 and is_valid_period(header[1]):
            return self._import_values_csv(p, None, name)
        raise InputError("unrecognised CSV header: expected DHIS2 data values "
                         "(dataelement, period, orgunit, ..., value), org units (id, level, path), "
                         "data elements (id, aggregation_type), reports "
                         "(dataSet, period, orgUnit, received) or populations (orgUnit, year, "
                         f"population); got {header}", file=name)

    @staticmethod
    def file_kind(path: Path, name: str | None = None) -> str:
        """What a DHIS2 file holds: data_values, metadata, reports, populations or unknown
        (read from the JSON keys or the CSV header; a large JSON by its first bytes)."""
        if path.suffix.lower() == ".json":
            if path.stat().st_size > _BIG_JSON:  # not parsed here: named by its first keys
                with open(path, "rb") as fh:
                    head = fh.read(1 << 16).decode("utf-8", "replace")
                if '"dataValues"' in head or '"headers"' in head:
                    return "data_values"
                return "metadata" if '"organisationUnits"' in head else "unknown"
            doc = formats.load_json(path, file=name)
            if not isinstance(doc, dict):
                return "unknown"
            if "dataValues" in doc or ("headers" in doc and "rows" in doc):
                return "data_values"
            if "completeDataSetRegistrations" in doc:
                return "reports"
            return "metadata" if formats.read_metadata_json(doc, name) else "unknown"
        header = csvread.header(path, name or str(path))
        lower = {h.lower() for h in header}
        if formats.csv_column_map(header) is not None or (
                len(header) >= 6 and is_valid_period(header[1])):
            return "data_values"
        if {"dataset", "period", "orgunit", "received"} <= lower:
            return "reports"
        if {"year", "population"} <= lower:
            return "populations"
        if "id" in lower:
            return "metadata"
        return "unknown"

    # ------------------------------------------------------------------ survey waves
    def import_survey_wave(self, df: pd.DataFrame, wave: str, name: str,
                           file: str | None = None) -> ImportReport:
        """Keep a survey file's respondents (checked by the caller) as one wave, in one
        transaction; waves are never replaced by later ones (the user picks one)."""
        import json

        records = json.loads(df.to_json(orient="records"))
        rows = pd.DataFrame({"wave": wave, "row": range(1, len(records) + 1),
                             "data": [json.dumps(r) for r in records]})
        report = ImportReport(file=file or name, kind="survey", rows=len(rows),
                              imported=len(rows))
        c = self.con
        with self._transaction(len(rows)):
            c.execute("DELETE FROM survey_rows WHERE wave = ?", [wave])
            c.execute("INSERT OR REPLACE INTO survey_waves (id, name, file, rows) "
                      "VALUES (?, ?, ?, ?)", [wave, name, file or name, len(rows)])
            c.register("_survey_df", rows)
            c.execute("INSERT INTO survey_rows SELECT wave, row, data FROM _survey_df")
            c.unregister("_survey_df")
        return report

    def survey_waves(self) -> pd.DataFrame:
        """Survey waves, oldest first: id, name, file, rows, imported_at."""
        return self.query("SELECT id, name, file, rows, imported_at FROM survey_waves "
                          "ORDER BY imported_at, id")

    def survey_wave(self, wave: str) -> pd.DataFrame:
        """One wave's respondents (numbers as numbers, text as text)."""
        import json

        texts = self.query("SELECT data FROM survey_rows WHERE wave = ? ORDER BY row",
                           [wave])["data"]
        df = pd.DataFrame.from_records([json.loads(t) for t in texts])
        for col in df.columns:
            if col != "caseid":
                with contextlib.suppress(ValueError, TypeError):  # a text column stays text
                    df[col] = pd.to_numeric(df[col])
        return df

    def _import_values_csv(self, path: Path, header: list[str] | None,
                           name: str | None = None) -> ImportReport:
        """Fast path: DuckDB reads the CSV straight into a staging table."""
        src = str(path)
        if header is None:
            short6 = ["de", "pe", "ou", "coc", "aoc", "value"]
            src_cols = {s: f"_{s}" for s in short6}
            names = ", ".join(f"'_{s}'" for s in short6)
            reader = f"read_csv(?, header=false, all_varchar=true, names=[{names}])"
        else:
            mapping = formats.csv_column_map(header) or {}
            inv = {v: k for k, v in mapping.items()}
            short = {"dataElement": "de", "period": "pe", "orgUnit": "ou",
                     "categoryOptionCombo": "coc", "attributeOptionCombo": "aoc", "value": "value"}
            src_cols = {s: '"' + inv[long].replace('"', '""') + '"'
                        for long, s in short.items() if long in inv}
            reader = "read_csv(?, header=true, all_varchar=true, quote='\"', escape='\"')"
        buffer = spill.csv_buffer_size(self.con)
        if buffer is not None:  # a small bound: read in smaller pieces (same rows, same errors)
            reader = reader[:-1] + f", buffer_size={buffer})"

        def c(name: str) -> str:
            return src_cols.get(name, "NULL")

        fast = self._import_values_csv_fast(src, reader, c)
        if fast is not None:
            return fast
        dflt = formats.DEFAULT_COC
        sql = (f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT {c('de')} AS de, {c('pe')} AS pe, "
               f"{c('ou')} AS ou, coalesce(nullif({c('coc')}, ''), '{dflt}') AS coc, "
               f"coalesce(nullif({c('aoc')}, ''), '{dflt}') AS aoc, "
               f"{_num_and_bad(c('value'))} FROM {reader}")
        try:
            self.con.execute(sql, [src])
        except duckdb.Error as exc:
            bad = csvread.quote_error(path, name or src, header=header is not None)
            if bad is not None:
                raise bad from exc
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise InputError(f"could not read the file as CSV: {reason}",
                             file=name or src) from exc
        return self._stage_to_values(name or src)

    def _import_values_csv_fast(self, src: str, reader: str, c: Any) -> ImportReport | None:
        """The common case, a clean file: one typed read, set-based checks, no staging copy.

        Values are cast to DOUBLE (strictly) straight from the CSV. Into an empty store the rows
        go directly into ``data_values`` inside a transaction that is committed only when the
        checks pass (periods, org units, data elements, finite values, duplicate keys); into a
        store with data they go into a table ``_mmsis_import`` that is then upserted. Returns
        None when the file has any problem (unparseable value, refusal): the caller then runs
        the exact checks that report every refused row, so reports are the same either way.
        """
        con = self.con
        dflt = formats.DEFAULT_COC
        empty = int(con.execute("SELECT count(*) FROM data_values").fetchone()[0]) == 0  # type: ignore[index]
        select = (f"SELECT {c('de')} AS data_element, {c('pe')} AS period, {c('ou')} AS org_unit, "
                  f"coalesce(nullif({c('coc')}, ''), '{dflt}') AS coc, "
                  f"coalesce(nullif({c('aoc')}, ''), '{dflt}') AS aoc, "
                  f"CAST({c('value')} AS DOUBLE) AS value, {self._source_sql()} AS source "
                  f"FROM {reader}")
        table = "data_values" if empty else _FAST
        sql = (f"INSERT INTO data_values ({_DV_COLS}) {select}" if empty
               else f"CREATE OR REPLACE TABLE {_FAST} AS {select}")
        # Row order does not matter here (refused files are re-read by the exact path), and
        # an order-preserving parallel insert leaves row groups that the next checkpoint has to
        # recompress: 2.6 s per 4M values measured, a third of the import.
        order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        con.execute("SET preserve_insertion_order = false")
        try:
            return self._fast_write(src, sql, table, empty)
        finally:  # every path has committed or rolled back by now
            con.execute(f"SET preserve_insertion_order = {bool(order and order[0])}")

    def _fast_write(self, src: str, sql: str, table: str, empty: bool) -> ImportReport | None:
        """Insert, check, then commit or roll back (see ``_import_values_csv_fast``)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            contents.forget(con)  # the store changes: no file is known unchanged
            con.execute(sql, [src])
            report = self._fast_checked(src, table)
        except (duckdb.OutOfMemoryException, duckdb.IOException):
            con.execute("ROLLBACK")  # short of memory or spill disk: the exact path would be too
            raise
        except duckdb.Error:
            report = None
        except Exception:
            con.execute("ROLLBACK")
            raise
        if report is None:
            con.execute("ROLLBACK")  # nothing written (the fast table goes too)
            return None
        if empty:
            try:
                if report.ignored:
                    con.execute("DELETE FROM data_values WHERE value IS NULL")
                rollup.rebuild(con)
                self._record_batch(report.rows)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            return report
        con.execute("COMMIT")  # the checked scratch table, upserted in its own transaction
        con.execute(f"""CREATE OR REPLACE TEMP VIEW _mmsis_import_v AS SELECT
            data_element AS de, period AS pe, org_unit AS ou, coc, aoc, value AS num,
            CASE WHEN value IS NULL THEN '' END AS bad FROM {_FAST}""")
        try:
            self._upsert(report, report.rows, "_mmsis_import_v")
        finally:
            con.execute("DROP VIEW IF EXISTS _mmsis_import_v")
            con.execute(f"DROP TABLE IF EXISTS {_FAST}")
        return report

    def _fast_checked(self, src: str, table: str) -> ImportReport | None:
        """Check the typed rows in ``table``; a report (imported/ignored counts for an empty
        store) when they are clean, else None (see ``_import_values_csv_fast``)."""
        con = self.con
        row = con.execute(f"""SELECT count(*), count(*) FILTER (WHERE value IS NULL),
            count(*) FILTER (WHERE NOT isfinite(value) OR abs(value) > {textio.MAX_DATA_VALUE}),
            count(*) FILTER (WHERE period IS NULL OR period = ''),
            count(*) FILTER (WHERE data_element IS NULL OR org_unit IS NULL) FROM {table}
            """).fetchone()
        assert row is not None
        n, blank, nonfinite, nope, nokey = (int(x) for x in row)
        if nonfinite or nope or nokey:
            return None
        periods = [r[0] for r in con.execute(f"SELECT DISTINCT period FROM {table}").fetchall()]
        if not all(is_valid_period(p) for p in periods):
            return None
        unknown = con.execute(f"""SELECT
            (SELECT count(*) FROM (SELECT DISTINCT org_unit FROM {table}) s
             WHERE NOT EXISTS (SELECT 1 FROM org_units o WHERE o.id = s.org_unit)),
            (SELECT count(*) FROM (SELECT DISTINCT data_element FROM {table}) s
             WHERE NOT EXISTS (SELECT 1 FROM data_elements d WHERE d.id = s.data_element))
            """).fetchone()
        assert unknown is not None
        if unknown[0] or unknown[1]:
            return None
        wrong = con.execute(f"""SELECT count(*) FROM (SELECT value AS num, d.value_type AS vt
            FROM {table} t JOIN data_elements d ON d.id = t.data_element
            WHERE t.value IS NOT NULL) WHERE NOT ({_value_type_ok_sql()})""").fetchone()
        if wrong is None or wrong[0] or self._scope is not None:
            return None
        dup = con.execute(f"""SELECT count(*) FROM (SELECT hash(data_element, period, org_unit,
            coc, aoc) AS k FROM {table} GROUP BY k HAVING count(*) > 1)""").fetchone()
        if dup is None or dup[0]:
            return None  # a duplicate (or a hash collision): the exact checks decide
        return ImportReport(file=src, kind="data_values", rows=n, imported=n - blank,
                            ignored=blank)

    def _import_values_json(self, path: Path) -> ImportReport | None:
        """Fast path for a large dataValueSets JSON: DuckDB's JSON reader, no Python objects.

        Returns None when the file is not a dataValueSets document (the caller then parses it).
        """
        struct = ("STRUCT(dataElement VARCHAR, period VARCHAR, orgUnit VARCHAR, "
                  "categoryOptionCombo VARCHAR, attributeOptionCombo VARCHAR, value VARCHAR)[]")
        cols = (f"{{'dataValues': '{struct}', 'period': 'VARCHAR', 'orgUnit': 'VARCHAR', "
                "'attributeOptionCombo': 'VARCHAR'}")
        reader = (f"read_json(?, columns={cols}, format='unstructured', "
                  f"maximum_object_size={2**31 - 1})")
        dflt = formats.DEFAULT_COC
        try:
            has = self.con.execute(f"SELECT dataValues IS NOT NULL FROM {reader}",
                                   [str(path)]).fetchone()
            if not has or not has[0]:
                return None
            self.con.execute(f"""CREATE OR REPLACE TEMP TABLE _stage AS SELECT
                trim(dataElement) AS de, trim(coalesce(period, dp)) AS pe,
                trim(coalesce(orgUnit, dou)) AS ou,
                coalesce(nullif(trim(categoryOptionCombo), ''), '{dflt}') AS coc,
                coalesce(nullif(trim(coalesce(attributeOptionCombo, daoc)), ''), '{dflt}') AS aoc,
                {_num_and_bad('value')} FROM (SELECT period AS dp, orgUnit AS dou,
                attributeOptionCombo AS daoc, unnest(dataValues, recursive := true)
                FROM {reader})""", [str(path)])
        except duckdb.Error:
            return None
        return self._stage_to_values(str(path))

    def import_data_values(self, df: pd.DataFrame, file: str | None = None, *,
                           aggregated: bool = False) -> ImportReport:
        """Import a DataFrame of data values (DHIS2 column names, values as text or numbers).

        With ``aggregated`` (analytics output) a whole-number type does not require whole
        numbers (an average over months is fractional); the signs and ranges still hold.
        """
        missing = {"dataElement", "period", "orgUnit", "value"} - set(df.columns)
        if missing:
            raise InputError(f"data values lack columns {sorted(missing)}", file=file)
        d = df.copy()
        for col in ("categoryOptionCombo", "attributeOptionCombo"):
            if col not in d.columns:
                d[col] = formats.DEFAULT_COC
        def txt(col: str) -> pd.Series:
            return d[col].astype("string").str.strip()

        stage = pd.DataFrame({"de": txt("dataElement"), "pe": txt("period"), "ou": txt("orgUnit"),
                              "coc": txt("categoryOptionCombo"),
                              "aoc": txt("attributeOptionCombo"), "value": txt("value")})
        for col in ("coc", "aoc"):
            stage[col] = stage[col].fillna(formats.DEFAULT_COC).replace("", formats.DEFAULT_COC)
        self.con.register("_stage_df", stage)
        try:
            self.con.execute("CREATE OR REPLACE TEMP TABLE _stage AS SELECT de, pe, ou, coc, "
                             f"aoc, {_num_and_bad('value')} FROM _stage_df")
        finally:
            self.con.unregister("_stage_df")
        return self._stage_to_values(file, aggregated=aggregated)

    def _reset_refusals(self) -> None:
        """An empty ``_refused`` table for the checks of the import that starts."""
        self.con.execute("CREATE OR REPLACE TEMP TABLE _refused (row BIGINT, col VARCHAR, "
                         "reason VARCHAR, value VARCHAR)")

    def _refusals(self, sql: str, column: str, reason: str,
                  params: list[Any] | None = None) -> list[Refusal]:
        """Note the rows ``sql`` (row, value) refuses in ``_refused`` (in DuckDB, which spills
        to disk, not in Python lists); the first MAX_REFUSALS of them."""
        c = self.con
        c.execute("CREATE TEMP TABLE IF NOT EXISTS _refused (row BIGINT, col VARCHAR, "
                  "reason VARCHAR, value VARCHAR)")
        row = c.execute(f"INSERT INTO _refused SELECT CAST(r AS BIGINT), ?, ?, CAST(v AS VARCHAR) "
                        f"FROM ({sql}) q(r, v)", [column, reason, *(params or [])]).fetchone()
        if not row or not row[0]:
            return []
        rows = c.execute("SELECT row, value FROM _refused WHERE col = ? AND reason = ? "
                         "ORDER BY row LIMIT ?", [column, reason, MAX_REFUSALS]).fetchall()
        return [Refusal(row=int(r[0]), column=column, reason=reason,
                        value=None if r[1] is None else str(r[1])[:200]) for r in rows]

    def _stage_frame(self, stage: pd.DataFrame) -> None:
        """Copy a DataFrame into the temp table ``_stage`` that the refusal checks query."""
        self.con.register("_stage_df", stage)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _stage AS SELECT * FROM _stage_df")
        self.con.unregister("_stage_df")

    @contextlib.contextmanager
    def _transaction(self, rows: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing write: committed if the block finishes, rolled back otherwise."""
        self._written = None
        self.con.execute("BEGIN TRANSACTION")
        try:
            contents.forget(self.con)  # the store changes: no file is known unchanged
            yield self.con
            self._record_batch(rows)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def _source_sql(self) -> str:
        """SQL literal of the current batch id (NULL outside a batch)."""
        return "NULL" if self._batch is None else "'" + self._batch[0].replace("'", "''") + "'"

    @contextlib.contextmanager
    def scoped(self, path: str | None) -> Iterator[Store]:
        """Inside the block, data values of org units outside ``path`` (an org-unit path such
        as ``/C/R1``) are refused: a user limited to a subtree writes only inside it."""
        self._scope = path or None
        try:
            yield self
        finally:
            self._scope = None

    def _record_batch(self, rows: int | None = None) -> None:
        """Inside the open write transaction: note the current batch (see ``batch``), so the
        batch's row and its values commit together or not at all."""
        b = self._batch
        if b is None:
            return
        # (imported_at set again: a batch written in several transactions, as a sync's chunks,
        # moves the versions that key the caches with each of them)
        self.con.execute("INSERT OR REPLACE INTO batches (id, kind, file, rows, imported_at) "
                         "VALUES (?, ?, ?, ?, current_timestamp)", [b[0], b[1], b[2], rows])
        if self._written is not None:  # an upsert knows what it wrote: no scan of the values
            # (one that changed nothing is noted with the empty element: still a batch of data
            # values, which `queries.batches_touching` would count as one of none otherwise -
            # an unchanged re-upload made the web recompute the measurements)
            self.con.execute("INSERT INTO batch_elements SELECT ?, unnest(?) EXCEPT SELECT "
                             "batch, data_element FROM batch_elements WHERE batch = ?",
                             [b[0], self._written or [""], b[0]])
            self._written = None
        else:
            self.con.execute("DELETE FROM batch_elements WHERE batch = ?", [b[0]])
            self.con.execute("INSERT INTO batch_elements SELECT DISTINCT ?, data_element FROM "
                             "data_values WHERE source = ?", [b[0], b[0]])
        if os.environ.get("MMSIS_CRASH_AT") == "store_commit":  # crash tests: die uncommitted
            skip = int(os.environ.get("MMSIS_CRASH_SKIP") or 0)  # (transactions to survive)
            if skip:
                os.environ["MMSIS_CRASH_SKIP"] = str(skip - 1)
            else:
                import signal

                os.kill(os.getpid(), signal.SIGKILL)

    @contextlib.contextmanager
    def batch(self, batch_id: str, kind: str, file: str | None = None) -> Iterator[Store]:
        """Tag the writes made inside the block as one batch (e.g. ``upload:42``): its id is
        written to ``batches`` in the same transaction as its rows, and each data value keeps
        the batch that last wrote it (``source``), so a crash leaves the batch whole or absent.
        """
        if self._batch is not None:
            raise RuntimeError("batches do not nest")
        self._batch = (batch_id, kind, file)
        try:
            yield self
        finally:
            self._batch = None

    def has_batch(self, batch_id: str) -> bool:
        """True when a batch committed (its rows are in the store)."""
        rows = self.con.execute("SELECT count(*) FROM batches WHERE id = ?",
                                [batch_id]).fetchall()
        return bool(rows and rows[0][0])

    def elements_version(self, data_elements: list[str]) -> int:
        """Grows with every batch that wrote values of these data elements (keys the caches of
        their series, which other elements' uploads leave valid), and with every further
        transaction of such a batch (a DHIS2 sync writes one batch in several chunks)."""
        row = self.con.execute(
            "SELECT count(*), coalesce(epoch_us(max(b.imported_at)), 0) FROM batch_elements e "
            "JOIN batches b ON b.id = e.batch WHERE list_contains(?, e.data_element)",
            [list(data_elements)]).fetchall()[0]  # (fetchall: a pending result blocks register)
        return int(row[0]) * 10**16 + int(row[1])

    def version(self) -> int:
        """A number that grows with every committed batch (keys caches of derived results)."""
        row = self.con.execute("SELECT count(*), coalesce(epoch_ms(max(imported_at)), 0) "
                               "FROM batches").fetchone()
        return int(row[0]) * 10**13 + int(row[1]) if row else 0

    def _unknown_org_units(self) -> list[Refusal]:
        """Staged rows (columns ``row``, ``ou``) whose org unit the store does not know."""
        return self._refusals(
            "SELECT row, ou FROM _stage s WHERE NOT EXISTS (SELECT 1 FROM org_units o WHERE "
            "o.id = s.ou)", "orgUnit", "unknown org unit")

    def _bad_periods_table(self, col: str = "pe") -> None:
        periods = [r[0] for r in self.con.execute(
            f"SELECT DISTINCT {col} FROM _stage WHERE {col} IS NOT NULL").fetchall()]
        bad = pd.DataFrame({"pe": [p for p in periods if not is_valid_period(p)]}, dtype="string")
        self.con.register("_bad_pe_df", bad)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _bad_pe AS SELECT * FROM _bad_pe_df")
        self.con.unregister("_bad_pe_df")

    def _stage_to_values(self, file: str | None, aggregated: bool = False) -> ImportReport:
        """Validate the staging table; if every row passes, upsert it into data_values."""
        c = self.con
        n = int(c.execute("SELECT count(*) FROM _stage").fetchone()[0])  # type: ignore[index]
        report = ImportReport(file=file, kind="data_values", rows=n)
        self._reset_refusals()
        self._bad_periods_table()
        refusals: list[Refusal] = []
        refusals += self._refusals(
            "SELECT rowid + 1, pe FROM _stage WHERE pe IS NULL OR pe = '' OR pe IN "
            "(SELECT pe FROM _bad_pe)", "period", "invalid period")
        refusals += self._refusals(
            "SELECT rowid + 1, ou FROM _stage s WHERE NOT EXISTS "
            "(SELECT 1 FROM org_units o WHERE o.id = s.ou)", "orgUnit", "unknown org unit")
        refusals += self._refusals(
            "SELECT rowid + 1, de FROM _stage s WHERE NOT EXISTS "
            "(SELECT 1 FROM data_elements d WHERE d.id = s.de)",
            "dataElement", "unknown data element")
        c.execute("""UPDATE _stage SET num = CASE lower(bad) WHEN 'true' THEN 1 ELSE 0 END,
            bad = NULL WHERE lower(bad) IN ('true', 'false') AND de IN (SELECT id FROM
            data_elements WHERE value_type IN ('BOOLEAN', 'TRUE_ONLY'))""")
        refusals += self._refusals(
            "SELECT rowid + 1, bad FROM _stage WHERE bad <> '' AND TRY_CAST(bad AS DOUBLE) IS "
            "NULL", "value", "non-numeric value")
        refusals += self._refusals(
            "SELECT rowid + 1, bad FROM _stage WHERE bad <> '' AND TRY_CAST(bad AS DOUBLE) IS "
            "NOT NULL", "value", "not a finite number (infinity or NaN)")
        refusals += self._refusals(
            f"SELECT rowid + 1, CAST(num AS VARCHAR) FROM _stage WHERE abs(num) > "
            f"{textio.MAX_DATA_VALUE}", "value", _BEYOND)
        for vt, (cond, meaning) in NUMERIC_VALUE_TYPES.items():
            if aggregated:
                cond = cond.replace("num = trunc(num) AND ", "").replace("num = trunc(num)",
                                                                         "true")
            refusals += self._refusals(
                f"SELECT s.rowid + 1, CAST(s.num AS VARCHAR) FROM _stage s JOIN data_elements d "
                f"ON d.id = s.de WHERE coalesce(d.value_type, 'NUMBER') = '{vt}' AND "
                f"s.num IS NOT NULL AND NOT ({cond})", "value",
                f"not {meaning} (value type {vt} of the data element)")
        refusals += self._refusals(
            "SELECT s.rowid + 1, d.value_type FROM _stage s JOIN data_elements d ON d.id = s.de "
            f"WHERE coalesce(d.value_type, 'NUMBER') NOT IN ({_quoted(NUMERIC_VALUE_TYPES)}) "
            "AND s.num IS NOT NULL", "value",
            "the data element's value type is not numeric (the store keeps numbers)")
        if self._scope is not None:
            refusals += self._refusals(
                "SELECT s.rowid + 1, s.ou FROM _stage s JOIN org_units o ON o.id = s.ou WHERE "
                "NOT starts_with(o.path || '/', ?)", "orgUnit",
                "outside your part of the hierarchy", [self._scope.rstrip("/") + "/"])
        # duplicates: group on one 64-bit hash of the key, then confirm on the full key
        refusals += self._refusals(
            "WITH h AS (SELECT hash(de, pe, ou, coc, aoc) AS k FROM _stage GROUP BY k "
            "HAVING count(*) > 1), r AS (SELECT rowid + 1 AS row, min(rowid + 1) OVER "
            "(PARTITION BY de, pe, ou, coc, aoc) AS f FROM _stage WHERE "
            "hash(de, pe, ou, coc, aoc) IN (SELECT k FROM h)) "
            "SELECT row, 'first at row ' || f FROM r WHERE row > f",
            "key", "duplicate key within file")
        if refusals:
            return self._refused(report, refusals)
        self._upsert(report, n)
        c.execute("DROP TABLE IF EXISTS _stage")
        return report

    def _upsert(self, report: ImportReport, n: int, stage: str = "_stage") -> None:
        """Write the checked ``stage`` (de, pe, ou, coc, aoc, num, bad) into data_values, in one
        transaction, counting imported, updated and ignored rows into ``report``."""
        c = self.con
        with self._transaction(n):
            empty = int(c.execute("SELECT count(*) FROM data_values").fetchone()[0]) == 0  # type: ignore[index]
            blank = int(c.execute(  # type: ignore[index]
                f"SELECT count(*) FROM {stage} WHERE bad = ''").fetchone()[0])
            if empty:
                c.execute(f"INSERT INTO data_values ({_DV_COLS}) SELECT de, pe, ou, coc, aoc, "
                          f"num, {self._source_sql()} FROM {stage} WHERE num IS NOT NULL")
                report.imported, report.ignored = n - blank, blank
                rollup.rebuild(c)
            else:
                self._merge_changed(report, stage, n)

    def _merge_changed(self, report: ImportReport, stage: str, n: int) -> None:
        """Upsert into a store with data, touching only what changed: the staged rows are
        compared on key and value with the stored rows of the same periods (row groups of other
        periods are skipped by their min/max), only new and changed rows are kept (``_m``),
        changed values are updated in place and new ones appended; unchanged rows cost one
        comparison and are never rewritten."""
        c = self.con
        within = _periods_filter(c, stage, "pe", "d.period")
        hashed = self._compare(stage, within)
        counts = c.execute("SELECT count(*) FILTER (WHERE NOT existed), "
                           "count(*) FILTER (WHERE existed) FROM _m").fetchone()
        assert counts is not None
        report.imported, report.updated = int(counts[0]), int(counts[1])
        report.ignored = n - report.imported - report.updated  # blanks included
        if report.updated:  # matched as they were compared (the hash is proven exact here)
            on = ("hash(d.data_element, d.period, d.org_unit, d.coc, d.aoc) = m.k" if hashed
                  else "d.data_element = m.de AND d.period = m.pe AND d.org_unit = m.ou "
                       "AND d.coc = m.coc AND d.aoc = m.aoc")
            c.execute(f"""UPDATE data_values d SET value = m.num, source = {self._source_sql()}
                FROM (SELECT * FROM _m WHERE existed) m WHERE {within} AND {on}""")
        if report.imported:
            c.execute(f"INSERT INTO data_values ({_DV_COLS}) SELECT de, pe, ou, coc, aoc, num, "
                      f"{self._source_sql()} FROM _m WHERE NOT existed")
        rollup.refresh(c, "(SELECT de AS data_element, pe AS period FROM _m)")
        self._written = [str(r[0]) for r in c.execute("SELECT DISTINCT de FROM _m").fetchall()]
        c.execute("DROP TABLE _m")

    def _compare(self, stage: str, within: str) -> bool:
        """The staged rows that are new or changed, into ``_m`` (de, pe, ou, coc, aoc, num,
        existed, k); True when they were matched on the hash ``k`` of their key. The rows are
        matched on one 64-bit hash of their key (a five-text-column key made the join run out
        of a 100 MB bound at 10 M values; the hash also halves its CPU), a second, independent
        hash ``k2`` of each matched pair proves the keys equal, and the new or changed rows'
        texts are joined back on both hashes. If two keys ever collided, the comparison is
        made again on the full key (and False returned)."""
        c = self.con
        keys = "de, pe, ou, coc, aoc"
        hashed = (f"SELECT *, hash({keys}) AS k, {_KEY2.format(keys)} AS k2 FROM {stage} "
                  "WHERE num IS NOT NULL")
        # both sides narrow (two hashes and the value): whichever side DuckDB builds its hash
        # table on, a row costs a few dozen bytes, not five texts
        c.execute(f"""CREATE OR REPLACE TEMP TABLE _mk AS SELECT s.k, s.k2,
            d.value IS NOT NULL AS existed, d.k2 <> s.k2 AS clash
            FROM (SELECT k, k2, num FROM ({hashed})) s
            LEFT JOIN (SELECT value, hash(data_element, period, org_unit, coc, aoc) AS k,
                {_KEY2.format("data_element, period, org_unit, coc, aoc")} AS k2
                FROM data_values d WHERE {within}) d ON d.k = s.k
            WHERE d.value IS DISTINCT FROM s.num OR d.k2 <> s.k2""")
        clash = c.execute("SELECT count(*) FROM _mk WHERE clash").fetchone()
        if HASH_COMPARE and not (clash and clash[0]):
            c.execute(f"""CREATE OR REPLACE TEMP TABLE _m AS SELECT s.de, s.pe, s.ou, s.coc,
                s.aoc, s.num, m.existed, s.k FROM ({hashed}) s JOIN _mk m
                ON m.k = s.k AND m.k2 = s.k2""")
            c.execute("DROP TABLE _mk")
            return True
        c.execute("DROP TABLE _mk")
        c.execute(f"""CREATE OR REPLACE TEMP TABLE _m AS SELECT s.de, s.pe, s.ou, s.coc,
            s.aoc, s.num, d.value IS NOT NULL AS existed
            FROM {stage} s LEFT JOIN (SELECT * FROM data_values d WHERE {within}) d
            ON d.data_element = s.de AND d.period = s.pe AND d.org_unit = s.ou
            AND d.coc = s.coc AND d.aoc = s.aoc
            WHERE s.num IS NOT NULL AND d.value IS DISTINCT FROM s.num""")
        return False

    def _refused(self, report: ImportReport, refusals: list[Refusal]) -> ImportReport:
        """The report of a refused file: the first MAX_REFUSALS problems by row, how many
        there are (``refusals_total``) and how many rows they touch (``refused``)."""
        c = self.con
        c.execute("DROP TABLE IF EXISTS _stage")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS _refused (row BIGINT, col VARCHAR, "
                  "reason VARCHAR, value VARCHAR)")
        counted = c.execute("SELECT count(*), count(DISTINCT row) FROM _refused").fetchone()
        if counted and counted[0]:
            first = c.execute("SELECT row, col, reason, value FROM _refused ORDER BY row, col "
                              "LIMIT ?", [MAX_REFUSALS]).fetchall()
            report.refusals = [Refusal(row=int(r[0]), column=r[1], reason=r[2], value=r[3])
                               for r in first]
            report.refusals_total, report.refused = int(counted[0]), int(counted[1])
        else:  # checks made in Python (metadata)
            refusals.sort(key=lambda r: (r.row, r.column))
            report.refusals = refusals[:MAX_REFUSALS]
            report.refusals_total = len(refusals)
            report.refused = len({r.row for r in refusals})
        c.execute("DROP TABLE IF EXISTS _refused")
        return report

    def import_reports(self, df: pd.DataFrame, file: str | None = None) -> ImportReport:
        """Import report registrations (dataSet, period, orgUnit, expected, received, on_time)."""
        cols = {c.lower(): c for c in df.columns}
        need = ["dataset", "period", "orgunit", "received"]
        if any(k not in cols for k in need):
            raise InputError(f"reports need columns {need}", file=file)

        def col(name: str, default: str) -> pd.Series:
            return (df[cols[name]].astype("string") if name in cols
                    else pd.Series(default, index=df.index, dtype="string"))

        stage = pd.DataFrame({"row": range(1, len(df) + 1), "ds": col("dataset", ""),
                              "pe": col("period", ""),
                              "ou": col("orgunit", ""), "expected": col("expected", "1"),
                              "received": col("received", "0"), "on_time": col("on_time", "")})
        c = self.con
        self._stage_frame(stage)
        report = ImportReport(file=file, kind="reports", rows=len(stage))
        self._reset_refusals()
        self._bad_periods_table()
        refusals = self._refusals("SELECT row, pe FROM _stage WHERE pe IS NULL OR pe IN "
                                  "(SELECT pe FROM _bad_pe)", "period", "invalid period")
        refusals += self._unknown_org_units()
        for name in ("expected", "received", "on_time"):
            ok = "'0', '1', 'true', 'false'" + (", ''" if name == "on_time" else "")
            refusals += self._refusals(
                f"SELECT row, {name} FROM _stage WHERE coalesce({name}, '') NOT IN ({ok})",
                name, "not 0/1")
        refusals += self._refusals(
            "SELECT row, 'first at row ' || f FROM (SELECT row, min(row) OVER (PARTITION BY ds, "
            "pe, ou) AS f FROM _stage) WHERE row > f", "key", "duplicate key within file")
        if refusals:
            return self._refused(report, refusals)

        def b(name: str) -> str:
            return f"CASE WHEN {name} IN ('1', 'true') THEN 1 WHEN {name} IN ('0', 'false') " \
                   "THEN 0 END"

        with self._transaction():
            row = c.execute("""SELECT count(*) FILTER (WHERE r.org_unit IS NULL),
                count(*) FILTER (WHERE r.org_unit IS NOT NULL) FROM _stage s LEFT JOIN reports r
                ON r.data_set = s.ds AND r.period = s.pe AND r.org_unit = s.ou""").fetchone()
            assert row is not None
            report.imported, report.updated = int(row[0]), int(row[1])
            c.execute("DELETE FROM reports r USING _stage s WHERE r.data_set = s.ds AND "
                      "r.period = s.pe AND r.org_unit = s.ou")
            c.execute(f"INSERT INTO reports SELECT ds, pe, ou, {b('expected')}, "
                      f"{b('received')}, {b('on_time')} FROM _stage")
        c.execute("DROP TABLE IF EXISTS _stage")
        return report

    def import_populations(self, df: pd.DataFrame, file: str | None = None) -> ImportReport:
        """Import yearly populations (orgUnit, year, population), all-or-nothing; they replace
        an org unit's single ``population`` for the years they cover in ``P{population}``."""
        cols = {c.lower().replace("_", ""): c for c in df.columns}
        if any(k not in cols for k in ("orgunit", "year", "population")):
            raise InputError("populations need columns orgUnit, year, population", file=file)
        stage = pd.DataFrame({"row": range(1, len(df) + 1),
                              "ou": df[cols["orgunit"]].astype("string").str.strip(),
                              "yr": df[cols["year"]].astype("string").str.strip(),
                              "pop": df[cols["population"]].astype("string").str.strip()})
        c = self.con
        self._stage_frame(stage)
        report = ImportReport(file=file, kind="populations", rows=len(stage))
        self._reset_refusals()
        refusals = self._unknown_org_units()
        refusals += self._refusals(
            "SELECT row, yr FROM _stage WHERE NOT regexp_full_match(coalesce(yr, ''), "
            "'(19|20|21)[0-9]{2}')", "year", "not a year (YYYY)")
        refusals += self._refusals(
            "SELECT row, pop FROM _stage WHERE TRY_CAST(pop AS DOUBLE) IS NULL OR NOT "
            "isfinite(TRY_CAST(pop AS DOUBLE)) OR TRY_CAST(pop AS DOUBLE) < 0", "population",
            "not a number >= 0")
        refusals += self._refusals(
            f"SELECT row, pop FROM _stage WHERE isfinite(TRY_CAST(pop AS DOUBLE)) AND "
            f"TRY_CAST(pop AS DOUBLE) > {textio.MAX_DATA_VALUE}", "population", _BEYOND)
        refusals += self._refusals(
            "SELECT row, 'first at row ' || f FROM (SELECT row, min(row) OVER (PARTITION BY ou, "
            "yr) AS f FROM _stage) WHERE row > f", "key", "duplicate org unit and year")
        if refusals:
            return self._refused(report, refusals)
        with self._transaction():
            row = c.execute("SELECT count(*) FROM _stage s JOIN populations p ON p.org_unit = "
                            "s.ou AND p.year = CAST(s.yr AS INTEGER)").fetchone()
            report.updated = int(row[0]) if row else 0
            report.imported = len(stage) - report.updated
            c.execute("DELETE FROM populations p USING _stage s WHERE p.org_unit = s.ou AND "
                      "p.year = CAST(s.yr AS INTEGER)")
            c.execute("INSERT INTO populations SELECT ou, CAST(yr AS INTEGER), "
                      "CAST(pop AS DOUBLE) FROM _stage")
        c.execute("DROP TABLE IF EXISTS _stage")
        return report

    def import_metadata(self, tables: dict[str, pd.DataFrame],
                        file: str | None = None) -> ImportReport:
        """Upsert org units, data elements, option combos and data sets (validated,
        all-or-nothing)."""
        refusals: list[Refusal] = []
        prepared: dict[str, pd.DataFrame] = {}
        if "org_units" in tables:
            prepared["org_units"], bad = _prepare_org_units(tables["org_units"])
            refusals += [r.model_copy(update={"column": f"org_units.{r.column}"}) for r in bad]
        if "data_elements" in tables:
            prepared["data_elements"], bad = _prepare_data_elements(tables["data_elements"])
            refusals += [r.model_copy(update={"column": f"data_elements.{r.column}"})
                         for r in bad]
        for named in ("category_option_combos", "data_sets"):  # id and name only
            if named in tables:
                prepared[named] = tables[named][["id", "name"]].astype("string")
        kind = "+".join(prepared) or "metadata"
        report = ImportReport(file=file, kind=kind, rows=sum(len(t) for t in prepared.values()))
        self._reset_refusals()
        if refusals:
            return self._refused(report, refusals)
        c = self.con
        with self._transaction():
            for table, df in prepared.items():
                c.register("_meta_df", df)
                row = c.execute(f"SELECT count(*) FROM _meta_df m JOIN {table} t ON t.id = m.id"
                                ).fetchone()
                existed = int(row[0]) if row else 0
                moved = table == "org_units" and _paths_change(c)
                report.updated += existed
                report.imported += len(df) - existed
                c.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM _meta_df)")
                cols = ", ".join(df.columns)
                c.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _meta_df")
                c.unregister("_meta_df")
                if moved:  # units moved in the hierarchy: their ancestors' totals change
                    rollup.rebuild(c)
        return report

    def set_constants(self, values: dict[str, float], source: str = "user") -> None:
        """Store constants (e.g. crude_birth_rate) used by indicator expressions C{id}."""
        for k, v in values.items():
            self.con.execute("INSERT OR REPLACE INTO constants VALUES (?, ?, ?)",
                             [k, float(v), source])

    # ------------------------------------------------------------------ export
    def export_data_values(self, path: str | Path) -> int:
        """Write all data values as DHIS2 dataValueSets CSV or JSON (by suffix); return count."""
        df = self.query("SELECT data_element AS dataElement, period, org_unit AS orgUnit, "
                        "coc AS categoryOptionCombo, aoc AS attributeOptionCombo, value "
                        "FROM data_values ORDER BY period, orgUnit, dataElement")
        p = Path(path)
        if p.suffix.lower() == ".json":
            import json

            p.write_text(json.dumps(formats.data_values_to_json(df)), encoding="utf-8")
        else:
            formats.data_values_to_csv(df, p)
        return len(df)


def _quoted(names: Any) -> str:
    """Comma-separated SQL string literals of fixed names (not user input)."""
    return ", ".join("'" + str(n).replace("'", "''") + "'" for n in names)


def _value_type_ok_sql() -> str:
    """SQL that is true when ``num`` is valid for value type ``vt`` (see NUMERIC_VALUE_TYPES)."""
    cases = " ".join(f"WHEN '{vt}' THEN ({cond})"
                     for vt, (cond, _m) in NUMERIC_VALUE_TYPES.items())
    return f"CASE coalesce(vt, 'NUMBER') {cases} ELSE false END"


def _paths_change(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the org units in ``_meta_df`` move stored units (a path or level differs:
    ``value_totals`` keeps each unit's level, which its readers filter on)."""
    row = con.execute("SELECT count(*) FROM _meta_df m JOIN org_units t ON t.id = m.id "
                      "WHERE t.path IS DISTINCT FROM m.path OR t.level IS DISTINCT FROM m.level"
                      ).fetchone()
    return bool(row and row[0])


def _periods_filter(con: duckdb.DuckDBPyConnection, table: str, col: str, target: str) -> str:
    """SQL condition on ``target`` (a period column of data_values) that keeps the periods of
    ``table.col``: a range DuckDB checks against each row group's min/max (a one-month import
    reads that month's row groups, not the whole table) and the exact list."""
    rows = con.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall()
    periods = sorted(str(r[0]) for r in rows)
    if not periods:
        return "false"
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in periods)
    lo, hi = (("'" + p.replace("'", "''") + "'") for p in (periods[0], periods[-1]))
    return f"({target} BETWEEN {lo} AND {hi} AND {target} IN ({quoted}))"


def _prepare_org_units(df: pd.DataFrame) -> tuple[pd.DataFrame, list[Refusal]]:
    """Validate org units; fill path from parents and level from path where missing."""
    d = df.rename(columns={"parent": "parent_id", "openingDate": "opening_date"}).copy()
    for col in ("name", "level", "parent_id", "path", "population", "opening_date"):
        if col not in d.columns:
            d[col] = None
    d = d[["id", "name", "level", "parent_id", "path", "population", "opening_date"]]
    d = d.replace({"": None})
    refusals: list[Refusal] = []
    ids = d["id"].astype("string")
    for i in d.index[ids.isna()]:
        refusals.append(Refusal(row=int(i) + 1, column="id", reason="missing id"))
    parent_of = dict(zip(ids, d["parent_id"], strict=True))
    paths = []
    for i, (uid, path) in enumerate(zip(ids, d["path"], strict=True)):
        if path is None or pd.isna(path):
            chain, cur, seen = [], uid, set()
            while cur is not None and not pd.isna(cur) and cur not in seen:
                seen.add(cur)
                chain.append(str(cur))
                cur = parent_of.get(cur)
            path = "/" + "/".join(reversed(chain))
        elif not str(path).startswith("/") or not str(path).endswith("/" + str(uid)):
            refusals.append(Refusal(row=i + 1, column="path", reason="path must end with the id",
                                    value=str(path)))
        paths.append(path)
    d["path"] = paths
    level = pd.to_numeric(d["level"], errors="coerce")
    bad_level = d["level"].notna() & ~(level.between(1, 99) & (level % 1 == 0))
    for i in d.index[bad_level]:
        refusals.append(Refusal(row=int(i) + 1, column="level",
                                reason="not a whole number from 1 to 99",
                                value=str(d.at[i, "level"])))
    from_path = d["path"].map(lambda p: str(p).strip("/").count("/") + 1)
    d["level"] = level.where(~bad_level).fillna(from_path).astype("int64")
    pop = pd.to_numeric(d["population"], errors="coerce")
    for i in d.index[pop.isna() & d["population"].notna()]:
        refusals.append(Refusal(row=int(i) + 1, column="population", reason="non-numeric value",
                                value=str(d.at[i, "population"])))
    for i in d.index[pop.notna()]:  # infinity and negatives would give 0 % and -1,548 %
        v = float(pop[i])
        problem = textio.value_problem(v) or (None if v >= 0 else "a population cannot be "
                                              "negative")
        if problem:
            refusals.append(Refusal(row=int(i) + 1, column="population", reason=problem,
                                    value=str(d.at[i, "population"])))
    d["population"] = pop.astype("float64")
    for col in ("id", "name", "parent_id", "path", "opening_date"):
        d[col] = d[col].astype("string")
    dup = ids.duplicated()
    for i in d.index[dup]:
        refusals.append(Refusal(row=int(i) + 1, column="id", reason="duplicate key within file",
                                value=str(ids[i])))
    return d.reset_index(drop=True), refusals


def _prepare_data_elements(df: pd.DataFrame) -> tuple[pd.DataFrame, list[Refusal]]:
    """Validate data elements (id and a known DHIS2 aggregation type)."""
    d = df.rename(columns={"shortName": "short_name", "valueType": "value_type",
                           "aggregationType": "aggregation_type",
                           "domainType": "domain_type"}).copy()
    for col in ("name", "short_name", "value_type", "aggregation_type", "domain_type"):
        if col not in d.columns:
            d[col] = None
    d = d[["id", "name", "short_name", "value_type", "aggregation_type", "domain_type"]]
    d["aggregation_type"] = d["aggregation_type"].fillna("SUM").replace({"": "SUM"})
    refusals = [Refusal(row=int(i) + 1, column="aggregation_type",
                        reason="unknown aggregation type", value=str(v))
                for i, v in d["aggregation_type"].items()
                if not isinstance(v, str) or v not in AGGREGATION_TYPES]
    refusals += [Refusal(row=int(i) + 1, column="id", reason="duplicate key within file",
                         value=str(v)) for i, v in d["id"][d["id"].duplicated()].items()]
    missing = d["id"].isna() | (d["id"].astype("string").str.strip() == "")
    refusals += [Refusal(row=int(i) + 1, column="id", reason="missing id")
                 for i in d.index[missing.fillna(True)]]
    return d.astype("string").reset_index(drop=True), refusals


def load_example(store: Store, country: CountryProgramme) -> dict[str, ImportReport]:
    """Load a programme's tables (e.g. mmsis.datasets.example_country()) into the store."""
    from mmsis.data.programme import CONSTANTS

    if country.data_elements is None or country.data_values is None or country.reports is None:
        raise InputError("load_example needs the programme's data elements, data values and "
                         "reports tables", field="routine")
    reports = {
        "metadata": store.import_metadata(
            {"org_units": country.org_units, "data_elements": country.data_elements,
             **({"data_sets": country.data_sets} if country.data_sets is not None else {})},
            file="example_country"),
        "data_values": store.import_data_values(country.data_values, file="example_country"),
        "reports": store.import_reports(country.reports, file="example_country"),
    }
    consts: dict[str, float] = {k: country.country[k] for k in CONSTANTS if k in country.country}
    store.set_constants(consts, source="example country (synthetic)")
    if country.concepts is not None:  # the example country's concept mapping
        store.set_concepts(country.concepts)
    return reports
