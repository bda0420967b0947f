"""`mmsis routine push` (issue #17): a dataValueSet to a loopback DHIS2 answering as the Web API
documents, a dry run first, DHIS2's import summary with conflicts, national calendars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data_dhis2.loopback_dhis2 import TOKEN
from mmsis.data.dhis2.push import data_value_set, parse_summary, read_mapping
from mmsis.errors import InputError

MAPPING = """\
data_set: MmsResultDs
values:
  - indicator: mms_share_of_anc1
    data_element: MmsCovAnc1a
    decimals: 1
  - indicator: anc1_per_1000
    data_element: MmsAnc1Rate
"""


def _files(tmp_path: Path, rows: list[str], mapping: str = MAPPING) -> tuple[Path, Path]:
    m = tmp_path / "push.yaml"
    m.write_text(mapping, encoding="utf-8")
    v = tmp_path / "values.csv"
    v.write_text("indicator,org_unit,period,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return m, v


def _push(url: str, mapping: Path, values: Path, *extra: str):  # type: ignore[no-untyped-def]
    from mmsis.cli import app

    return CliRunner().invoke(app, ["routine", "push", "--url", url, "--mapping", str(mapping),
                                    "--values", str(values), "--json", *extra])


@pytest.fixture(autouse=True)
def _token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DHIS2_TOKEN", TOKEN)
    monkeypatch.delenv("MMSIS_LANG", raising=False)


GOOD = ["mms_share_of_anc1,D1,202401,81.26", "mms_share_of_anc1,D2,202401,64.0",
        "anc1_per_1000,D1,202401,12", "not_mapped,D1,202401,5"]


def test_dry_run_first_then_push_then_update(dhis2_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, state = dhis2_server
    mapping, values = _files(tmp_path, GOOD)
    dry = _push(url, mapping, values)
    assert dry.exit_code == 0, dry.output
    out = json.loads(dry.output)
    assert out["values"] == 3 and out["push"] is None  # the unmapped indicator stays home
    assert out["dry_run"]["imported"] == 3 and out["dry_run"]["dry_run"] is True
    assert state.pushed == {}  # a dry run writes nothing
    assert [p["dryRun"] for p in state.posts] == [True]
    body = state.posts[0]["body"]
    assert body["dataSet"] == "MmsResultDs"
    assert {"dataElement": "MmsCovAnc1a", "period": "202401", "orgUnit": "D1",
            "value": "81.3"} in body["dataValues"]
    pushed = json.loads(_push(url, mapping, values, "--apply").output)
    assert pushed["dry_run"]["imported"] == 3 and pushed["push"]["imported"] == 3
    assert state.pushed[("MmsAnc1Rate", "202401", "D1", "HllvX50cXC0", "HllvX50cXC0")] == "12"
    again = json.loads(_push(url, mapping, values, "--apply").output)
    assert again["push"]["updated"] == 3 and again["push"]["imported"] == 0
    assert [p["dryRun"] for p in state.posts] == [True, True, False, True, False]


def test_conflicts_are_shown_and_stop_the_push(dhis2_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, state = dhis2_server
    mapping, values = _files(tmp_path, [*GOOD, "mms_share_of_anc1,NOWHERE,202401,50"])
    dry = json.loads(_push(url, mapping, values).output)
    assert dry["dry_run"]["ignored"] == 1 and dry["dry_run"]["imported"] == 3
    assert dry["dry_run"]["conflicts"] == [
        {"object": "NOWHERE", "value": "Organisation unit not found or not accessible"}]
    refused = _push(url, mapping, values, "--apply")
    assert isinstance(refused.exception, InputError)  # `mmsis` prints it and exits 2
    assert "1 conflict(s); nothing was pushed" in str(refused.exception)
    assert state.pushed == {}
    forced = json.loads(_push(url, mapping, values, "--apply", "--allow-conflicts").output)
    assert forced["push"]["imported"] == 3 and forced["push"]["ignored"] == 1
    assert len(state.pushed) == 3
    # the table for people names the conflict
    from mmsis.cli import app

    shown = CliRunner().invoke(app, ["routine", "push", "--url", url, "--mapping", str(mapping),
                                     "--values", str(values)])
    assert "Organisation unit not found" in shown.output and "Dry run only" in shown.output


def test_an_ethiopian_instance_gets_its_own_months(dhis2_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, state = dhis2_server
    state.calendar = "ethiopian"
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    values = tmp_path / "v.csv"
    # one client a day: Meskerem 2016 (12 Sep - 11 Oct 2023) gets 19 + 11 = 30; the coverage
    # (numerator / denominator x 100) is divided again after both are split, so stays 50
    values.write_text("indicator,org_unit,period,value,numerator,denominator\n"
                      "anc1_per_1000,D1,202309,30,,\nanc1_per_1000,D1,202310,31,,\n"
                      "mms_share_of_anc1,D1,202309,50,30,60\n"
                      "mms_share_of_anc1,D1,202310,50,31,62\n", encoding="utf-8")
    out = json.loads(_push(url, mapping, values, "--apply").output)
    assert out["calendar"] == "ethiopian" and out["push"]["conflicts"] == []
    got = {(de, pe): float(v) for (de, pe, _ou, _c, _a), v in state.pushed.items()}
    assert got[("MmsCovAnc1a", "201601")] == pytest.approx(50.0)
    assert got[("MmsAnc1Rate", "201601")] == pytest.approx(30.0, abs=0.01)
    bad = tmp_path / "q.csv"
    bad.write_text("indicator,org_unit,period,value\nanc1_per_1000,D1,2023Q3,5\n",
                   encoding="utf-8")
    refused = _push(url, mapping, bad)
    assert isinstance(refused.exception, InputError)
    assert "only monthly values" in str(refused.exception)


def test_the_mapping_and_values_files_are_checked(tmp_path: Path) -> None:
    m, v = _files(tmp_path, ["anc1_per_1000,D1,202401,twelve"],
                  MAPPING.replace("MmsCovAnc1a", "not-a-uid"))
    with pytest.raises(InputError, match=r"values.0.data_element: 'not-a-uid' is not a DHIS2"):
        read_mapping(m)
    m.write_text("values: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="values"):
        read_mapping(m)
    from mmsis.measure.routine.push_cli import read_values

    with pytest.raises(InputError, match="not a number") as err:
        read_values(v)
    assert err.value.row == 2 and err.value.column == "value"
    m.write_text(MAPPING, encoding="utf-8")
    import pandas as pd

    with pytest.raises(InputError, match="none of the mapped indicators"):
        data_value_set(pd.DataFrame({"indicator": ["x"], "org_unit": ["D1"],
                                     "period": ["202401"], "value": [1.0]}), read_mapping(m))


def test_summaries_before_and_after_dhis2_2_38_read_the_same() -> None:
    old = {"responseType": "ImportSummary", "status": "SUCCESS",
           "importCount": {"imported": 2, "updated": 1, "ignored": 0, "deleted": 0}}
    new = {"httpStatus": "OK", "status": "OK", "response": old}
    assert parse_summary(old) == parse_summary(new)
    assert parse_summary(new).imported == 2
    with pytest.raises(InputError, match="without an import summary: boom"):
        parse_summary({"status": "ERROR", "message": "boom"})


def test_push_indicators_computed_from_the_store(dhis2_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from data_dhis2.loopback_dhis2 import PERIODS
    from mmsis.cli import app
    from mmsis.data.dhis2.client import Dhis2, pull
    from mmsis.data.store import Store

    url, state = dhis2_server
    store = tmp_path / "s.duckdb"
    with Store(store) as st:
        pull(Dhis2(url, token=TOKEN, backoff=0.001), st, data_elements=["ANC1", "MMS_CLIENTS"],
             periods=PERIODS)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("values:\n  - indicator: mms_share_of_anc1\n"
                       "    data_element: MmsCovAnc1a\n    decimals: 1\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["routine", "push", "--url", url, "--mapping", str(mapping),
                                 "--store", str(store), "--level", "2", "--apply", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output[r.output.index("{"):])
    assert out["values"] == 2 * len(PERIODS) and out["push"]["imported"] == 2 * len(PERIODS)
    # D1 in January 2024: MMS clients 3+1+11 + 3+1+12 = 31 of ANC1 10+1+11 + 10+1+12 = 45
    assert state.pushed[("MmsCovAnc1a", "202401", "D1", "HllvX50cXC0", "HllvX50cXC0")] == (
        f"{100 * 31 / 45:.1f}")
