"""Request-size limits and streamed uploads: bodies are counted before any parsing.

Every request body gets a small budget (`SMALL_BODY_BYTES`); the data, evidence, org-unit and
population upload routes raise it only after the user has been authenticated and authorised
(`deps.upload_access`), and then stream
the file part straight to a temporary file in the workspace's upload directory, so an
anonymous or unauthorised client never gets more than a small body read.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

SMALL_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
MAX_FORM_FIELDS = 20
MAX_FIELD_BYTES = 64 * 1024
BUDGET_KEY = "mmsis.body_budget"


def max_upload_bytes() -> int:
    """The data-upload cap in bytes: MMSIS_MAX_UPLOAD_BYTES (default 1 GiB)."""
    raw = os.environ.get("MMSIS_MAX_UPLOAD_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_UPLOAD_BYTES
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"MMSIS_MAX_UPLOAD_BYTES must be a number of bytes, not {raw!r}") from exc
    if value <= 0:
        raise ValueError("MMSIS_MAX_UPLOAD_BYTES must be positive")
    return value


class BodyTooLarge(HTTPException):
    """The request body passed its budget (answered 413 as a problem document)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {human_bytes(limit)}")


def human_bytes(n: int) -> str:
    """1.5 MB, 1 GB: a byte count for messages."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


@dataclass
class BodyBudget:
    """One request's body budget: `limit` now, at most `ceiling` once the route raises it."""

    limit: int
    ceiling: int
    received: int = 0

    def count(self, n: int) -> None:
        """Add n received bytes; BodyTooLarge once past the limit."""
        self.received += n
        if self.received > self.limit:
            raise BodyTooLarge(self.limit)


def raise_body_limit(request: Request, limit: int) -> None:
    """Let this request's body grow to `limit` bytes (never beyond the middleware's ceiling)."""
    budget: BodyBudget | None = request.scope.get(BUDGET_KEY)
    if budget is not None:
        budget.limit = max(budget.limit, min(limit, budget.ceiling))
        if budget.received > budget.limit:
            raise BodyTooLarge(budget.limit)


def upload_dir(workspace: Any) -> Path:
    """The workspace's own directory for files being uploaded (created on first use).

    Next to the workspace's DuckDB store when it has one, else under MMSIS_UPLOAD_DIR
    (default: the system temp directory); never a path taken from the request.
    """
    if getattr(workspace, "store_path", None):
        store = Path(workspace.store_path)
        base = store.parent / f"{store.stem}.uploads"
    else:
        root = Path(os.environ.get("MMSIS_UPLOAD_DIR") or tempfile.gettempdir())
        base = root / "mmsis-uploads" / f"workspace-{int(workspace.id)}"
    base.mkdir(parents=True, exist_ok=True)
    return base


@dataclass
class ReceivedFile:
    """A file part saved to disk: the client's file name, where it is, and its size."""

    filename: str
    path: Path
    size: int

    def discard(self) -> None:
        """Delete the saved file (once imported or refused)."""
        self.path.unlink(missing_ok=True)

    def read_bytes(self) -> bytes:
        """The saved content."""
        return self.path.read_bytes()

    async def take_bytes(self) -> bytes:
        """The saved content read in a worker thread, the file deleted whatever happens (for
        routes that take a small file whole: evidence, org units, populations)."""
        from starlette.concurrency import run_in_threadpool

        try:
            return await run_in_threadpool(self.read_bytes)
        finally:
            self.discard()


@dataclass
class ReceivedForm:
    """A multipart form received under a budget: its text fields and at most one file."""

    fields: dict[str, str] = field(default_factory=dict)
    file: ReceivedFile | None = None

    def discard(self) -> None:
        """Delete the saved file, if any."""
        if self.file is not None:
            self.file.discard()


class FormRefused(Exception):
    """The form is not a well-formed multipart upload (400 with this message)."""


async def receive_form(request: Request, directory: Path, file_field: str = "file") -> ReceivedForm:
    """Stream a multipart body: small text fields kept, the one file part written to directory.

    Counts against the request's body budget (the middleware); at most MAX_FORM_FIELDS
    text fields of MAX_FIELD_BYTES each and one file. The caller discards the file.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise FormRefused("send the file as multipart/form-data")
    form = ReceivedForm()
    state: dict[str, Any] = {"headers": {}, "name": b"", "value": b"", "part": None}
    handle: list[Any] = []

    def on_part_begin() -> None:
        state["headers"] = {}
        state["part"] = None

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["name"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["name"].lower()] = state["value"]
        state["name"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disp:
            if name != file_field or form.file is not None:
                raise FormRefused(f"send exactly one file, in the field '{file_field}'")
            filename = disp[b"filename"].decode("utf-8", "replace")
            fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=directory)
            handle.append(os.fdopen(fd, "wb"))
            form.file = ReceivedFile(filename=filename, path=Path(tmp), size=0)
            state["part"] = ("file", name)
        else:
            if len(form.fields) >= MAX_FORM_FIELDS:
                raise FormRefused(f"the form has more than {MAX_FORM_FIELDS} fields")
            state["part"] = ("field", name)
            state["data"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        kind = state["part"][0] if state["part"] else None
        if kind == "file":
            handle[-1].write(data[start:end])
            assert form.file is not None
            form.file.size += end - start
        elif kind == "field":
            state["data"] += data[start:end]
            if len(state["data"]) > MAX_FIELD_BYTES:
                raise FormRefused(f"a form field is longer than {MAX_FIELD_BYTES // 1024} KB")

    def on_part_end() -> None:
        part = state["part"]
        if part and part[0] == "field":
            form.fields[part[1]] = bytes(state["data"]).decode("utf-8", "replace")
        elif part and part[0] == "file":
            handle[-1].close()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException as exc:
        for fh in handle:
            fh.close()
        form.discard()
        if isinstance(exc, FormRefused):
            raise
        if isinstance(exc, Exception) and not isinstance(exc, HTTPException):
            raise FormRefused("the multipart body is malformed") from exc
        raise
    for fh in handle:
        fh.close()
    return form
