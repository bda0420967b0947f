"""The cascade of a user limited to a part of the country (issue 13): the dashboard API, the
dashboard panel, the report's "Cascade" sheet and `mmsis survey cascade --store --org-unit`
all count the respondents of the districts in that part, with one rule
(`mmsis.measure.survey.programme.respondents_within`), and say which population it is."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import pandas as pd
from tests.web.conftest import World
from typer.testing import CliRunner

from mmsis.datasets import ExampleCountry


def _steps(rows: Any) -> list[tuple[Any, ...]]:
    frame = pd.DataFrame(rows)
    frame = frame[frame["of"] == "all women"]
    return [(str(r.step), str(r.label), round(float(r.estimate), 9), int(r.n))
            for r in frame.itertuples(index=False)]


def test_a_district_users_cascade_is_their_districts_everywhere(
        world: World, example_country: ExampleCountry) -> None:
    from mmsis.cli import app as cli
    from mmsis.web import db as dbm
    from mmsis.web import programme
    from mmsis.web.models import Workspace

    rng = np.random.default_rng(13)
    survey = example_country.survey.sample(1500, random_state=2).reset_index(drop=True)
    survey["district_id"] = rng.choice(["D1", "D2"], size=len(survey), p=[0.4, 0.6])
    editor = world.client("editor")
    wid = world.workspace_id
    r = editor.post(f"/api/workspaces/{wid}/uploads", data={"kind": "survey"},
                    files={"file": ("survey.csv", survey.to_csv(index=False).encode(),
                                    "text/csv")})
    assert r.status_code == 201, r.text

    officer = world.client("district")  # an editor limited to D1 (Alpha district)
    api = officer.get(f"/api/workspaces/{wid}/analyses/cascade")
    assert api.status_code == 200, api.text
    mine = api.json()
    national = editor.get(f"/api/workspaces/{wid}/analyses/cascade").json()
    n_d1 = int((survey["district_id"] == "D1").sum())
    assert mine["respondents"] == n_d1 and national["respondents"] == len(survey)
    assert mine["scope"] == "/C/R1/D1" and national["scope"] is None
    assert _steps(mine["table"]) != _steps(national["table"])
    assert _steps(mine["table"])[0][3] < _steps(national["table"])[0][3]

    # their report's cascade sheet: the same steps, estimates and women
    rep = officer.get(f"/api/workspaces/{wid}/report")
    assert rep.status_code == 200, rep.text[:500]
    with zipfile.ZipFile(io.BytesIO(rep.content)) as z:
        sheets = pd.read_excel(io.BytesIO(z.read("agenda.xlsx")), sheet_name=None)
        html = " ".join(z.read(next(n for n in z.namelist() if n.endswith(".html")))
                        .decode().split())
    assert _steps(sheets["Cascade"]) == _steps(mine["table"])
    # its sources name the part of the country (labels, not ids)
    assert "respondents of districts in Alpha district only" in html

    # the CLI on the workspace's store, limited to the same org unit
    with dbm.session_scope(world.app.state.sessions) as db:
        ws = db.get(Workspace, wid)
        assert ws is not None and ws.store_path
        store = ws.store_path
    programme.close(store)
    runner = CliRunner()
    res = runner.invoke(cli, ["survey", "cascade", "--store", store, "--org-unit", "D1",
                              "--json"])
    assert res.exit_code == 0, res.output
    cli_out = json.loads(res.output)
    assert _steps(cli_out["table"]) == _steps(mine["table"])
    assert cli_out["respondents"] == n_d1
    text = " ".join(runner.invoke(cli, ["survey", "cascade", "--store", store, "--org-unit",
                                        "D1"]).output.split())
    assert "respondents of the districts in Alpha district only" in text
    from mmsis import i18n

    with i18n.language("en"):  # --lang sets the process's language: restored after
        pt = " ".join(runner.invoke(cli, ["--lang", "pt", "survey", "cascade", "--store",
                                          store, "--org-unit", "D1"]).output.split())
    assert "identificador da ronda" in pt and "it covers" not in pt
    bad = runner.invoke(cli, ["survey", "cascade", "--store", store, "--org-unit", "NOPE"])
    assert bad.exit_code != 0

    # the panel says whose cascade it is and what the shares are of
    page = officer.get(f"/w/{wid}")
    assert page.status_code == 200
    body = " ".join(page.text.split())
    assert "respondents of the districts in Alpha district only" in body
    assert f"{n_d1:,} respondents of this wave" in body
    assert "women with a birth in the past 24 months" in body
    whole = " ".join(editor.get(f"/w/{wid}").text.split())
    assert "all respondents of the survey (the whole country)" in whole
