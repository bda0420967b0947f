"""Issue 12 finding 1: a workspace scenario names no server file or store, and its YAML is
bounded (size, depth, no aliases). Refused with 422 naming the key, before any file is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

ORG = pd.DataFrame(
    [("C2", "Other", 1, None, "/C2", 10.0), ("Z1", "Zeta district", 3, "C2", "/C2/Z1", 10.0)],
    columns=["id", "name", "level", "parent_id", "path", "population"],
)


def _scenario(**geo: Any) -> str:
    from mmsis.datasets import example_country
    from mmsis.demos.examples import example_scenario

    data = example_scenario(example_country())
    data["geography"] = {"level": "district", **geo}
    return yaml.safe_dump(data)


@pytest.fixture
def no_file_access(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way a scenario could read a server file records the call instead."""
    import mmsis.forecast.consumption as consumption
    import mmsis.forecast.scenario as scenario
    import mmsis.forecast.store_io as store_io

    touched: list[str] = []

    def record(name: str):  # type: ignore[no-untyped-def]
        def fn(*args: Any, **kwargs: Any) -> Any:
            touched.append(name)
            raise AssertionError(f"{name} was called")

        return fn

    monkeypatch.setattr(scenario, "_read_districts", record("_read_districts"))
    monkeypatch.setattr(store_io, "districts_from_store", record("districts_from_store"))
    monkeypatch.setattr(store_io, "history_from_store", record("history_from_store"))
    monkeypatch.setattr(consumption, "read_history", record("read_history"))
    return touched


def _put(client, wid: int, text: str):  # type: ignore[no-untyped-def]
    return client.put(f"/api/workspaces/{wid}/scenario", json={"scenario": text})


def test_editor_of_workspace_2_cannot_read_workspace_1s_store(  # type: ignore[no-untyped-def]
    world_any, tmp_path: Path
) -> None:
    from mmsis.data.store import Store
    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import User, Workspace

    store = tmp_path / "ws1.duckdb"  # workspace 1's programme store, with its districts
    with Store(store) as st:
        st.con.execute("INSERT INTO org_units (id, name, level, parent_id, path) VALUES "
                       "('D9', 'Secret district', 3, 'C', '/C/R1/D9')")
    with dbm.session_scope(world_any.app.state.sessions) as db:
        ws1 = db.get(Workspace, world_any.workspace_id)
        assert ws1 is not None
        ws1.store_path = str(store)
        ws2 = services.create_workspace(db, "Other", "Other", "")
        services.load_org_units(db, ws2, ORG)
        outsider = db.query(User).filter_by(email=world_any.emails["outsider"]).one()
        services.set_member(db, None, ws2, outsider, "editor")
        wid2 = ws2.id
    c = world_any.client("outsider")
    r = _put(c, wid2, _scenario(store=str(store)))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == "geography.store" and "geography.store" in body["detail"]
    assert "Secret district" not in r.text and "D9" not in r.text
    got = c.get(f"/api/workspaces/{wid2}/scenario")
    assert got.status_code == 404  # nothing was saved
    # the page refuses it the same way, keeping the text typed
    page = c.post(f"/w/{wid2}/scenario", data={"scenario": _scenario(store=str(store))})
    assert page.status_code == 422 and "geography.store" in page.text


@pytest.mark.parametrize(
    ("geo", "key"),
    [
        ({"file": "/etc/passwd"}, "geography.file"),
        ({"file": "/dev/zero"}, "geography.file"),
        ({"file": "/"}, "geography.file"),
        ({"file": "/no/such/file.csv"}, "geography.file"),
        ({"store": "/tmp"}, "geography.store"),
        ({"store": "web.sqlite3"}, "geography.store"),
        (
            {"districts": [{"id": "D1", "data_file": "/etc/passwd"}]},
            "geography.districts[0].data_file",
        ),
    ],
)
def test_server_paths_are_refused_before_any_file_is_read(  # type: ignore[no-untyped-def]
    world, no_file_access, geo, key
) -> None:
    c = world.client("editor")
    r = _put(c, world.workspace_id, _scenario(**geo))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == key
    assert no_file_access == []
    # same answer whether the file exists or not: no probe of the file system
    assert "not found" not in r.text and "root:" not in r.text


def test_consumption_file_and_store_are_refused(world, no_file_access) -> None:  # type: ignore[no-untyped-def]
    from mmsis.datasets import example_country
    from mmsis.demos.examples import example_scenario

    c = world.client("editor")
    for key in ("file", "store"):
        data = example_scenario(example_country())
        data["consumption"] = {key: "/etc/passwd"}
        r = _put(c, world.workspace_id, yaml.safe_dump(data))
        assert r.status_code == 422 and r.json()["field"] == f"consumption.{key}"
    assert no_file_access == []


def test_a_saved_scenario_with_a_path_is_not_run(world, no_file_access) -> None:  # type: ignore[no-untyped-def]
    """A scenario stored before the check (or by another route) is refused when run, too."""
    from mmsis.web import analytics
    from mmsis.web import db as dbm

    data = yaml.safe_load(_scenario(file="/etc/passwd"))
    with dbm.session_scope(world.app.state.sessions) as db:
        analytics.save_result(db, world.workspace_id, "scenario", data)
    r = world.client("viewer").get(f"/api/workspaces/{world.workspace_id}/scenario")
    assert r.status_code == 422 and r.json()["field"] == "geography.file"
    assert no_file_access == []


def test_yaml_is_bounded(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("editor")
    wid = world.workspace_id
    laughs = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    r = _put(c, wid, laughs)
    assert r.status_code == 422 and "alias" in r.json()["detail"]
    deep = "name: x\nx: " + "[" * 5000 + "]" * 5000 + "\n"
    r = _put(c, wid, deep)
    assert r.status_code == 422 and "deeper" in r.json()["detail"]
    big = _scenario(districts=[{"id": f"D{i}", "name": "x" * 200} for i in range(2000)])
    r = _put(c, wid, big)
    assert r.status_code in (413, 422), r.status_code  # the body cap or the scenario's own
    assert r.status_code == 413 or "larger" in r.json()["detail"]


def test_the_cli_keeps_files_of_its_own(tmp_path: Path) -> None:
    """The library/CLI path (load_scenario) still reads a district file next to the scenario."""
    from mmsis.datasets import example_country
    from mmsis.demos.examples import example_scenario
    from mmsis.forecast.scenario import load_scenario

    data = example_scenario(example_country())
    districts = pd.DataFrame(data["geography"].pop("districts"))
    districts.to_csv(tmp_path / "districts.csv", index=False)
    data["geography"]["file"] = "districts.csv"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    sc = load_scenario(tmp_path / "s.yaml")
    assert sorted(d.id for d in sc.geography.districts) == sorted(districts["id"].astype(str))
