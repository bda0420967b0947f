"""Issue 12: arbitrary bytes at every file parser the CLI uses (DHIS2 data values JSON/CSV,
org units JSON/CSV, populations CSV, survey CSV, field submissions CSV/JSON, scenario YAML).
Each either succeeds or raises the project's own error (mmsis.errors.MmsisError), never another
exception; a refused file writes nothing to the store. Examples are few and small (fast)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmsis.data.store import Store
from mmsis.errors import MmsisError

FIX = Path(__file__).parent / "data_dhis2" / "fixtures"
TABLES = ("org_units", "data_elements", "data_values", "reports", "populations", "batches")
FUZZ = settings(max_examples=int(os.environ.get("MMSIS_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

SEEDS: dict[str, bytes] = {
    "values.csv": (FIX / "dataValueSets.csv").read_bytes(),
    "values.json": (FIX / "dataValueSets.json").read_bytes(),
    "metadata.json": (FIX / "metadata.json").read_bytes(),
    "org_units.csv": b"id,name,level,path,population\nImspTQPwCqd,SL,1,/ImspTQPwCqd,1000\n"
                     b"O6uvpzGd5pu,Bo,2,/ImspTQPwCqd/O6uvpzGd5pu,500\n",
    "populations.csv": b"orgUnit,year,population\nDiszpKrYNg8,2023,1200\nDiszpKrYNg8,2024,1300\n",
    "reports.csv": b"dataSet,period,orgUnit,received\nDS1,202401,DiszpKrYNg8,1\n",
}
SURVEY = b"caseid,v005,v001,x\n1,1000000,1,1\n2,2000000,1,0\n3,1500000,2,1\n4,1000000,2,0\n"
FIELD_CSV = b"KEY,SubmissionDate,FormVersion,aim_1,tabs_taken\nuuid:1,2024-01-01,1,4,30\n"
FIELD_JSON = (b'{"value": [{"__id": "uuid:1", "__system": {"submissionDate": "2024-01-01"},'
              b' "aim_1": "4", "grp": {"tabs_taken": "30"}}]}')
SCENARIO = (b"geography:\n  level: district\n  districts:\n    - {id: D1, population: 1000}\n"
            b"horizon_months: 12\n")
PIECES = [b'"', b",", b"\n", b"\r\n", b"[", b"{", b"]", b"}", b":", b"\xff", b"\xfe\xff",
          b"\xef\xbb\xbf", b"\x00", b"1e308", b"inf", b"-500", b"NaN", b"\t", b"&a", b"*a",
          b"- ", b"  ", b"[" * 200, b"\xe9", b"\\", b"null", b"9" * 40]


@st.composite
def mutated(draw: Any, seed: bytes) -> bytes:
    """A seed file with a few pieces inserted, bytes deleted or the file cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "delete", "cut"]))
        if how == "insert":
            data[at:at] = draw(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=8))
        elif how == "delete":
            del data[at:at + draw(st.integers(1, 6))]
        else:
            del data[at:]
    return bytes(data)


def any_bytes(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=400) | mutated(seed)


def _counts(store: Store) -> dict[str, int]:
    return {t: store.count(t) for t in TABLES}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: Any) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "base.duckdb"
    with Store(path) as s:
        assert s.import_file(FIX / "metadata.json").ok
    return path


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_store_imports_take_any_bytes(name: str, base_store: Path, tmp_path: Path) -> None:
    @FUZZ
    @given(data=any_bytes(SEEDS[name]))
    def check(data: bytes) -> None:
        f = tmp_path / name
        f.write_bytes(data)
        path = tmp_path / "s.duckdb"
        shutil.copyfile(base_store, path)  # every example starts from the same store
        with Store(path) as s:
            before = _counts(s)
            try:
                report = s.import_file(f)
            except MmsisError:
                assert _counts(s) == before
            else:
                if not report.ok:
                    assert _counts(s) == before

    check()


def test_survey_reader_takes_any_bytes(tmp_path: Path) -> None:
    from mmsis.data.survey import read_survey

    @FUZZ
    @given(data=any_bytes(SURVEY))
    def check(data: bytes) -> None:
        f = tmp_path / "s.csv"
        f.write_bytes(data)
        with contextlib.suppress(MmsisError):
            read_survey(f)

    check()


@pytest.mark.parametrize("name, seed", [("subs.csv", FIELD_CSV), ("subs.json", FIELD_JSON)])
def test_field_reader_takes_any_bytes(name: str, seed: bytes, tmp_path: Path) -> None:
    from mmsis.data.field import read_export

    @FUZZ
    @given(data=any_bytes(seed))
    def check(data: bytes) -> None:
        f = tmp_path / name
        f.write_bytes(data)
        with contextlib.suppress(MmsisError):
            read_export(f, "form")

    check()


def test_scenario_reader_takes_any_bytes(tmp_path: Path) -> None:
    from mmsis.forecast.scenario import load_scenario

    @FUZZ
    @given(data=any_bytes(SCENARIO))
    def check(data: bytes) -> None:
        f = tmp_path / "scenario.yaml"
        f.write_bytes(data)
        with contextlib.suppress(MmsisError):
            load_scenario(f)

    check()


DEFINITIONS = (b"indicators:\n  - id: anc1_coverage\n    name: ANC1 coverage\n"
               b"    numerator: '#{ANC1}'\n    denominator: 'P{population}'\n")


@pytest.mark.parametrize("reader", ["definitions", "profile", "plan"])
def test_settings_yaml_readers_take_any_bytes(reader: str, tmp_path: Path) -> None:
    from mmsis.data.survey import load_profile
    from mmsis.measure.routine.definitions import load_definitions
    from mmsis.plan.workspace import load_programme

    load = {"definitions": load_definitions, "profile": load_profile,
            "plan": load_programme}[reader]

    @FUZZ
    @given(data=any_bytes(DEFINITIONS))
    def check(data: bytes) -> None:
        f = tmp_path / "settings.yaml"
        f.write_bytes(data)
        with contextlib.suppress(MmsisError):
            load(f)  # type: ignore[operator]

    check()


_KEYS = ["id", "name", "level", "path", "parent", "population", "openingDate", "dataElement",
         "period", "orgUnit", "value", "categoryOptionCombo", "attributeOptionCombo", "dataSet",
         "organisationUnit", "aggregationType", "valueType", "name", "dx", "pe", "ou"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(
        ["DiszpKrYNg8", "f7n9E0hX8qk", "202401", "1e308", "/ImspTQPwCqd", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(_KEYS), inner, max_size=4),
    max_leaves=12)
_DOCS = st.dictionaries(
    st.sampled_from(["dataValues", "organisationUnits", "dataElements", "categoryOptionCombos",
                     "completeDataSetRegistrations", "headers", "rows", "period", "orgUnit"]),
    _JSON, min_size=1, max_size=3)


def test_dhis2_json_of_any_shape(base_store: Path, tmp_path: Path) -> None:
    """DHIS2 JSON documents with DHIS2's keys but any values and nesting."""

    @FUZZ
    @given(doc=_DOCS)
    def check(doc: dict[str, Any]) -> None:
        f = tmp_path / "doc.json"
        f.write_text(json.dumps(doc))
        path = tmp_path / "s.duckdb"
        shutil.copyfile(base_store, path)
        with Store(path) as s:
            before = _counts(s)
            try:
                report = s.import_file(f)
            except MmsisError:
                assert _counts(s) == before
            else:
                if not report.ok:
                    assert _counts(s) == before

    check()


_FIELD_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(
        ["uuid:1", "2024-01-01", "4", "1e400", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["__id", "_uuid", "__system", "submissionDate", "aim_1", "tabs_taken",
                         "grp", "meta", "instanceID", "_submission_time"]), inner, max_size=4),
    max_leaves=12)


def test_field_json_of_any_shape(tmp_path: Path) -> None:
    """ODK/Kobo JSON with their keys but any values and nesting."""
    from mmsis.data.field import read_export

    @FUZZ
    @given(doc=st.dictionaries(st.sampled_from(["value", "results"]), _FIELD_JSON,
                               min_size=1, max_size=2) | st.lists(_FIELD_JSON, max_size=3))
    def check(doc: Any) -> None:
        f = tmp_path / "subs.json"
        f.write_text(json.dumps(doc))
        with contextlib.suppress(MmsisError):
            read_export(f, "form")

    check()
