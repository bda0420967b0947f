"""Field loop: generated forms -> synthetic submissions in ODK Central's and Kobo's export and API
formats -> the store (all-or-nothing, idempotent) -> AIM/IAM/FIM scores by hand -> the scorecard
judges the feasibility key result from the data. Servers are loopback stand-ins that answer as
ODK Central's and KoboToolbox's API documentation shows (no real server is reachable here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from field.loopback_field import (
    KOBO_TOKEN,
    ODK_PASSWORD,
    ODK_USER,
    respondents,
    serve,
)
from mmsis.data.field import load_submissions, read_export, save_submissions
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.measure.field import scale_score, score_submissions
from mmsis.plan.forms import OrgUnitChoices, household_survey
from mmsis.plan.scorecard import assess
from mmsis.plan.workspace import load_programme, save_programme

MMSIS = str(Path(sys.executable).with_name("mmsis"))
FORM = "mms_household_exit"
AREAS = OrgUnitChoices(districts=[("D1", "North"), ("D2", "South")],
                       facilities=[("F1", "North clinic", "D1"), ("F2", "South clinic", "D2")])


def group_paths() -> dict[str, list[str]]:
    """Each field of the generated household form with the groups it sits in."""
    form = household_survey(org_units=AREAS)
    stack: list[str] = []
    paths: dict[str, list[str]] = {}
    for row in form.rows:
        kind = row["type"]
        if kind in ("begin_group", "begin_repeat"):
            stack.append(row["name"])
        elif kind in ("end_group", "end_repeat"):
            stack.pop()
        else:
            paths[row["name"]] = [*stack, row["name"]]
    return paths


def answers(r: dict[str, Any]) -> dict[str, str]:
    out = {"respondent_type": "household", "consent": "yes", "district": r["district"],
           "cluster": r["cluster"], "received_supp": "yes", "supp_type": "mms",
           "tabs_received": r["received"], "bottle_seen": "yes", "tabs_left": r["left"]}
    out.update({k: v for k, v in r.items() if k[:4] in ("aim_", "iam_", "fim_")})
    return out


def export(rows: list[dict[str, Any]], kind: str) -> pd.DataFrame:
    """The rows as ODK Central's CSV export (`-`) or Kobo's (`/`) would lay them out."""
    paths = group_paths()
    sep = "-" if kind == "odk" else "/"
    records = []
    for r in rows:
        rec = {sep.join(paths[k]): v for k, v in answers(r).items()}
        if kind == "odk":
            rec = {"SubmissionDate": "2026-10-01T10:00:00.000Z", **rec,
                   "meta-instanceID": r["uuid"], "KEY": r["uuid"], "SubmitterID": "5",
                   "SubmitterName": "enum1", "AttachmentsPresent": "0",
                   "AttachmentsExpected": "0", "Status": "", "ReviewState": "",
                   "DeviceID": "collect:x", "Edits": "0", "FormVersion": "2026010101"}
        else:
            rec = {**rec, "_id": "1", "_uuid": r["uuid"], "__version__": "vAbC",
                   "_submission_time": "2026-10-01T10:00:00", "_index": "1"}
        records.append(rec)
    return pd.DataFrame(records)


def hand_scores(rows: list[dict[str, Any]], scale: str) -> tuple[float, float]:
    """Mean of respondents' scale means, and its with-replacement cluster SE."""
    y = np.array([np.mean([int(r[f"{scale}_{i}"]) for i in range(1, 5)]) for r in rows])
    clusters = np.array([r["cluster"] for r in rows])
    n, ybar = len(y), y.mean()
    totals = np.array([(y[clusters == c] - ybar).sum() for c in np.unique(clusters)])
    k = len(totals)
    se = np.sqrt(k / (k - 1) * (totals ** 2).sum()) / n
    return float(ybar), float(se)


@pytest.fixture()
def rows() -> list[dict[str, Any]]:
    return respondents(12)


def test_odk_and_kobo_exports_give_the_hand_scores(tmp_path: Path, rows: Any) -> None:
    export(rows, "odk").to_csv(tmp_path / "odk.csv", index=False)
    export(rows, "kobo").to_csv(tmp_path / "kobo.csv", index=False, sep=";")
    odk = read_export(tmp_path / "odk.csv", FORM)
    kobo = read_export(tmp_path / "kobo.csv", FORM)
    assert odk.source.startswith("odk") and kobo.source.startswith("kobo")
    assert set(odk.frame.columns) == set(kobo.frame.columns)
    for subs in (odk, kobo):
        scores = score_submissions(subs.frame, FORM)
        for scale in ("aim", "iam", "fim"):
            mean, se = hand_scores(rows, scale)
            got = scores.overall(scale)
            assert got is not None
            assert got["mean"] == pytest.approx(mean) and got["se"] == pytest.approx(se)
            assert got["n"] == 12 and got["ci_low"] < mean < got["ci_high"]
        d1 = scores.to_dict()["aim"]["by_district"]
        assert {d["district"] for d in d1} == {"D1", "D2"}
        north = [r for r in rows if r["district"] == "D1"]
        assert next(d for d in d1 if d["district"] == "D1")["mean"] == pytest.approx(
            hand_scores(north, "aim")[0])
    pills = score_submissions(odk.frame).overall("tablets_consumed")
    assert pills is not None and pills["mean"] == pytest.approx(
        np.mean([int(r["received"]) - int(r["left"]) for r in rows]))


def test_a_respondent_missing_an_item_has_no_scale_score() -> None:
    frame = pd.DataFrame({"aim_1": ["4", "5"], "aim_2": ["4", ""], "aim_3": ["4", "5"],
                          "aim_4": ["5", "5"]})
    got = scale_score(frame, "aim")
    assert got.iloc[0] == pytest.approx(4.25) and np.isnan(got.iloc[1])


def test_store_is_all_or_nothing_and_idempotent(tmp_path: Path, rows: Any) -> None:
    export(rows, "odk").to_csv(tmp_path / "a.csv", index=False)
    bad = export(rows, "odk")
    bad.loc[5, "main-aim_group-aim_2"] = "7"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError) as err:
        read_export(tmp_path / "bad.csv", FORM)
    assert err.value.row == 6 and err.value.column == "main-aim_group-aim_2"
    dup = pd.concat([export(rows, "odk"), export(rows[:1], "odk")])
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(InputError, match="twice"):
        read_export(tmp_path / "dup.csv", FORM)
    with Store(tmp_path / "s.duckdb") as store:
        first = save_submissions(store, read_export(tmp_path / "a.csv", FORM))
        again = save_submissions(store, read_export(tmp_path / "a.csv", FORM))
        assert first == {"read": 12, "added": 12, "replaced": 0, "total": 12}
        assert again == {"read": 12, "added": 0, "replaced": 12, "total": 12}
        assert len(load_submissions(store, FORM)) == 12


def test_pull_from_odk_central_and_kobo_equals_the_export(tmp_path: Path, rows: Any,
                                                          monkeypatch: Any) -> None:
    export(rows, "odk").to_csv(tmp_path / "odk.csv", index=False)
    ref = score_submissions(read_export(tmp_path / "odk.csv", FORM).frame).to_dict()
    with serve(rows) as (url, state):
        monkeypatch.setenv("ODK_CENTRAL_USERNAME", ODK_USER)
        monkeypatch.setenv("ODK_CENTRAL_PASSWORD", ODK_PASSWORD)
        monkeypatch.setenv("KOBO_TOKEN", KOBO_TOKEN)
        env = {**__import__("os").environ, "HOME": str(tmp_path)}
        out = subprocess.run([MMSIS, "field", "pull", "--server", url, "--project", "7",
                              "--form", FORM, "--store", str(tmp_path / "o.duckdb"), "--json"],
                             capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        odk = json.loads(out.stdout)
        assert any(r.startswith("POST /v1/sessions") for r in state.requests)
        out = subprocess.run([MMSIS, "field", "pull", "--kind", "kobo", "--server", url,
                              "--form", "aBcKoboUid", "--store", str(tmp_path / "k.duckdb"),
                              "--json"], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        kobo = json.loads(out.stdout)
        assert sum("start=" in r for r in state.requests) >= 2  # followed `next` pages
        env["ODK_CENTRAL_PASSWORD"] = "wrong-password"
        bad = subprocess.run([MMSIS, "field", "pull", "--server", url, "--project", "7",
                              "--form", FORM, "--store", str(tmp_path / "x.duckdb")],
                             capture_output=True, text=True, env=env)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
    for got in (odk, kobo):
        for scale in ("aim", "iam", "fim"):
            for key in ("mean", "ci_low", "ci_high", "n"):
                assert got[scale][key] == pytest.approx(ref[scale][key])
        assert got["imported"]["total"] == 12


def test_cli_import_contract_and_the_scorecard_judges_feasibility(tmp_path: Path,
                                                                 rows: Any) -> None:
    export(rows, "kobo").to_excel(tmp_path / "kobo.xlsx", index=False)
    plan = tmp_path / "plan.yaml"
    subprocess.run([MMSIS, "plan", "init", "--country", "Testland", "--file", str(plan)],
                   check=True, capture_output=True)
    prog = load_programme(plan)
    prog.phases = {**prog.phases, "delivery": "introduce"}
    save_programme(prog, plan)
    out = subprocess.run([MMSIS, "field", "import", str(tmp_path / "kobo.xlsx"), "--form", FORM,
                          "--store", str(tmp_path / "s.duckdb"), "--plan", str(plan), "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    for scale in ("aim", "iam", "fim"):
        assert {"mean", "ci_low", "ci_high", "n", "by_district"} <= set(got[scale])
    fim = hand_scores(rows, "fim")[0]
    card = assess(load_programme(plan), load_framework())
    items = card.items_frame().set_index("key_result")
    row = items.loc["introduce_delivery_feasibility"]
    assert row["basis"] == "measured" and row["value"] == pytest.approx(fim, abs=1e-4)
    assert row["status"] == ("met" if fim >= 4.0 else "not_met")
    human = subprocess.run([MMSIS, "field", "import", str(tmp_path / "kobo.xlsx"), "--form",
                            FORM, "--store", str(tmp_path / "s.duckdb")],
                           capture_output=True, text=True)
    text = " ".join(human.stdout.split())
    assert human.returncode == 0 and "Feasibility (FIM)" in text
    assert "0 new, 12 already there" in text


def test_forms_offer_the_programmes_districts_and_facilities(tmp_path: Path) -> None:
    from pyxform.xls2xform import convert

    from mmsis.plan.forms import build_forms, org_unit_choices

    units = pd.DataFrame({
        "id": ["C", "R1", "D1", "D2", "F1", "F2", "F3"],
        "name": ["Country", "Region", "North", "South", "N clinic", "S clinic", "S post"],
        "level": [1, 2, 3, 3, 4, 4, 4],
        "path": ["/C", "/C/R1", "/C/R1/D1", "/C/R1/D2", "/C/R1/D1/F1", "/C/R1/D2/F2",
                 "/C/R1/D2/F3"],
    })
    areas = org_unit_choices(units, 3)
    assert list(areas.districts) == [("D1", "North"), ("D2", "South")]
    assert ("F3", "S post", "D2") in areas.facilities and len(areas.facilities) == 3
    forms = build_forms(tmp_path, None, org_units=areas)
    for form in forms.values():
        xml = convert(xlsform=str(tmp_path / f"{form.form_id}.xlsx"), validate=False).xform
        if form.form_id != "mms_stock_card_audit":
            assert "district" in xml and "F3" in xml
    with pytest.raises(InputError, match="level 5"):
        org_unit_choices(units, 5)


def test_a_pull_through_the_loopback_server_lets_the_scorecard_judge_feasibility(
        tmp_path: Path, rows: Any) -> None:
    plan = tmp_path / "plan.yaml"
    subprocess.run([MMSIS, "plan", "init", "--country", "Testland", "--file", str(plan)],
                   check=True, capture_output=True)
    prog = load_programme(plan)
    prog.phases = {**prog.phases, "delivery": "introduce"}
    save_programme(prog, plan)
    env = {**__import__("os").environ, "HOME": str(tmp_path), "KOBO_TOKEN": KOBO_TOKEN}
    with serve(rows) as (url, _state):
        out = subprocess.run([MMSIS, "field", "pull", "--kind", "kobo", "--server", url,
                              "--form", "aBcKoboUid", "--store", str(tmp_path / "k.duckdb"),
                              "--plan", str(plan)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    fim = hand_scores(rows, "fim")[0]
    row = assess(load_programme(plan), load_framework()).items_frame().set_index(
        "key_result").loc["introduce_delivery_feasibility"]
    assert row["basis"] == "measured" and row["value"] == pytest.approx(fim, abs=1e-4)
    assert row["status"] == ("met" if fim >= 4.0 else "not_met")
    measured = load_programme(plan).measurements
    assert "adherence_ratio" in measured and "assumption" in measured["adherence_ratio"].source
