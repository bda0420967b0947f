"""An import killed with SIGKILL between its two transactions leaves no scratch table behind."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from mmsis.data.store import Store

FIX = Path(__file__).parent / "fixtures"
DES = ["f7n9E0hX8qk", "Ix2HsbDMLea"]
OU = "DiszpKrYNg8"


def _csv(path: Path, periods: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["dataelement", "period", "orgunit", "catoptcombo", "attroptcombo", "value"])
        w.writerows([de, pe, OU, "", "", "7"] for pe in periods for de in DES)
    return path


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()


def test_store_opened_after_a_kill_9_import_has_no_scratch_table(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with Store(db) as st:  # a store with data: the next import goes through the scratch table
        assert st.import_file(FIX / "metadata.json").ok
        st.con.execute("UPDATE data_elements SET value_type = 'NUMBER'")
        assert st.import_file(_csv(tmp_path / "a.csv", ["202001", "202002"])).ok
    second = _csv(tmp_path / "b.csv", ["202002", "202003"])
    # the import dies (SIGKILL) right after committing its checked scratch table
    script = textwrap.dedent(f"""
        import os, signal
        from mmsis.data.store import Store
        def die(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        Store._upsert = die
        Store({str(db)!r}).import_file({str(second)!r})
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == -9, run.stderr
    assert "_mmsis_import" in _tables(db)  # the state a killed import leaves on disk
    with Store(db) as st:
        assert st.count("data_values") == 4  # the killed import wrote nothing
    assert "_mmsis_import" not in _tables(db)
