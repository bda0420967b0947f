"""Country-setup uploads (org units, populations): the metadata cap for national owners, the
user checked before a byte of the body is read, the small budget for everyone else."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.web.conftest import World
from tests.web.test_limits import Body, _files, _headers, spool  # noqa: F401

MB = 1024 * 1024
UNITS = [
    {"id": "NL", "name": "Newland", "level": 1, "path": "/NL"},
    {"id": "RA", "name": "Region A", "parent": {"id": "NL"}},
    {"id": "DA1", "name": "District A1", "parent": {"id": "RA"}},
]


def _big_metadata(size: int) -> bytes:
    """A valid DHIS2 metadata file of about `size` bytes (JSON allows any whitespace)."""
    doc = json.dumps({"organisationUnits": UNITS})
    return (doc[:-1] + " " * max(0, size - len(doc)) + "}").encode()


def _new_country(world: World) -> tuple[Any, int]:
    admin = world.client("admin")
    r = admin.post("/api/workspaces", json={"name": "Newland", "country": "Newland"})
    assert r.status_code == 201, r.text
    return admin, r.json()["id"]


def test_an_org_unit_file_over_the_small_budget_is_imported(world: World) -> None:
    admin, wid = _new_country(world)
    content = _big_metadata(5 * MB)
    r = admin.post(f"/api/workspaces/{wid}/org-units",
                   files={"file": ("meta.json", content, "application/json")})
    assert r.status_code == 201, r.text[:300]
    assert r.json() == {"imported": 3}
    pops = b"orgUnit,year,population\n" + b"RA,2024,1000\n" * (3 * MB // 13)
    r = admin.post(f"/api/workspaces/{wid}/populations",
                   files={"file": ("p.csv", pops, "text/csv")})
    assert r.status_code == 422, r.text[:300]  # read and judged (duplicate rows), not 413
    assert r.json()["refused"]


def test_the_setup_page_takes_a_big_org_unit_file(world: World) -> None:
    admin, wid = _new_country(world)
    page = admin.get(f"/w/{wid}/setup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    r = admin.post(f"/w/{wid}/setup/org-units", data={"csrf_token": token.group(1)},
                   files={"file": ("meta.json", _big_metadata(3 * MB), "application/json")},
                   headers={"X-CSRF-Token": ""})
    assert r.status_code == 200, r.text[:300]
    assert "3 org units imported" in r.text


@pytest.mark.parametrize("path", ["/api/workspaces/{w}/org-units",
                                  "/api/workspaces/{w}/populations",
                                  "/w/{w}/setup/org-units", "/w/{w}/setup/populations"])
@pytest.mark.parametrize("who", [None, "viewer", "editor", "district"])
def test_others_are_refused_before_the_body_is_read(world: World, spool, path: str,  # noqa: F811
                                                    who: str | None) -> None:
    if who == "district":  # an owner, but of one district only: not a national owner
        from mmsis.web import db as dbm
        from mmsis.web import services
        from mmsis.web.models import User, Workspace

        with dbm.session_scope(world.app.state.sessions) as db:  # type: ignore[attr-defined]
            user = db.query(User).filter_by(email=world.emails["district"]).one()
            ws = db.get(Workspace, world.workspace_id)
            services.set_member(db, None, ws, user, "owner", "D1")
    c = world.client(who)
    body = Body(150 * MB)
    r = c.post(path.format(w=world.workspace_id), content=iter(body),
               headers=_headers(150 * MB), follow_redirects=False)
    assert r.status_code in ((401, 303) if who is None else (403,)), r.status_code
    assert body.sent < 4 * MB  # at most a chunk or two pulled
    assert _files(spool) == []


def test_over_the_metadata_cap_is_413(world: World, spool, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from mmsis.web import onboarding

    monkeypatch.setattr(onboarding, "MAX_METADATA_BYTES", 3 * MB)
    admin, wid = _new_country(world)
    r = admin.post(f"/api/workspaces/{wid}/org-units",
                   files={"file": ("meta.json", _big_metadata(5 * MB), "application/json")})
    assert r.status_code == 413, r.text[:300]
    assert _files(spool) == []
