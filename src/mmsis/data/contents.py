"""The content of the last file imported into a store, so an identical re-import only hashes.

A re-import of the same bytes into a store that nothing has written to since that import is a
no-op: the comparison would find every row unchanged. The store keeps the file's SHA-256 (with
the encoding it was read with and its row counts) and forgets it in every write transaction
(`Store._transaction`, the empty-store fast import), so a later import, update or metadata change
sends the next import of that file through the full checks and comparison again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

TABLE = "import_contents"
SCHEMA = f"""CREATE TABLE IF NOT EXISTS {TABLE} (sha256 VARCHAR, encoding VARCHAR,
    bytes BIGINT, kind VARCHAR, rows BIGINT)"""
_CHUNK = 1 << 20  # 1 MiB reads: a file of any size hashes in constant memory


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (streaming: memory does not grow with size)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a write transaction: the store changes, so no earlier file is known unchanged."""
    con.execute(f"DELETE FROM {TABLE}")


def remember(con: duckdb.DuckDBPyConnection, sha256: str, encoding: str | None, size: int,
             kind: str, rows: int) -> None:
    """After a successful import (its writes committed): note the file's content."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {TABLE}")
        con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
                    [sha256, encoding or "", size, kind, rows])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def recorded_size(con: duckdb.DuckDBPyConnection, encoding: str | None) -> int | None:
    """Byte size of the remembered file (None if none): a file of another size is not it, so
    it need not be hashed to know."""
    row = con.execute(f"SELECT bytes FROM {TABLE} WHERE encoding = ?",
                      [encoding or ""]).fetchall()  # (fetchall: no result left pending)
    return int(row[0][0]) if row else None


def unchanged(con: duckdb.DuckDBPyConnection, sha256: str,
              encoding: str | None) -> tuple[str, int] | None:
    """(kind, rows) of the remembered import when ``sha256`` is its content, else None."""
    row = con.execute(f"SELECT kind, rows FROM {TABLE} WHERE sha256 = ? AND "
                      "encoding = ?", [sha256, encoding or ""]).fetchall()
    return (str(row[0][0]), int(row[0][1])) if row else None
