"""Repeat groups back in: the generated facility checklist's observed consultations (a repeat)
in ODK Central's ZIP export (`{form}-obs.csv`, KEY `{instance}/obs[n]`), Kobo's XLSX export (a
sheet per repeat), ODK's OData with `$expand=*` and Kobo's API (lists) -> counselling fidelity
by hand -> the scorecard judges `introduce_delivery_fidelity` from the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from field.loopback_field import KOBO_TOKEN, ODK_PASSWORD, ODK_USER, serve, visits
from mmsis.data.field import load_repeats, read_export, save_submissions
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.measure.field import score_submissions
from mmsis.plan.forms import OrgUnitChoices, facility_checklist
from mmsis.plan.scorecard import assess
from mmsis.plan.workspace import load_programme, save_programme

MMSIS = str(Path(sys.executable).with_name("mmsis"))
FORM = "mms_facility_readiness"
AREAS = OrgUnitChoices(districts=[("D1", "North"), ("D2", "South")],
                       facilities=[(f"F{i}", f"Clinic {i}", "D1" if i < 3 else "D2")
                                   for i in range(1, 5)])
ROOT = ("district", "facility", "mms_in_stock", "guideline", "staff_anc", "staff_trained",
        "ready")

# By hand, from loopback_field.visits(): consultations in which MMS was given and whether every
# applicable counselling item (dose, duration, side effects, adherence) was done, per facility.
COVERED = {"F1": [1, 0], "F2": [1], "F3": [1, 0], "F4": [1, 1]}  # F3's first: MMS not given
ITEMS = {"F1": [1, 0.75], "F2": [1], "F3": [0, 1, 0.8], "F4": [1, 1]}


def hand(groups: dict[str, list[float]]) -> tuple[float, float]:
    """Mean over consultations and its with-replacement SE with facilities as clusters."""
    y = np.array([v for vs in groups.values() for v in vs], dtype=float)
    ybar = y.mean()
    totals = np.array([sum(v - ybar for v in vs) for vs in groups.values()])
    k = len(totals)
    return float(ybar), float(np.sqrt(k / (k - 1) * (totals ** 2).sum()) / len(y))


def paths() -> dict[str, list[str]]:
    """Each field of the generated checklist with the groups and repeats it sits in."""
    stack: list[str] = []
    out: dict[str, list[str]] = {}
    for row in facility_checklist(org_units=AREAS).rows:
        if row["type"] in ("begin_group", "begin_repeat"):
            stack.append(row["name"])
        elif row["type"] in ("end_group", "end_repeat"):
            stack.pop()
        else:
            out[row["name"]] = [*stack, row["name"]]
    return out


def odk_zip(path: Path, vs: list[dict[str, Any]]) -> Path:
    """ODK Central's ZIP export: the submissions CSV and the repeat's CSV (PARENT_KEY, KEY)."""
    p = paths()
    main, reps = [], []
    for v in vs:
        main.append({"SubmissionDate": "2026-10-02T09:00:00.000Z",
                     **{"-".join(p[k]): v[k] for k in ROOT},
                     "n_obs": str(len(v["obs"])), "SET-OF-obs": f"{v['uuid']}/obs",
                     "meta-instanceID": v["uuid"], "KEY": v["uuid"],
                     "FormVersion": "2026010102"})
        for i, o in enumerate(v["obs"], start=1):
            # repeat files name fields from the repeat down (`obs_given`), as Central does
            reps.append({**{"-".join(p[k][1:]): val for k, val in o.items()},
                         "PARENT_KEY": v["uuid"], "KEY": f"{v['uuid']}/obs[{i}]",
                         "SET-OF-obs": f"{v['uuid']}/obs"})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{FORM}.csv", pd.DataFrame(main).to_csv(index=False))
        z.writestr(f"{FORM}-obs.csv", pd.DataFrame(reps).to_csv(index=False))
    return path


def kobo_xlsx(path: Path, vs: list[dict[str, Any]]) -> Path:
    """Kobo's XLSX export: the submissions sheet and an `obs` sheet (`/` paths, _parent_index)."""
    p = paths()
    main, reps = [], []
    for n, v in enumerate(vs, start=1):
        main.append({**{"/".join(p[k]): v[k] for k in ROOT}, "n_obs": str(len(v["obs"])),
                     "_id": str(100 + n), "_uuid": v["uuid"], "__version__": "vF1",
                     "_submission_time": "2026-10-02T09:00:00", "_index": str(n)})
        for o in v["obs"]:
            reps.append({**{"/".join(p[k]): val for k, val in o.items()},
                         "_index": str(len(reps) + 1), "_parent_table_name": "MMS checklist",
                         "_parent_index": str(n), "_submission__id": str(100 + n)})
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(main).to_excel(xl, sheet_name="MMS checklist", index=False)
        pd.DataFrame(reps).to_excel(xl, sheet_name="obs", index=False)
    return path


def test_generated_checklist_has_the_repeat_the_export_uses() -> None:
    p = paths()
    assert p["obs_given"] == ["obs", "obs_given"] and p["district"] == ["district"]


@pytest.mark.parametrize("make", [odk_zip, kobo_xlsx])
def test_repeat_exports_give_the_hand_fidelity(tmp_path: Path, make: Any) -> None:
    subs = read_export(make(tmp_path / f"x{'.zip' if make is odk_zip else '.xlsx'}",
                            visits()), FORM)
    obs = subs.repeats["obs"]
    assert len(obs) == 8 and set(obs["submission_id"]) == {v["uuid"] for v in visits()}
    assert "SET-OF-obs" not in subs.frame.columns and "obs" not in subs.frame.columns
    scores = score_submissions(subs.frame, FORM, repeats=subs.repeats).to_dict()
    mean, se = hand(COVERED)
    got = scores["counselling_fidelity"]
    assert got["mean"] == pytest.approx(5 / 7) and mean == pytest.approx(5 / 7)
    assert got["se"] == pytest.approx(se) and got["n"] == 7
    assert scores["fidelity_items"]["mean"] == pytest.approx(hand(ITEMS)[0])
    assert scores["fidelity_items"]["mean"] == pytest.approx(6.55 / 8)
    by = {r["district"]: r["mean"] for r in got["by_district"]}
    assert by == pytest.approx({"D1": 2 / 3, "D2": 3 / 4})
    assert scores["readiness"]["mean"] == pytest.approx(1.0)


def test_repeats_are_idempotent_and_replaced_with_their_submission(tmp_path: Path) -> None:
    vs = visits()
    with Store(str(tmp_path / "s.duckdb")) as store:
        save_submissions(store, read_export(odk_zip(tmp_path / "a.zip", vs), FORM))
        again = save_submissions(store, read_export(odk_zip(tmp_path / "a.zip", vs), FORM))
        assert again["added"] == 0 and len(load_repeats(store, FORM)["obs"]) == 8
        vs[0]["obs"] = vs[0]["obs"][:1]  # an edit drops a consultation
        save_submissions(store, read_export(odk_zip(tmp_path / "b.zip", vs[:1]), FORM))
        obs = load_repeats(store, FORM)["obs"]
    assert len(obs) == 7 and (obs["submission_id"] == "uuid:fac0").sum() == 1


def test_bad_repeat_cells_and_orphans_are_refused(tmp_path: Path) -> None:
    vs = visits()
    vs[2]["obs"][1]["obs_side"] = "maybe"
    with pytest.raises(InputError, match="done, not_done or na") as bad:
        read_export(kobo_xlsx(tmp_path / "bad.xlsx", vs), FORM)
    assert bad.value.row == 5 and bad.value.column == "obs/obs_side"
    path = odk_zip(tmp_path / "orphan.zip", visits())
    with zipfile.ZipFile(path) as z:
        main = z.read(f"{FORM}.csv").decode()
        reps = z.read(f"{FORM}-obs.csv").decode()
    with zipfile.ZipFile(path, "w") as z:  # the main table without its last visit
        z.writestr(f"{FORM}.csv", "\n".join(main.splitlines()[:-1]) + "\n")
        z.writestr(f"{FORM}-obs.csv", reps)
    with pytest.raises(InputError, match="not in the export"):
        read_export(path, FORM)


def test_pulls_read_the_repeats_and_the_scorecard_judges_fidelity(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    subprocess.run([MMSIS, "plan", "init", "--country", "Testland", "--file", str(plan)],
                   check=True, capture_output=True)
    prog = load_programme(plan)
    prog.phases = {**prog.phases, "delivery": "introduce"}
    save_programme(prog, plan)
    env = {**os.environ, "HOME": str(tmp_path), "ODK_CENTRAL_USERNAME": ODK_USER,
           "ODK_CENTRAL_PASSWORD": ODK_PASSWORD, "KOBO_TOKEN": KOBO_TOKEN}
    got = {}
    with serve([], visits()) as (url, state):
        for kind, args in (("odk", ["--project", "7", "--form", FORM]),
                           ("kobo", ["--kind", "kobo", "--form", "aFacKoboUid"])):
            out = subprocess.run([MMSIS, "field", "pull", "--server", url, *args,
                                  "--store", str(tmp_path / f"{kind}.duckdb"), "--json"],
                                 capture_output=True, text=True, env=env)
            assert out.returncode == 0, out.stderr
            got[kind] = json.loads(out.stdout)
        assert any("%24expand=%2A" in r or "$expand=*" in r for r in state.requests)
    for scores in got.values():
        assert scores["counselling_fidelity"]["mean"] == pytest.approx(5 / 7)
        assert scores["counselling_fidelity"]["n"] == 7
    out = subprocess.run([MMSIS, "field", "import", str(odk_zip(tmp_path / "e.zip", visits())),
                          "--form", FORM, "--store", str(tmp_path / "s.duckdb"),
                          "--plan", str(plan), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    items = assess(load_programme(plan), load_framework()).items_frame().set_index(
        "key_result")
    row = items.loc["introduce_delivery_fidelity"]
    assert row["basis"] == "measured" and row["value"] == pytest.approx(5 / 7, abs=1e-4)
    assert row["status"] == "met"  # 0.714 >= 0.7, the key result's threshold


def test_trained_staff_is_a_ratio_of_totals_over_the_facilities(tmp_path: Path) -> None:
    vs = visits()
    for v, anc, trained in zip(vs, ("3", "5", "2", "4"), ("1", "5", "0", "2"), strict=True):
        v["staff_anc"], v["staff_trained"] = anc, trained
    subs = read_export(kobo_xlsx(tmp_path / "s.xlsx", vs), FORM)
    got = score_submissions(subs.frame, FORM, repeats=subs.repeats).to_dict()
    trained = got["health_workers_trained"]
    assert trained["mean"] == pytest.approx(8 / 14)  # not the mean of shares (0.458)
    by = {r["district"]: r["mean"] for r in trained["by_district"]}
    assert by == pytest.approx({"D1": 6 / 8, "D2": 2 / 6})


def test_stock_card_months_give_the_stockout_rate() -> None:
    from mmsis.data.field import read_json

    def card(uid: str, days: list[int]) -> dict[str, Any]:
        return {"_uuid": uid, "_submission_time": "2026-10-03T08:00:00", "__version__": "v1",
                "facility_id": uid.upper(), "product": "mms", "card_present": "yes",
                "card/card_updated": "yes", "card/n_months": str(len(days)),
                "card/month": [{"card/month/month_date": f"2026-0{i + 1}-01",
                                "card/month/opening": "100", "card/month/received": "0",
                                "card/month/issued": "10", "card/month/closing": "90",
                                "card/month/days_out": str(d)} for i, d in enumerate(days)],
                "card/last_balance": "90", "card/physical": "90", "card/card_accurate": "1"}

    subs = read_json({"results": [card("f1", [0, 3, 0]), card("f2", [0, 0]),
                                  card("f3", [5, 31])]}, "mms_stock_card_audit")
    assert len(subs.repeats["month"]) == 7
    got = score_submissions(subs.frame, "mms_stock_card_audit", repeats=subs.repeats).to_dict()
    assert got["stockout_rate"]["mean"] == pytest.approx(3 / 7)
    assert got["stockout_rate"]["n"] == 7
    assert got["lmis_accuracy"]["mean"] == pytest.approx(1.0)
