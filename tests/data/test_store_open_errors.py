"""A store file that cannot be read says why in words: held by another process (a running
`mmsis serve`), or a DuckDB file that is not an mmsis store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from mmsis.data.store import Store
from mmsis.errors import InputError


def test_a_duckdb_file_that_is_not_a_store_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    with pytest.raises(InputError, match="not an mmsis store"):
        Store(path, read_only=True)


def test_a_store_another_process_holds_says_so(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        time.sleep(0.2)
        with pytest.raises(InputError) as exc:
            Store(path, read_only=True)
        msg = exc.value.message
        assert "another program has it open" in msg and f"process {holder.pid}" in msg, msg
        assert "mmsis serve" in msg
    finally:
        holder.kill()
        holder.wait()
