"""Property-based: arbitrary bytes and parameters thrown at every web upload parser and every
API parameter never give a 5xx, and a refused request writes nothing (web tables and store).

Bounded for `make test`: a few dozen examples per property, no per-example deadline (the
first requests warm caches), one app built per module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.dependencies.utils import get_flat_params
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.web.conftest import World, make_world

from mmsis.web.app import iter_routes

FAST = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# routes that build a whole report or run jobs: exercised by their own tests, too slow here
SLOW = re.compile(r"/report|/deck|/jobs|/dhis2/(sync|test)|/analyses/re")


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One workspace world on SQLite for every example of this module."""
    from mmsis.web import jobs

    jobs.huey.immediate = True
    path = tmp_path_factory.mktemp("fuzz") / "web.sqlite3"
    yield make_world(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def clients(fuzz_world: World) -> dict[str, Any]:
    """Logged-in clients: an editor and a national owner (admin)."""
    out = {who: fuzz_world.client(who) for who in ("editor", "admin")}
    out["editor"].get("/api/design/crt")  # warm: the first one imports scipy
    return out


def _snapshot(world: World) -> dict[str, int]:
    """Row counts of every web table and of the store's data values (what a write changes)."""
    from mmsis.data.store import Store
    from mmsis.web.models import Base, Workspace

    counts: dict[str, int] = {}
    with world.app.state.sessions() as db:  # type: ignore[attr-defined]
        for table in Base.metadata.sorted_tables:
            if table.name in ("login_attempts", "login_sessions", "sessions"):
                continue
            counts[table.name] = int(db.scalar(select(func.count()).select_from(table)) or 0)
        store = db.get(Workspace, world.workspace_id).store_path
    if store and Path(store).exists():
        with Store(store, read_only=True) as st_:
            for name in ("data_values", "org_units", "populations"):
                try:
                    counts[f"store.{name}"] = st_.count(name)
                except Exception:  # a table this store version does not have
                    counts[f"store.{name}"] = -1
    return counts


def _unchanged_unless_accepted(world: World, before: dict[str, int], status: int) -> None:
    event(f"HTTP {status}")
    assert status < 500, status
    if status >= 400:
        after = _snapshot(world)
        changed = {k for k in after if after.get(k) != before.get(k)}
        # a refused upload may leave its audit line and its own 'refused' upload record
        assert changed <= {"audit_log", "audit_entries", "uploads"}, changed


# --- upload parsers ---------------------------------------------------------------------------

_csv_cell = st.one_of(
    st.sampled_from(["ANC1", "MMS_CLIENTS", "F1", "F2", "D1", "202401", "2024", "12", "-3",
                     "1e308", "nan", "", '"', '""', "=1+1", "\ufeff", "caseid", "v005"]),
    st.text(max_size=8),
)
_csv_text = st.lists(st.lists(_csv_cell, min_size=1, max_size=6), max_size=8).map(
    lambda rows: "\n".join(",".join(r) for r in rows)
)
_headed_csv = st.builds(
    lambda head, rows: head + "\n" + "\n".join(",".join(r) for r in rows),
    st.sampled_from(["dataElement,period,orgUnit,value", "caseid,v001,v005,v021,v022,m14",
                     "id,name,parent", "orgUnit,year,population",
                     "dataElement,period,orgUnit,categoryOptionCombo,value"]),
    st.lists(st.lists(_csv_cell, min_size=3, max_size=6), min_size=1, max_size=8),
)
_json_value = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=20,
)
_content = st.one_of(
    st.binary(max_size=400),
    _headed_csv.map(lambda t: t.encode("utf-8")),
    _headed_csv.map(lambda t: t.encode("utf-8")),
    _csv_text.map(lambda t: t.encode("utf-8")),
    _csv_text.map(lambda t: t.encode("utf-16")),
    _json_value.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda v: json.dumps({"dataValues": v, "organisationUnits": v}).encode(),
              _json_value),
)
_filename = st.one_of(
    st.sampled_from(["v.csv", "v.json", "v.csv", "v.json", "报告.csv", "a\x00b.csv", ".csv",
                     "../../etc/passwd.csv", "x" * 300 + ".csv", "v.txt", "v"]),
    st.text(max_size=20),
)


_data_name = st.one_of(st.sampled_from(["v.csv", "v.json", "报告.csv"]), _filename)


@settings(FAST, max_examples=60)
@given(kind=st.sampled_from(["dhis2", "dhis2", "survey", "bogus"]), name=_data_name,
       body=_content, page=st.booleans())
@example(kind="dhis2", name="v.csv", body=b"dataElement,period,orgUnit,value\nANC1,202401,F1,1e308",
         page=False)
@example(kind="dhis2", name="v.json", body=b"[" * 100_000 + b"]" * 100_000, page=True)
def test_data_upload_never_5xx_and_refusals_write_nothing(fuzz_world, clients, kind, name, body,
                                                          page) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(fuzz_world)
    wid = fuzz_world.workspace_id
    url = f"/w/{wid}/uploads" if page else f"/api/workspaces/{wid}/uploads"
    r = clients["editor"].post(url, data={"kind": kind}, files={"file": (name, body, "text/csv")},
                               follow_redirects=False)
    _unchanged_unless_accepted(fuzz_world, before, r.status_code)


@FAST
@given(what=st.sampled_from(["org-units", "populations"]), name=_filename, body=_content,
       page=st.booleans())
@example(what="org-units", name="deep.json", body=b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
         page=False)
def test_setup_upload_never_5xx_and_refusals_write_nothing(fuzz_world, clients, what, name,
                                                           body, page) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(fuzz_world)
    wid = fuzz_world.workspace_id
    url = f"/w/{wid}/setup/{what}" if page else f"/api/workspaces/{wid}/{what}"
    r = clients["admin"].post(url, files={"file": (name, body, "application/octet-stream")},
                              follow_redirects=False)
    _unchanged_unless_accepted(fuzz_world, before, r.status_code)


@FAST
@given(name=_filename, body=st.binary(max_size=300))
def test_evidence_upload_and_download_never_5xx(fuzz_world, clients, name, body) -> None:  # type: ignore[no-untyped-def]
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    wid = fuzz_world.workspace_id
    before = _snapshot(fuzz_world)
    r = clients["editor"].post(f"/api/workspaces/{wid}/key-results/{kr}/evidence",
                               files={"file": (name, body, "application/octet-stream")})
    _unchanged_unless_accepted(fuzz_world, before, r.status_code)
    if r.status_code == 201:
        got = clients["editor"].get(f"/api/workspaces/{wid}/evidence/{r.json()['id']}")
        assert got.status_code == 200 and got.content == body


@FAST
@given(body=st.binary(max_size=300), ctype=st.sampled_from(
    ["multipart/form-data; boundary=x", "multipart/form-data", "text/csv", "application/json"]))
def test_malformed_multipart_never_5xx(fuzz_world, clients, body, ctype) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(fuzz_world)
    r = clients["editor"].post(f"/api/workspaces/{fuzz_world.workspace_id}/uploads",
                               content=body, headers={"Content-Type": ctype})
    _unchanged_unless_accepted(fuzz_world, before, r.status_code)


# --- every API parameter ----------------------------------------------------------------------


def _api_routes(app: Any) -> list[tuple[str, str, list[str], list[str], bool]]:
    """(method, path, path params, query params, has a JSON body) of every /api route."""
    out = []
    for route in iter_routes(app.routes):
        if not route.path.startswith("/api/") or SLOW.search(route.path):
            continue
        params = get_flat_params(route.dependant)
        paths = [p.alias for p in params if type(p.field_info).__name__ == "Path"]
        queries = [p.alias for p in params if type(p.field_info).__name__ == "Query"]
        body = route.body_field is not None
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, route.path, paths, queries, body))
    return out


_param_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "-1", str(2**63), "9" * 30, "1e308", "-1e308", "nan", "inf", "1e-300",
                     "0.6", "0.599", "0.59999999", "", " ", "%00", "../..", "D1", "F1", "ANC1",
                     "202401", "2024-01", "quasipoisson", "quality", "cascade", "crt"]),
)


@pytest.fixture(scope="module")
def api_routes(fuzz_world: World) -> list[tuple[str, str, list[str], list[str], bool]]:
    """The app's /api routes, walked once."""
    routes = _api_routes(fuzz_world.app)
    assert len(routes) >= 30
    return routes


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_api_parameter_never_5xx(fuzz_world, clients, api_routes, data) -> None:  # type: ignore[no-untyped-def]
    method, path, paths, queries, has_body = data.draw(st.sampled_from(api_routes))
    url = path
    for name in paths:
        value = (str(fuzz_world.workspace_id) if name == "workspace_id"
                 and data.draw(st.booleans()) else data.draw(_param_text))
        url = url.replace("{" + name + "}", quote(value, safe="") or "x")
    params = {q: data.draw(_param_text) for q in queries if data.draw(st.booleans())}
    kwargs: dict[str, Any] = {"params": params}
    if has_body:
        kwargs["content"] = json.dumps(data.draw(_json_value)).encode()
        kwargs["headers"] = {"Content-Type": "application/json"}
    before = _snapshot(fuzz_world)
    r = clients["admin"].request(method, url, **kwargs)
    _unchanged_unless_accepted(fuzz_world, before, r.status_code)


@FAST
@given(kind=st.sampled_from(["crt", "survey", "individual"]),
       values=st.dictionaries(
           st.sampled_from(["p", "margin", "icc", "take", "nonresponse", "pe", "pc", "m",
                            "power", "alpha", "p1", "p0"]),
           st.one_of(_param_text, st.floats().map(repr)), max_size=6))
def test_design_parameters_never_5xx_and_answer_fast(fuzz_world, clients, kind, values) -> None:  # type: ignore[no-untyped-def]
    import time

    start = time.perf_counter()
    r = clients["editor"].get(f"/api/design/{kind}", params=values)
    assert r.status_code in (200, 422), (r.status_code, r.text[:200])
    assert time.perf_counter() - start < 4.0  # bounded (a shared test machine: generous)
    assert len(r.json()["curve"]) <= 200


_yaml_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["a: &x [1]\nb: *x", "geography: {store: /etc/passwd}", "- - - - - [",
                     "name: x\nstart: 2025-01\nhorizon_months: 1e308", "!!python/object:os.system",
                     "{" * 5000, "horizon_months: 99999999999999999999999"]),
    _json_value.map(lambda v: json.dumps(v)),
)


@FAST
@given(text=_yaml_text)
def test_scenario_yaml_never_5xx_and_refusals_write_nothing(fuzz_world, clients, text) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(fuzz_world)
    r = clients["editor"].put(f"/api/workspaces/{fuzz_world.workspace_id}/scenario",
                              json={"scenario": text})
    _unchanged_unless_accepted(fuzz_world, before, r.status_code)
