"""Limits before work: bodies capped before parsing, the user checked before an upload is read."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmsis.web import limits

GIB = 1024**3
BOUNDARY = "mmsisboundary"


class Body:
    """A lazily generated multipart body that records how many bytes the server pulled."""

    def __init__(self, size: int, prefix: bytes = b"") -> None:
        self.size = size
        self.sent = 0
        head = (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ndhis2\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        self.head = head + prefix

    def __iter__(self) -> Iterator[bytes]:
        chunk = b"x" * (1 << 20)
        yield self.head
        self.sent += len(self.head)
        while self.sent < self.size:
            part = chunk[: self.size - self.sent]
            self.sent += len(part)
            yield part


def _headers(size: int | None) -> dict[str, str]:
    h = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if size is not None:
        h["Content-Length"] = str(size)
    return h


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every temp file and upload directory goes under one empty directory we can inspect."""
    root = tmp_path / "spool"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("MMSIS_UPLOAD_DIR", str(root))
    return root


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("path", ["/api/workspaces/{w}/uploads", "/w/{w}/uploads"])
def test_anonymous_gigabyte_upload_is_refused_before_the_body_is_read(world, spool, path) -> None:  # type: ignore[no-untyped-def]
    c = world.client()
    body = Body(GIB)
    r = c.post(
        path.format(w=world.workspace_id),
        content=iter(body),
        headers=_headers(GIB),
        follow_redirects=False,
    )
    assert r.status_code in (401, 303)
    assert body.sent < 4 * 1024 * 1024  # at most a chunk or two pulled, never the gigabyte
    assert _files(spool) == []


def test_viewer_upload_is_refused_before_the_body_is_read(world, spool) -> None:  # type: ignore[no-untyped-def]
    c = world.client("viewer")
    body = Body(200 * 1024 * 1024)
    r = c.post(
        f"/api/workspaces/{world.workspace_id}/uploads",
        content=iter(body),
        headers=_headers(body.size),
    )
    assert r.status_code == 403
    assert body.sent < 4 * 1024 * 1024
    assert _files(spool) == []


def test_ordinary_routes_refuse_a_large_declared_body_up_front(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("admin")
    size = limits.SMALL_BODY_BYTES + 1
    body = Body(size)
    r = c.post("/api/workspaces", content=iter(body), headers={
        "Content-Type": "application/json", "Content-Length": str(size)})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 413
    assert body.sent <= len(body.head) + (1 << 20)


def test_ordinary_routes_count_a_streamed_body_without_length(world) -> None:  # type: ignore[no-untyped-def]
    c = world.client("admin")
    body = Body(8 * 1024 * 1024)
    r = c.post("/api/workspaces", content=iter(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["title"] == "Too large"
    # an evidence upload has its own, smaller cap even for an editor
    ed = world.client("editor")
    ev = Body(7 * 1024 * 1024)
    r = ed.post(
        f"/api/workspaces/{world.workspace_id}/key-results/KR-X/evidence",
        content=iter(ev),
        headers=_headers(None),
    )
    assert r.status_code == 413, r.text


def _declare_elements(world, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Data elements come in with the metadata: declare these in the workspace's store."""
    import pandas as pd

    from mmsis.web import db as dbm
    from mmsis.web import programme
    from mmsis.web.models import Workspace

    with dbm.session_scope(world.app.state.sessions) as db:
        ws = db.get(Workspace, world.workspace_id)
        frame = pd.DataFrame({"id": ids, "aggregation_type": "SUM"})
        assert programme.store_metadata(db, ws, {"data_elements": frame}).ok


def test_editor_upload_larger_than_the_small_cap_streams_to_the_workspace_dir(world, spool) -> None:  # type: ignore[no-untyped-def]
    rows = ["dataElement,period,orgUnit,value"]
    rows += [
        f"ELEMENT{i % 400},{2000 + i // 4800}{1 + (i // 400) % 12:02d},F1,{i}"
        for i in range(90_000)
    ]
    text = ("\n".join(rows) + "\n").encode()
    assert len(text) > limits.SMALL_BODY_BYTES
    _declare_elements(world, [f"ELEMENT{i}" for i in range(400)])
    c = world.client("editor")
    r = c.post(
        f"/api/workspaces/{world.workspace_id}/uploads",
        data={"kind": "dhis2"},
        files={"file": ("big.csv", text, "text/csv")},
    )
    assert r.status_code == 201, r.text[:500]
    assert r.json()["rows_imported"] == 90_000
    from mmsis.web import db as dbm
    from mmsis.web.models import Workspace

    with dbm.session_scope(world.app.state.sessions) as db:
        where = limits.upload_dir(db.get(Workspace, world.workspace_id))
    assert where.is_dir() and _files(where) == []  # saved there, deleted once imported
    assert _files(spool) == []


def test_editor_upload_over_the_configured_cap_is_413_and_leaves_no_file(world, spool) -> None:  # type: ignore[no-untyped-def]
    world.app.state.max_upload_bytes = 1_000_000  # as MMSIS_MAX_UPLOAD_BYTES=1000000 would
    c = world.client("editor")
    body = Body(3_000_000)
    r = c.post(
        f"/api/workspaces/{world.workspace_id}/uploads",
        content=iter(body),
        headers=_headers(None),
    )
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _files(spool) == []
    assert c.get(f"/api/workspaces/{world.workspace_id}/uploads").json() == []


def test_upload_cap_setting_is_validated(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MMSIS_MAX_UPLOAD_BYTES", "600000000")
    assert limits.max_upload_bytes() == 600_000_000
    monkeypatch.delenv("MMSIS_MAX_UPLOAD_BYTES")
    assert limits.max_upload_bytes() == limits.DEFAULT_MAX_UPLOAD_BYTES == GIB
    monkeypatch.setenv("MMSIS_MAX_UPLOAD_BYTES", "lots")
    with pytest.raises(ValueError, match="MMSIS_MAX_UPLOAD_BYTES"):
        limits.max_upload_bytes()
