"""Out of core: indicators and the data-quality review finish within a tiny memory bound and
give the same results as with room to spare; the pre-aggregated monthly totals agree with a
recount from the raw values after any sequence of imports."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmsis.data import spill
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine import compute_indicators, quality, quality_review
from mmsis.measure.routine.totals import level_monthly_totals, subtree_monthly_totals

DES = ["ANC1", "ANC4", "MMS_CLIENTS", "IFA_CLIENTS", "MMS_TABLETS_DISPENSED",
       "IFA_TABLETS_DISPENSED", "MMS_STOCK_ON_HAND"]
COCS = ["cocA", "cocB", "cocC", "cocD"]


def _org_units(n_fac: int) -> pd.DataFrame:
    rows = [("ROOT", "Country", 1, None, "/ROOT", None)]
    rows += [(f"R{r}", f"Region {r}", 2, "ROOT", f"/ROOT/R{r}", None) for r in range(2)]
    rows += [(f"D{d}", f"District {d}", 3, f"R{d % 2}", f"/ROOT/R{d % 2}/D{d}", None)
             for d in range(4)]
    rows += [(f"F{i:04d}", f"Facility {i}", 4, f"D{i % 4}", f"/ROOT/R{i % 4 % 2}/D{i % 4}/F{i:04d}",
              1000.0 + i) for i in range(n_fac)]
    return pd.DataFrame(rows, columns=["id", "name", "level", "parent_id", "path", "population"])


def _values(n_fac: int, months: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fac = [f"F{i:04d}" for i in range(n_fac)]
    idx = pd.MultiIndex.from_product([DES, months, fac, COCS],
                                     names=["dataElement", "period", "orgUnit", "coc"])
    df = idx.to_frame(index=False)
    value = rng.poisson(30, len(df)).astype(float)
    value[rng.random(len(df)) < 0.01] *= 20  # outliers to flag
    df["value"] = value
    return df.rename(columns={"coc": "categoryOptionCombo"})


def _store(path: str, n_fac: int, n_months: int, seed: int = 1) -> Store:
    store = Store(path)
    des = pd.DataFrame({"id": DES, "aggregation_type": ["SUM"] * 6 + ["LAST"]})
    assert store.import_metadata({"org_units": _org_units(n_fac), "data_elements": des}).ok
    months = [f"{2020 + m // 12}{m % 12 + 1:02d}" for m in range(n_months)]
    assert store.import_data_values(_values(n_fac, months, seed)).ok
    store.set_constants({"crude_birth_rate": 0.035, "pregnancy_loss_adjustment": 1.07})
    return store


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """300 facilities x 48 months x 7 elements x 4 combos = 403,200 values, 2GB bound."""
    return _store(str(tmp_path_factory.mktemp("roomy") / "s.duckdb"), 300, 48)


def _tight_copy(roomy: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The same store file, opened with a 20 MB memory bound."""
    roomy.con.execute("CHECKPOINT")
    shutil.copy(roomy.path, tmp_path / "tight.duckdb")
    monkeypatch.setenv("MMSIS_STORE_MEMORY", "20MB")
    tight = Store(str(tmp_path / "tight.duckdb"))
    assert spill.memory_limit(tight.con) == pytest.approx(20e6, rel=0.05)
    return tight


def test_review_and_indicators_finish_in_20mb_and_match(roomy: Store, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # the outlier series' median and MAD cannot spill: grouped in one pass (as before) they
    # ran out of 20 MB here; in buckets sized to the bound they finish and agree
    tight = _tight_copy(roomy, tmp_path, monkeypatch)
    monkeypatch.setattr(quality, "BYTES_PER_VALUE", 1)  # one bucket, the old one-pass grouping
    with pytest.raises(InputError, match="MMSIS_STORE_MEMORY=20MB"):
        quality_review(tight, level=3)
    monkeypatch.setattr(quality, "BYTES_PER_VALUE", 160)
    small = quality_review(tight, level=3)
    big = quality_review(roomy, level=3)
    assert (small.table["check"] == "outlier_extreme").sum() > 0
    pd.testing.assert_frame_equal(small.table, big.table)
    pd.testing.assert_frame_equal(small.summary, big.summary)
    ids = ["mms_share_of_anc1", "ifa_to_mms_transition_share"]
    pd.testing.assert_frame_equal(
        compute_indicators(tight, ids, level=3, period_type="quarterly"),
        compute_indicators(roomy, ids, level=3, period_type="quarterly"))


def test_bucketed_series_equal_one_pass_with_text_keys(roomy: Store,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    one = quality_review(roomy, level=3).table
    monkeypatch.setattr(quality, "BYTES_PER_VALUE", 10**5)  # many buckets
    monkeypatch.setattr(quality, "HASH_SERIES_KEYS", False)  # and the text-key path
    pd.testing.assert_frame_equal(quality_review(roomy, level=3).table, one)


def test_short_spill_disk_is_a_clear_error(roomy: Store, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tight = _tight_copy(roomy, tmp_path, monkeypatch)
    tight.con.execute("SET max_temp_directory_size = '1MB'")  # as if the disk were full
    with pytest.raises(InputError, match="not enough disk space"):
        quality_review(tight, level=3)


def test_bad_memory_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMSIS_STORE_MEMORY", "lots")
    with pytest.raises(InputError, match="MMSIS_STORE_MEMORY"):
        Store(":memory:")


def _recount(store: Store) -> pd.DataFrame:
    """Totals per unit, element and month from the raw values, in pandas."""
    dv = store.query("SELECT data_element, period, org_unit, value FROM data_values")
    ous = store.query("SELECT id, path FROM org_units")
    anc = ous.assign(anc=ous["path"].str.strip("/").str.split("/")).explode("anc")
    m = dv.merge(anc[["id", "anc"]], left_on="org_unit", right_on="id")
    g = m.groupby(["anc", "data_element", "period"])["value"].agg(["sum", "count"])
    return g.reset_index().rename(columns={"anc": "org_unit", "sum": "value", "count": "n"})


def _stored(store: Store) -> pd.DataFrame:
    return store.query("SELECT org_unit, data_element, period, value, n FROM value_totals")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = ["org_unit", "data_element", "period"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key], b[key])
    np.testing.assert_allclose(a["value"], b["value"], rtol=1e-12)
    np.testing.assert_array_equal(a["n"].astype("int64"), b["n"].astype("int64"))


batch = st.lists(st.tuples(st.sampled_from(DES[:3]), st.sampled_from(["202001", "202002",
                                                                       "202003", "2020Q1"]),
                           st.integers(0, 5), st.sampled_from(COCS[:2]), st.integers(-3, 50)),
                 min_size=1, max_size=30, unique_by=lambda r: r[:4])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batch, min_size=1, max_size=4), st.booleans())
def test_incremental_totals_equal_a_recount(batches: list, moved: bool) -> None:
    store = Store(":memory:")
    des = pd.DataFrame({"id": DES, "aggregation_type": "SUM"})
    assert store.import_metadata({"org_units": _org_units(6), "data_elements": des}).ok
    for rows in batches:
        df = pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit",
                                         "categoryOptionCombo", "value"])
        df["orgUnit"] = df["orgUnit"].map(lambda i: f"F{i:04d}")
        assert store.import_data_values(df).ok
        _same(_stored(store), _recount(store))
    if moved:  # a facility moves to another district: the ancestors' totals follow
        ous = _org_units(6)
        ous.loc[ous["id"] == "F0000", ["parent_id", "path"]] = ["D1", "/ROOT/R1/D1/F0000"]
        assert store.import_metadata({"org_units": ous}).ok
        _same(_stored(store), _recount(store))


def test_subtree_and_level_totals_read_the_aggregate(roomy: Store) -> None:
    got = subtree_monthly_totals(roomy, "R1", ["ANC1", "MMS_CLIENTS"], start="202101",
                                 end="202112")
    want = _recount(roomy)
    want = want[(want["org_unit"] == "R1") & want["data_element"].isin(["ANC1", "MMS_CLIENTS"])
                & want["period"].between("202101", "202112")]
    assert len(got) == 24
    _same(got, want)
    lvl = level_monthly_totals(roomy, 3, ["ANC1"], within="/ROOT/R0")
    assert set(lvl["org_unit"]) == {"D0", "D2"} and len(lvl) == 2 * 48
    with pytest.raises(InputError, match="unknown org unit"):
        subtree_monthly_totals(roomy, "NOPE", ["ANC1"])
    with pytest.raises(InputError, match="month"):
        subtree_monthly_totals(roomy, "R1", ["ANC1"], start="2021")
