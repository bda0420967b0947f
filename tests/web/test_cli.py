"""`mmsis users ...` and `mmsis serve` wiring; the demo seed."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.errors import InputError


def test_create_admin_from_env_and_prompt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["users", "create-admin", "--email", "Chair@TAG.org", "--database", url],
        env={"MMSIS_ADMIN_PASSWORD": "a long enough secret"},
    )
    assert r.exit_code == 0, r.output
    assert "chair@tag.org" in r.output
    r = runner.invoke(
        app,
        ["users", "create", "--email", "b@tag.org", "--database", url],
        input="another long secret\nanother long secret\n",
        env={"MMSIS_ADMIN_PASSWORD": ""},
    )
    assert r.exit_code == 0, r.output
    dup = runner.invoke(
        app,
        ["users", "create-admin", "--email", "chair@tag.org", "--database", url],
        env={"MMSIS_ADMIN_PASSWORD": "yet another long secret"},
    )
    assert isinstance(dup.exception, InputError) and "exists already" in str(dup.exception)
    weak = runner.invoke(
        app,
        ["users", "create", "--email", "c@tag.org", "--database", url],
        env={"MMSIS_ADMIN_PASSWORD": "short"},
    )
    assert isinstance(weak.exception, InputError) and weak.exception.field == "password"

    from sqlalchemy import create_engine, text

    from mmsis.web.security import verify_password

    with create_engine(url).connect() as conn:
        rows = dict(conn.execute(text("SELECT email, password_hash FROM users")).all())
    assert rows["chair@tag.org"].startswith("$argon2id$")
    assert verify_password(rows["b@tag.org"], "another long secret")


def test_serve_and_users_are_registered() -> None:
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "--database" in r.output and "--port" in r.output
    r = CliRunner().invoke(app, ["users", "--help"])
    assert "create-admin" in r.output


def test_seed_demo_is_idempotent(tmp_path: Path, example_country) -> None:  # type: ignore[no-untyped-def]
    from mmsis.demos.web import seed_demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    first = seed_demo(url, tmp_path / "data", country=example_country)
    assert first["created"] and first["routine_values"] == len(example_country.data_values)
    assert first["survey_rows"] == len(example_country.survey)
    again = seed_demo(url, tmp_path / "data", country=example_country)
    assert not again["created"] and again["workspace_id"] == first["workspace_id"]


def test_demo_uploads_reach_the_analytics_store(tmp_path: Path, example_country) -> None:  # type: ignore[no-untyped-def]
    import re

    from fastapi.testclient import TestClient

    from mmsis.data.store import Store
    from mmsis.demos.web import seed_demo
    from mmsis.web import create_app

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    info = seed_demo(url, tmp_path / "data", country=example_country)
    c = TestClient(create_app(url, secret_key="t"))
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert tok
    c.post(
        "/login",
        data={"email": info["email"], "password": info["password"], "csrf_token": tok.group(1)},
    )
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    wid = info["workspace_id"]
    fac = example_country.org_units.query("level == 4")["id"].iloc[0]
    for v in (5, 7):
        body = f"dataElement,period,orgUnit,value\nANC1,203001,{fac},{v}\n"
        r = c.post(
            f"/api/workspaces/{wid}/uploads",
            data={"kind": "dhis2"},
            files={"file": ("a.csv", body.encode(), "text/csv")},
        )
        assert r.status_code == 201
    # the 201 comes after the store committed: no copy to wait for
    with Store(str(tmp_path / "data" / f"workspace-{wid}.duckdb"), read_only=True) as store:
        got = store.query(
            "SELECT value FROM data_values WHERE period = '203001' AND data_element = 'ANC1'"
        )
    assert got["value"].tolist() == [7.0]
    # an element the workspace does not know (no metadata) is refused, naming it
    body = f"dataElement,period,orgUnit,value\nMMS_NEW_REGISTER,203001,{fac},9\n"
    r = c.post(f"/api/workspaces/{wid}/uploads", data={"kind": "dhis2"},
               files={"file": ("b.csv", body.encode(), "text/csv")})
    assert r.status_code == 422
    assert r.json()["refused"] == [{"row": 1, "column": "dataElement",
                                    "message": "unknown data element",
                                    "value": "MMS_NEW_REGISTER"}]
    with Store(str(tmp_path / "data" / f"workspace-{wid}.duckdb"), read_only=True) as store:
        assert store.count("data_values") == len(example_country.data_values) + 1
    dash = c.get(f"/w/{wid}")
    assert dash.status_code == 200 and "Readiness scorecard" in dash.text
