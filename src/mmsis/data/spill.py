"""Out-of-core settings of the programme store: one memory bound, spilling to the store's folder.

``MMSIS_STORE_MEMORY`` (default 2GB) is DuckDB's ``memory_limit``; what does not fit is spilled
to a temporary folder next to the store file (``<store>.tmp``), so an operation on any amount
of data finishes within the bound, at the cost of disk traffic. When the disk for spilling runs
short, or an operator cannot spill, the error says so (``InputError``, exit status 2 in the CLI)
instead of a DuckDB traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from mmsis.errors import InputError

DEFAULT_MEMORY = "2GB"
_MIN_PER_THREAD = 125 * 2**20  # DuckDB's guidance: at least ~125 MB per thread for spilling
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b)\s*$", re.IGNORECASE)


def memory_setting() -> str:
    """The store's memory bound from ``MMSIS_STORE_MEMORY`` (e.g. ``300MB``, ``2GB``)."""
    return os.environ.get("MMSIS_STORE_MEMORY", DEFAULT_MEMORY) or DEFAULT_MEMORY


def parse_size(text: str) -> int:
    """Bytes of a size such as ``300MB`` or ``2GiB``; InputError for anything else."""
    m = _SIZE.match(text)
    if not m:
        raise InputError(f"MMSIS_STORE_MEMORY must be a size such as 300MB or 2GB, got {text!r}",
                         field="MMSIS_STORE_MEMORY")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def spill_directory(path: str) -> str:
    """Where a store spills: ``<store file>.tmp`` beside it (a private temp folder for
    in-memory stores)."""
    if path == ":memory:" or path.startswith(":memory:"):
        return os.path.join(tempfile.gettempdir(), f"mmsis-spill-{os.getpid()}")
    return str(Path(path).resolve()) + ".tmp"


def configure(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Bound the connection's memory, spill to the store's folder, and run no more threads
    than the bound can feed (each thread needs ~125 MB to spill instead of failing)."""
    limit = parse_size(memory_setting())
    con.execute(f"SET memory_limit = '{limit}B'")
    con.execute("SET temp_directory = ?", [spill_directory(path)])
    threads = max(1, min(os.cpu_count() or 1, limit // _MIN_PER_THREAD))
    con.execute(f"SET threads = {threads}")


CSV_BUFFER_DEFAULT = 32 * 2**20
"""DuckDB's CSV read buffer (16 x its 2 MiB longest line), allocated whole for each reader."""
_CSV_BUFFER_MIN = 2 * 2**20  # DuckDB refuses a buffer below its longest line (2 MiB)


def csv_buffer_size(con: duckdb.DuckDBPyConnection) -> int | None:
    """The CSV read buffer for this connection's bound: DuckDB's default when it is at most a
    sixteenth of the bound (nothing to set: None), else a sixteenth, at least 2 MiB. Its 32 MiB
    buffer alone is a third of a 100 MB bound; a smaller one reads the same rows in more,
    smaller pieces."""
    size = max(_CSV_BUFFER_MIN, memory_limit(con) // 16)
    return None if size >= CSV_BUFFER_DEFAULT else size


def memory_limit(con: duckdb.DuckDBPyConnection) -> int:
    """The connection's memory limit in bytes (as DuckDB reports it)."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    text = str(row[0]) if row else DEFAULT_MEMORY
    try:
        return parse_size(text.replace(" ", ""))
    except InputError:
        return parse_size(DEFAULT_MEMORY)


def _disk_short(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(k in text for k in ("no space left", "max_temp_directory_size",
                                   "failed to offload", "temp directory", "temporary directory",
                                   "could not write"))


def _suggested(setting: str) -> str:
    """A bound to try after ``setting`` ran out: twice it, at least 64MB (whole GB from 1GB)."""
    try:
        now = parse_size(setting)
    except InputError:
        now = parse_size(DEFAULT_MEMORY)
    mb = max(64, -(-2 * now // 10**6))
    return f"{-(-mb // 1000)}GB" if mb >= 1000 else f"{mb}MB"


def _first_line(exc: BaseException) -> str:
    """DuckDB's message without its advice on SQL settings (which users do not set)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def out_of_core(where: str | None = None) -> Iterator[None]:
    """Turn DuckDB's out-of-memory and spill-disk failures into an InputError a user can act
    on (free disk beside the store, or a larger MMSIS_STORE_MEMORY, named)."""
    try:
        yield
    except (duckdb.OutOfMemoryException, duckdb.IOException) as exc:
        setting = memory_setting()
        if _disk_short(exc):
            raise InputError(
                "not enough disk space to spill the store's work to disk (the store keeps "
                f"within MMSIS_STORE_MEMORY={setting} and writes the rest beside the "
                f"store file): free disk space there and retry. DuckDB said: {_first_line(exc)}",
                file=where) from exc
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise InputError(
                f"the store ran out of its memory bound (MMSIS_STORE_MEMORY={setting}) in an "
                "operation that could not spill to disk: set a larger bound, e.g. "
                f"MMSIS_STORE_MEMORY={_suggested(setting)}, and retry. DuckDB said: "
                f"{_first_line(exc)}", file=where) from exc
        raise
