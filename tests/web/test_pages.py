"""Key results, agenda, evaluation, scenario and design pages: rules, audit, kept input."""

from __future__ import annotations

import re

import pandas as pd
import pytest


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return client.headers["X-CSRF-Token"]


def test_key_result_edit_is_audited_and_validated(world_any) -> None:  # type: ignore[no-untyped-def]
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    c = world_any.client("editor")
    wid = world_any.workspace_id
    r = c.put(f"/api/workspaces/{wid}/key-results/{kr}", json={"status": "met", "note": "ok"})
    assert r.status_code == 200
    r = c.put(f"/api/workspaces/{wid}/key-results/{kr}", json={"status": "done", "note": "x"})
    assert r.status_code == 422 and r.json()["field"] == "status"
    assert (
        c.put(f"/api/workspaces/{wid}/key-results/NOPE", json={"status": "met"}).status_code == 404
    )
    row = next(k for k in c.get(f"/api/workspaces/{wid}/key-results").json() if k["id"] == kr)
    assert (row["status"], row["note"]) == ("met", "ok")
    audit = c.get(f"/api/workspaces/{wid}/audit").json()
    assert audit[0]["entity"] == "key_result" and audit[0]["detail"]["after"]["status"] == "met"
    # the page form keeps what was typed when the status is refused
    page = c.post(
        f"/w/{wid}/key-results/{kr}",
        data={"status": "bogus", "note": "typed <note>", "csrf_token": _token(c)},
    )
    assert page.status_code == 422
    assert "typed &lt;note&gt;</textarea>" in page.text


def test_evidence_type_is_checked(world) -> None:  # type: ignore[no-untyped-def]
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    c = world.client("editor")
    url = f"/api/workspaces/{world.workspace_id}/key-results/{kr}/evidence"
    assert c.post(url, files={"file": ("x.exe", b"MZ", "application/x")}).status_code == 415
    ok = c.post(url, files={"file": ("minutes.pdf", b"%PDF-1.4 test", "application/pdf")})
    assert ok.status_code == 201
    got = world.client("viewer").get(
        f"/api/workspaces/{world.workspace_id}/evidence/{ok.json()['id']}"
    )
    assert got.content == b"%PDF-1.4 test" and "attachment" in got.headers["content-disposition"]


def test_agenda_rank_and_decisions(world_any) -> None:  # type: ignore[no-untyped-def]
    c = world_any.client("editor")
    url = f"/api/workspaces/{world_any.workspace_id}/agenda"
    ids = [c.post(url, json={"kind": "question", "text": f"Q{i}?"}).json()["id"] for i in range(3)]
    r = c.patch(f"{url}/{ids[2]}", json={"rank": 1, "decision": "accepted"})
    assert r.json()["rank"] == 1 and r.json()["decision"] == "accepted"
    assert [i["text"] for i in c.get(url).json()] == ["Q2?", "Q0?", "Q1?"]
    assert [i["rank"] for i in c.get(url).json()] == [1, 2, 3]
    assert c.patch(f"{url}/{ids[0]}", json={"rank": 9}).status_code == 422
    assert c.delete(f"{url}/{ids[1]}").status_code == 204
    assert [i["rank"] for i in c.get(url).json()] == [1, 2]
    assert c.post(url, json={"kind": "question", "text": "  "}).status_code == 422
    actions = [a["action"] for a in c.get(f"/api/workspaces/{world_any.workspace_id}/audit").json()]
    assert {"add", "rank", "decide", "delete"} <= set(actions)


def test_design_calculator_matches_the_design_package(world) -> None:  # type: ignore[no-untyped-def]
    from mmsis.design import crt_clusters

    c = world.client("viewer")
    r = c.get("/api/design/crt", params={"pe": 0.6, "pc": 0.45, "m": 30, "icc": 0.05})
    body = r.json()
    ref = crt_clusters("proportion", pe=0.6, pc=0.45, m=30, icc=0.05)
    assert body["result"]["clusters_per_arm"] == ref.clusters_per_arm
    powers = [p["y"] for p in body["curve"]]
    assert powers == sorted(powers) and powers[0] < 0.8 < powers[-1]
    bad = c.get(f"/w/{world.workspace_id}/design", params={"kind": "crt", "m": "lots"})
    assert bad.status_code == 422
    assert 'value="lots"' in bad.text and "is not a number" in bad.text


def test_its_on_uploaded_series(world) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(1)
    periods = [f"{y}{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
    lines = ["dataElement,period,orgUnit,value"]
    for pe in periods:
        mu = 100 * (1.3 if pe >= "202301" else 1.0)
        lines.append(f"ANC1,{pe},F1,{rng.poisson(mu)}")
    c = world.client("editor")
    wid = world.workspace_id
    up = c.post(
        f"/api/workspaces/{wid}/uploads",
        data={"kind": "dhis2"},
        files={"file": ("a.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert up.status_code == 201
    r = c.get(
        f"/api/workspaces/{wid}/evaluation/its",
        params={"data_element": "ANC1", "start": "202301", "family": "poisson"},
    )
    summary = pd.DataFrame(r.json()["summary"])
    rr = float(np.exp(summary.set_index("term").loc["level_change", "estimate"]))
    assert 1.15 < rr < 1.45
    bad = c.get(f"/w/{wid}/evaluation", params={"data_element": "ANC1", "start": "2023-01"})
    assert bad.status_code == 422 and 'value="2023-01"' in bad.text


def test_controlled_its_against_a_control_district(world) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(2)
    periods = [f"{y}{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
    lines = ["dataElement,period,orgUnit,value"]
    for pe in periods:
        shock = 0.8 if pe >= "202301" else 1.0  # both districts: a new register counts fewer
        lines.append(f"ANC1,{pe},F1,{rng.poisson(400 * shock * (1.25 if pe >= '202301' else 1))}")
        lines.append(f"ANC1,{pe},F2,{rng.poisson(300 * shock)}")
    c = world.client("editor")
    wid = world.workspace_id
    up = c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                files={"file": ("a.csv", "\n".join(lines).encode(), "text/csv")})
    assert up.status_code == 201
    params = {"data_element": "ANC1", "start": "202301", "org_unit": "D1", "family": "poisson"}
    plain = pd.DataFrame(c.get(f"/api/workspaces/{wid}/evaluation/its", params=params)
                         .json()["summary"]).set_index("term")
    ctl = c.get(f"/api/workspaces/{wid}/evaluation/its", params={**params, "control": "D2"})
    summary = pd.DataFrame(ctl.json()["summary"]).set_index("term")
    assert "controlled" in ctl.json()["method"]
    assert 1.15 < float(np.exp(summary.loc["level_change", "estimate"])) < 1.35
    assert float(np.exp(plain.loc["level_change", "estimate"])) < 1.1  # the shock hides it
    page = c.get(f"/w/{wid}/evaluation", params={"data_element": "ANC1", "start": "202301",
                                                  "district": "D1", "control": "D2"})
    assert page.status_code == 200 and "Beta district (control, observed)" in page.text
    same = c.get(f"/w/{wid}/evaluation", params={"data_element": "ANC1", "start": "202301",
                                                  "district": "D1", "control": "D1"})
    assert same.status_code == 422 and "another org unit" in same.text


@pytest.mark.parametrize("text,needle", [("name: [x", "not valid YAML"), ("- a\n- b\n", "mapping")])
def test_bad_scenario_keeps_the_text(world, text, needle) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    r = c.post(
        f"/w/{world.workspace_id}/scenario", data={"scenario": text, "csrf_token": _token(c)}
    )
    assert r.status_code == 422 and needle in r.text
    assert re.search(
        r'<textarea[^>]*name="scenario"[^>]*>' + re.escape(text.replace("[", "[")), r.text
    )


def test_agenda_suggestions_follow_the_phase(world) -> None:  # type: ignore[no-untyped-def]
    """The ranked suggestions depend on the programme's phase: a phase change re-ranks them
    (the cached list was keyed by key-result statuses only and stayed the old phase's)."""
    import re

    owner = world.client("owner")
    page = f"/w/{world.workspace_id}/agenda"

    def ranked() -> list[str]:
        r = owner.get(page)
        assert r.status_code == 200
        return re.findall(r'name="ref_id" value="([^"]+)"', r.text)

    url = f"/api/workspaces/{world.workspace_id}"
    assert owner.patch(url, json={"phase": "explore"}).status_code == 200
    first = ranked()
    assert first
    assert owner.patch(url, json={"phase": "sustain"}).status_code == 200
    assert ranked() != first
