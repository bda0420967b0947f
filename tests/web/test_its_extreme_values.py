"""Issue 12, finding 7: values of 1e308 were accepted, two in one month summed to infinity and
the ITS API and page answered 500. Now such values are refused at upload, and the ITS answers
422 naming the problem for whatever a store holds (a store written before the check)."""

from __future__ import annotations

from typing import Any

PERIODS = [f"{y}{m:02d}" for y in (2022, 2023) for m in range(1, 13)]


def _upload(c: Any, wid: int, lines: list[str]) -> Any:
    body = "\n".join(["dataElement,period,orgUnit,value", *lines]).encode()
    return c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
                  files={"file": ("v.csv", body, "text/csv")})


def _its(c: Any, wid: int, family: str = "poisson") -> tuple[Any, Any]:
    params = {"data_element": "ANC1", "start": "202301", "family": family}
    return (c.get(f"/api/workspaces/{wid}/evaluation/its", params=params),
            c.get(f"/w/{wid}/evaluation", params=params))


def test_1e308_twice_in_a_month_is_refused_at_upload(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    wid = world.workspace_id
    r = _upload(c, wid, [f"ANC1,{pe},F1,100" for pe in PERIODS]
                + ["ANC1,202401,F1,1e308", "ANC1,202401,F2,1e308"])
    body = r.json()
    refused = {(x["row"], x["column"]) for x in body.get("refused") or body.get("errors") or []}
    assert r.status_code in (201, 422) and refused == {(25, "value"), (26, "value")}, r.text
    api, page = _its(c, wid)
    assert api.status_code == 422 and page.status_code == 422  # nothing was written


def test_its_on_infinite_or_huge_stored_values_answers_422(world) -> None:  # type: ignore[no-untyped-def]
    from mmsis.data import rollup
    from mmsis.web import db as dbm
    from mmsis.web import programme
    from mmsis.web.models import Workspace

    c = world.client("editor")
    wid = world.workspace_id
    assert _upload(c, wid, [f"ANC1,{pe},F1,{100 + i}" for i, pe in enumerate(PERIODS)]
                   ).status_code == 201
    with dbm.session_scope(world.app.state.sessions) as db:
        ws = db.get(Workspace, wid)
        assert ws is not None and ws.store_path
        path = ws.store_path
    for value in (1e308, 9e11):  # a store from before the check; a sum of allowed values
        with programme.writing(path) as st:
            st.con.execute("UPDATE data_values SET value = ? WHERE period = '202305'", [value])
            st.con.execute("INSERT INTO data_values SELECT data_element, period, 'F2', coc, "
                           "aoc, value, source FROM data_values WHERE period = '202305' "
                           "AND org_unit = 'F1'")
            rollup.rebuild(st.con)  # the totals the series read
        for family in ("poisson", "quasipoisson", "negbin", "gaussian"):
            api, page = _its(c, wid, family)
            assert api.status_code == 422, (value, family, api.text)
            assert page.status_code == 422, (value, family)
            assert "value" in api.text and "Traceback" not in page.text
        with programme.writing(path) as st:
            st.con.execute("DELETE FROM data_values WHERE org_unit = 'F2'")
            rollup.rebuild(st.con)
