"""Only mmsis.data speaks SQL to the programme store (issue 19): every other package reads it
through mmsis.data.queries or Store's own methods. This test reads the source of every module
outside mmsis.data and fails on the store's connection (``.con``), a raw ``.query(...)``,
``.sql(...)``, a catalogue probe (information_schema, duckdb_tables) or a DuckDB connection of
its own (except in a file listed in ALLOWED with its reason; none today)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mmsis"

# what counts as speaking SQL to the store from outside mmsis.data
PATTERNS = {
    "the store's DuckDB connection": re.compile(r"\.con\b"),
    "raw SQL through Store.query": re.compile(r"\.query\("),
    "raw SQL through DuckDB's relational API": re.compile(r"\.sql\("),
    "a catalogue probe": re.compile(r"information_schema|duckdb_tables"),
    "a DuckDB connection of its own": re.compile(r"duckdb\.connect"),
}

# (path under src/mmsis, number of matching lines): a file left speaking SQL on purpose, with
# the reason in a comment; the counts may only fall. None today.
ALLOWED: dict[str, int] = {}


def _hits(path: Path) -> list[str]:
    """The lines of ``path`` that speak SQL to the store, with what they do."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        for what, pat in PATTERNS.items():
            if pat.search(code):
                out.append(f"{path.relative_to(SRC)}:{n}: {what}: {line.strip()}")
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py")
                  if p.relative_to(SRC).parts[0] != "data"
                  # the web's own database (SQLAlchemy migrations), not the programme store
                  and "migrations" not in p.relative_to(SRC).parts)


def test_no_sql_against_the_store_outside_data() -> None:
    found = []
    for path in _modules():
        hits = _hits(path)
        allowed = ALLOWED.get(str(path.relative_to(SRC)), 0)
        if len(hits) > allowed:
            found.extend(hits)
    assert not found, ("SQL against the programme store outside mmsis.data (add a typed "
                       "function to mmsis.data.queries instead):\n" + "\n".join(found))


def test_allowed_exceptions_still_need_it() -> None:
    """An exception that no longer needs its allowance is taken off the list."""
    stale = [rel for rel, n in ALLOWED.items() if len(_hits(SRC / rel)) != n]
    assert not stale, f"update ALLOWED for {stale}"


def test_the_guard_sees_a_violation(tmp_path: Path) -> None:
    """The patterns catch the forms that were moved (so the guard can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text('rows = store.con.execute("SELECT id FROM data_elements").fetchall()\n'
                   'n = st.query("SELECT count(*) FROM information_schema.tables")\n',
                   encoding="utf-8")
    lines = [h for p in PATTERNS.values() for h in bad.read_text().splitlines()
             if p.search(h)]
    assert len(lines) == 3
