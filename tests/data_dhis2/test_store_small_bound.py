"""Imports within a small memory bound (issue 20): a data-values CSV is read in pieces sized to
``MMSIS_STORE_MEMORY``, a re-import matches rows on a hash of their key (proven by a second
hash, with the full key as the fallback), and a bound too small says which one to set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.data import spill
from mmsis.data import store as store_mod
from mmsis.data.store import Store
from mmsis.errors import InputError

DES = ["ANC1", "ANC4", "MMS_CLIENTS", "IFA_CLIENTS", "MMS_TABLETS_DISPENSED"]
COCS = ["cocA", "cocB", "cocC", "cocD"]
N_FAC, N_MONTHS = 300, 48  # x 5 elements x 4 combos = 288,000 values


def _org_units() -> pd.DataFrame:
    rows = [("ROOT", "Country", 1, "/ROOT")]
    rows += [(f"D{d}", f"District {d}", 2, f"/ROOT/D{d}") for d in range(4)]
    rows += [(f"F{i:04d}", f"Facility {i}", 3, f"/ROOT/D{i % 4}/F{i:04d}") for i in range(N_FAC)]
    return pd.DataFrame(rows, columns=["id", "name", "level", "path"])


def _files(tmp: Path) -> tuple[Path, Path]:
    """A first file, and a second one with every 7th value changed and one new month."""
    months = [f"{2020 + m // 12}{m % 12 + 1:02d}" for m in range(N_MONTHS)]
    idx = pd.MultiIndex.from_product([DES, months, [f"F{i:04d}" for i in range(N_FAC)], COCS],
                                     names=["dataelement", "period", "orgunit",
                                            "categoryoptioncombo"])
    df = idx.to_frame(index=False)
    df["attributeoptioncombo"] = "HllvX50cXC0"
    df["value"] = np.random.default_rng(1).poisson(30, len(df)).astype(float)
    df.to_csv(tmp / "a.csv", index=False)
    df.loc[::7, "value"] += 1
    extra = df[df["period"] == months[-1]].assign(period="202401")
    pd.concat([df, extra]).to_csv(tmp / "b.csv", index=False)
    return tmp / "a.csv", tmp / "b.csv"


def _store(path: Path) -> Store:
    st = Store(str(path))
    des = pd.DataFrame({"id": DES, "aggregation_type": "SUM"})
    assert st.import_metadata({"org_units": _org_units(), "data_elements": des}).ok
    return st


def _tables(st: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    values = st.query("SELECT data_element, period, org_unit, coc, aoc, value FROM data_values "
                      "ORDER BY ALL")
    totals = st.query("SELECT * FROM value_totals ORDER BY ALL")
    return values, totals


def _run(tmp: Path, files: tuple[Path, Path], name: str) -> tuple[list[tuple[int, int, int]],
                                                                  pd.DataFrame, pd.DataFrame]:
    """Import a, then b (changes and a month), then a again (compared); counts and tables."""
    st = _store(tmp / f"{name}.duckdb")
    a, b = files
    counts = []
    for f in (a, b, a):
        r = st.import_file(f)
        assert r.ok and not r.unchanged
        counts.append((r.imported, r.updated, r.ignored))
    values, totals = _tables(st)
    st.close()
    return counts, values, totals


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _files(tmp_path_factory.mktemp("small_bound"))


@pytest.fixture(scope="module")
def roomy(files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[list[tuple[int, int, int]], pd.DataFrame, pd.DataFrame]:
    """The three imports at the default 2 GB bound."""
    return _run(tmp_path_factory.mktemp("roomy"), files, "roomy")


def test_imports_within_a_small_bound_equal_the_default(
        files: tuple[Path, Path], roomy: tuple[list[tuple[int, int, int]], pd.DataFrame,
                                               pd.DataFrame],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMSIS_STORE_MEMORY", "40MB")
    counts, values, totals = _run(tmp_path, files, "tight")
    n = N_FAC * N_MONTHS * len(DES) * len(COCS)
    changed = len(range(0, n, 7))
    month = N_FAC * len(DES) * len(COCS)
    assert counts == roomy[0] == [(n, 0, 0), (month, changed, n - changed), (0, changed,
                                                                               n - changed)]
    pd.testing.assert_frame_equal(values, roomy[1])
    pd.testing.assert_frame_equal(totals, roomy[2])


def test_csv_buffer_follows_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB's 32 MiB read buffer is a third of a 100 MB bound: smaller ones read in pieces
    for setting, want in [("2GB", None), ("1GB", None), ("100MB", pytest.approx(6.25e6, rel=0.01)),
                          ("20MB", 2 * 2**20)]:
        monkeypatch.setenv("MMSIS_STORE_MEMORY", setting)
        st = Store(":memory:")
        assert spill.csv_buffer_size(st.con) == want, setting
        st.close()


def test_full_key_comparison_gives_the_same_tables(
        files: tuple[Path, Path], roomy: tuple[list[tuple[int, int, int]], pd.DataFrame,
                                               pd.DataFrame],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "HASH_COMPARE", False)
    counts, values, totals = _run(tmp_path, files, "full")
    assert counts == roomy[0]
    pd.testing.assert_frame_equal(values, roomy[1])
    pd.testing.assert_frame_equal(totals, roomy[2])


def test_a_hash_clash_falls_back_to_the_full_key(
        files: tuple[Path, Path], roomy: tuple[list[tuple[int, int, int]], pd.DataFrame,
                                               pd.DataFrame],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a second hash that never agrees: every matched pair looks like two keys colliding
    monkeypatch.setattr(store_mod, "_KEY2", "hash(random()::VARCHAR || concat_ws(',', {}))")
    calls: list[bool] = []
    compare = Store._compare

    def spy(self: Store, stage: str, within: str) -> bool:
        calls.append(compare(self, stage, within))
        return calls[-1]

    monkeypatch.setattr(Store, "_compare", spy)
    counts, values, totals = _run(tmp_path, files, "clash")
    assert calls == [False, False]  # both re-imports took the full key
    assert counts == roomy[0]
    pd.testing.assert_frame_equal(values, roomy[1])
    pd.testing.assert_frame_equal(totals, roomy[2])


def test_a_bound_too_small_names_the_setting_to_use(files: tuple[Path, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMSIS_STORE_MEMORY", "10MB")
    st = _store(tmp_path / "tiny.duckdb")
    with pytest.raises(InputError) as info:
        st.import_file(files[0])
    text = str(info.value)
    assert "MMSIS_STORE_MEMORY=10MB" in text and "e.g. MMSIS_STORE_MEMORY=64MB" in text
    assert "SET threads" not in text and "Possible solutions" not in text  # DuckDB's SQL advice
    assert st.count("data_values") == 0  # nothing written


def test_suggested_bound() -> None:
    assert spill._suggested("10MB") == "64MB"
    assert spill._suggested("100MB") == "200MB"
    assert spill._suggested("2GB") == "4GB"
    assert spill._suggested("1.5GiB") == "4GB"
    assert spill._suggested("600MB") == "2GB"
