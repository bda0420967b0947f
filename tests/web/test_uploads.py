"""Uploads: all-or-nothing imports, the refused-rows report, size/type limits, org-unit scope."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mmsis.web import parsers

OU = {"F1": "/C/R1/D1/F1", "F2": "/C/R2/D2/F2", "D1": "/C/R1/D1"}
GOOD = (
    "dataElement,period,orgUnit,value\n"
    "ANC1,202401,F1,12\nANC1,202401,F2,7\nMMS_CLIENTS,202402,F1,3\n"
)


def test_dhis2_csv_good_rows_are_all_imported(world_any) -> None:  # type: ignore[no-untyped-def]
    c = world_any.client("editor")
    url = f"/api/workspaces/{world_any.workspace_id}/uploads"
    r = c.post(url, data={"kind": "dhis2"}, files={"file": ("v.csv", GOOD.encode(), "text/csv")})
    assert r.status_code == 201, r.text
    assert r.json()["rows_imported"] == 3 and r.json()["refused"] == []
    series = c.get(
        f"/api/workspaces/{world_any.workspace_id}/indicators", params={"data_element": "ANC1"}
    ).json()
    assert series == [{"data_element": "ANC1", "org_unit": "C", "period": "202401", "value": 19.0}]
    # a second upload of the same key replaces the value (DHIS2 import semantics)
    again = "dataElement,period,orgUnit,value\nANC1,202401,F1,20\n"
    c.post(url, data={"kind": "dhis2"}, files={"file": ("v.csv", again.encode(), "text/csv")})
    series = c.get(
        f"/api/workspaces/{world_any.workspace_id}/indicators", params={"data_element": "ANC1"}
    ).json()
    assert series[0]["value"] == 27.0


def test_one_bad_row_blocks_the_whole_file_and_every_refusal_is_listed(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    bad = GOOD + "ANC1,202413,F1,5\nANC1,202403,NOPE,5\nANC1,202403,F1,-2\nANC1,202401,F1,4\n"
    r = c.post(
        f"/api/workspaces/{world.workspace_id}/uploads",
        data={"kind": "dhis2"},
        files={"file": ("v.csv", bad.encode(), "text/csv")},
    )
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == "refused" and body["rows_imported"] == 0
    assert [(x["row"], x["column"]) for x in body["refused"]] == [
        (4, "period"),
        (5, "orgUnit"),
        (6, "value"),  # ANC1 is INTEGER_ZERO_OR_POSITIVE: -2 is refused (DHIS2's rule)
        (7, "key"),
    ]
    assert c.get(f"/api/workspaces/{world.workspace_id}/indicators").json() == []
    audit = c.get(f"/api/workspaces/{world.workspace_id}/audit").json()
    assert audit[0]["entity"] == "upload" and audit[0]["detail"]["status"] == "refused"


def test_upload_page_shows_refused_rows(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    bad = "dataElement,period,orgUnit,value\nANC1,2024-01,F1,<b>x</b>\n"
    r = c.post(
        f"/w/{world.workspace_id}/uploads",
        data={"kind": "dhis2"},
        files={"file": ("v.csv", bad.encode(), "text/csv")},
    )
    assert r.status_code == 422
    assert "Nothing imported from v.csv" in r.text
    assert "invalid period" in r.text
    assert "&lt;b&gt;x&lt;/b&gt;" in r.text and "<b>x</b>" not in r.text  # autoescaped


def test_type_and_size_are_checked_before_anything_is_written(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    url = f"/api/workspaces/{world.workspace_id}/uploads"
    r = c.post(url, data={"kind": "dhis2"}, files={"file": ("v.exe", b"MZ\x00\x00", "x")})
    assert r.status_code == 415
    r = c.post(url, data={"kind": "dhis2"}, files={"file": ("v.csv", b"a,b\x00c", "text/csv")})
    assert r.status_code == 415
    monkeypatch.setenv("MMSIS_MAX_UPLOAD_BYTES", "100")
    r = c.post(
        url, data={"kind": "dhis2"}, files={"file": ("v.csv", GOOD.encode() * 5, "text/csv")}
    )
    assert r.status_code == 413
    assert c.get(url).json() == []  # no upload record, no data
    assert c.get(f"/api/workspaces/{world.workspace_id}/audit").json() == []


def test_district_user_cannot_write_or_read_outside_their_district(world_any) -> None:  # type: ignore[no-untyped-def]
    editor = world_any.client("editor")
    url = f"/api/workspaces/{world_any.workspace_id}/uploads"
    editor.post(url, data={"kind": "dhis2"}, files={"file": ("v.csv", GOOD.encode(), "text/csv")})
    district = world_any.client("district")
    series = district.get(
        f"/api/workspaces/{world_any.workspace_id}/indicators", params={"data_element": "ANC1"}
    ).json()
    assert series[0]["value"] == 12.0  # only F1 (in D1), not F2
    assert series[0]["org_unit"] == "D1"  # the user's scope root
    assert {
        o["id"] for o in district.get(f"/api/workspaces/{world_any.workspace_id}/org-units").json()
    } == {"D1", "F1"}
    r = district.get(
        f"/api/workspaces/{world_any.workspace_id}/indicators", params={"org_unit": "D2"}
    )
    assert r.status_code == 404
    r = district.post(
        url,
        data={"kind": "dhis2"},
        files={
            "file": ("v.csv", b"dataElement,period,orgUnit,value\nANC1,202405,F2,1\n", "text/csv")
        },
    )
    assert r.status_code == 422
    assert "outside your part" in r.json()["refused"][0]["message"]


def test_dhis2_json_and_survey_csv(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    url = f"/api/workspaces/{world.workspace_id}/uploads"
    doc = {
        "dataValues": [
            {
                "dataElement": "ANC4",
                "period": "202401",
                "orgUnit": "F2",
                "categoryOptionCombo": "HllvX50cXC0",
                "value": "5",
            }
        ]
    }
    r = c.post(
        url,
        data={"kind": "dhis2"},
        files={"file": ("v.json", json.dumps(doc).encode(), "application/json")},
    )
    assert r.status_code == 201 and r.json()["rows_imported"] == 1
    survey = (
        "caseid,v001,v005,v021,v022,m14,district_id\n"
        "1 1,1,1000000,1,3,4,D1\n1 2,1,1000000,1,3,98,D2\n"
    )
    r = c.post(url, data={"kind": "survey"}, files={"file": ("s.csv", survey.encode(), "text/csv")})
    assert r.status_code == 201 and r.json()["rows_imported"] == 2
    dup = "caseid,v001,v005,v021,v022\nA,1,1000,1,3\nA,1,0,1,x\n"
    r = c.post(url, data={"kind": "survey"}, files={"file": ("s.csv", dup.encode(), "text/csv")})
    assert [(x["row"], x["column"]) for x in r.json()["refused"]] == [
        (2, "caseid"),
        (2, "v005"),
        (2, "v022"),
    ]


# --- property-based tests of the parsers ---------------------------------------------------

_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


def _checked_store():  # type: ignore[no-untyped-def]
    """An in-memory store with the test world's hierarchy and data elements."""
    from tests.web.conftest import DATA_ELEMENTS, ORG_UNITS

    from mmsis.data.store import Store

    store = Store(":memory:")
    assert store.import_metadata({"org_units": ORG_UNITS, "data_elements": DATA_ELEMENTS}).ok
    return store


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cell, _cell, _cell, _cell), max_size=12))
def test_dhis2_validator_accounts_for_every_row(rows) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from mmsis.data.store import Store

    frame = pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit", "value"], dtype=str)
    store: Store = _checked_store()
    rep = store.import_data_values(frame)
    assert rep.rows == len(rows)
    assert {r.row for r in rep.refusals} <= set(range(1, len(rows) + 1))
    stored = store.count("data_values")
    if rep.ok:
        assert stored == rep.imported and rep.imported + rep.ignored == len(rows)
        for r in store.data_values().itertuples():
            assert r.org_unit in OU_ALL and r.value >= 0 and r.data_element in ELEMENTS
    else:
        assert stored == 0  # all or nothing


OU_ALL = {"C", "R1", "R2", "D1", "D2", "F1", "F2"}
ELEMENTS = {"ANC1", "ANC4", "IFA_CLIENTS", "MMS_CLIENTS", "MMS_STOCK_ADJ"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "dataElement": st.sampled_from(["ANC1", "MMS_STOCK_ADJ", "bad id!"]),
                "period": st.sampled_from(["202401", "202412", "202413", "2024W53", "000001"]),
                "orgUnit": st.sampled_from(["F1", "F2", "X"]),
                "value": st.one_of(
                    st.integers(-3, 1000), st.floats(allow_nan=True), st.text(max_size=3)
                ),
            }
        ),
        max_size=15,
    )
)
def test_dhis2_values_valid_iff_every_field_is(values) -> None:  # type: ignore[no-untyped-def]
    import math

    import pandas as pd

    from mmsis.data.dhis2.periods import is_valid_period

    frame = pd.DataFrame(values, columns=["dataElement", "period", "orgUnit", "value"]).astype(
        {"value": str})
    store = _checked_store()
    with store.scoped("/C/R1"):
        rep = store.import_data_values(frame)
    seen: set[tuple[str, str, str]] = set()
    for i, v in enumerate(values, start=1):
        try:
            num = float(str(v["value"]).strip())
        except ValueError:
            num = None
        # a float NaN stays a missing cell through astype(str) (pandas >= 2): a blank value,
        # as in an empty CSV field; the text "nan" is refused as not a finite number
        missing = isinstance(v["value"], float) and math.isnan(v["value"])
        blank = missing or str(v["value"]).strip() == ""
        whole = num is not None and math.isfinite(num) and num == int(num)
        valid_value = blank or (  # counts beyond 1e12 mean nothing (issue 12, finding 7)
            whole and abs(num) <= 1e12  # type: ignore[arg-type]
            and (v["dataElement"] == "MMS_STOCK_ADJ" or num >= 0)  # type: ignore[operator]
        )
        key = (v["dataElement"], v["period"], v["orgUnit"])
        valid = (
            v["dataElement"] != "bad id!"
            and is_valid_period(v["period"])
            and v["orgUnit"] == "F1"
            and valid_value
            and key not in seen
        )
        seen.add(key)
        refused = any(r.row == i for r in rep.refusals)
        assert refused == (not valid), (i, v, rep.refusals)
    assert rep.ok == (not rep.refusals)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_check_data_file_never_crashes(blob) -> None:  # type: ignore[no-untyped-def]
    try:
        text = parsers.check_data_file("dhis2", "x.csv", blob)
    except parsers.UploadRefused as exc:
        assert exc.status in (400, 413, 415)
        return
    assert isinstance(text, str)
    assert "\x00" not in text
