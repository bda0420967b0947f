"""A change is committed before its response leaves: the next request sees it.

FastAPI runs the exit code of a request-scoped ``yield`` dependency after the response is sent,
so a commit there let a client follow the redirect (or call /api/me after logging in) before
the write was visible, and a failed commit after "201 imported" would have been a lost write.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event
from sqlalchemy.orm import Session

from mmsis.web import deps
from mmsis.web.app import iter_routes

World = Any  # tests/web/conftest.py's World (fixtures are not imported)


def _db_scopes(dep: Any, out: list[str | None]) -> list[str | None]:
    if dep.call is deps.get_db:
        out.append(dep.scope)
    for sub in dep.dependencies:
        _db_scopes(sub, out)
    return out


def test_every_route_commits_inside_the_handler(world: World) -> None:
    scopes = {r.path: _db_scopes(r.dependant, []) for r in iter_routes(world.app.routes)}  # type: ignore[attr-defined]
    late = {p: s for p, s in scopes.items() if any(x != "function" for x in s)}
    assert not late, f"routes whose database session is committed after the response: {late}"
    assert sum(bool(s) for s in scopes.values()) > 30  # the walk really found the sessions


@pytest.fixture
def live(world: World) -> Any:
    """The world's app on a real loopback server (the test client hides the ordering)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(world.app, port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_saved_key_result_is_visible_to_the_redirected_page(world: World, live: str) -> None:
    slow = threading.Event()

    @event.listens_for(Session, "before_commit")
    def _slow_commit(session: Session) -> None:  # a busy disk: the commit takes a while
        if slow.is_set():
            time.sleep(0.4)

    try:
        with httpx.Client(base_url=live, follow_redirects=True, timeout=30) as c:
            page = c.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            slow.set()
            c.post(
                "/login",
                data={
                    "email": world.emails["editor"],
                    "password": world.password,
                    "csrf_token": token.group(1),
                    "next": "/",
                },
            )
            me = c.get("/api/me")
            assert me.status_code == 200, me.text  # the new session is already stored
            form = c.get(f"/w/{world.workspace_id}/key-results").text
            kr = re.search(r'action="/w/\d+/key-results/([^"/]+)"', form)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert kr and csrf
            r = c.post(
                f"/w/{world.workspace_id}/key-results/{kr.group(1)}",
                data={"status": "partly", "note": "seen at once", "csrf_token": csrf.group(1)},
            )
            assert r.status_code == 200
            assert "seen at once" in r.text  # the page after the redirect shows the saved note
    finally:
        event.remove(Session, "before_commit", _slow_commit)
