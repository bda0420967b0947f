"""Upload parsers: check a whole file and report every refused row before anything is written."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmsis.data import textio
from mmsis.errors import InputError
from mmsis.web import scope as scopes
from mmsis.web.limits import human_bytes, max_upload_bytes

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_REFUSALS_KEPT = 500
DATA_KINDS = {"dhis2": {".csv", ".json"}, "survey": {".csv"}}
EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
SURVEY_REQUIRED = ("caseid", "v001", "v005", "v021", "v022")
_SURVEY_INT = {"v001", "v002", "v005", "v021", "v022", "v023", "v024", "v025", "v190"}


@dataclass
class RowRefusal:
    """One refused row: 1-based data row (header excluded), the column and why."""

    row: int | None
    column: str | None
    message: str


@dataclass
class Parsed:
    """The result of checking an upload: clean rows, or the refusals that block the import."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    refused: list[RowRefusal] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was refused (then and only then the rows are imported)."""
        return not self.refused


class UploadRefused(Exception):
    """The file as a whole is unacceptable (size, type, encoding, structure)."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


def extension(filename: str) -> str:
    """Lower-case extension with its dot ('' when none)."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_data_file(
    kind: str, filename: str, content: bytes | Path, max_bytes: int | None = None
) -> str:
    """Check kind, extension, size and encoding of a data upload (bytes or a saved file)."""
    if kind not in DATA_KINDS:
        raise UploadRefused(f"unknown upload kind '{kind}' (use one of {sorted(DATA_KINDS)})")
    ext = extension(filename)
    if ext not in DATA_KINDS[kind]:
        allowed = ", ".join(sorted(DATA_KINDS[kind]))
        raise UploadRefused(
            f"a {kind} upload must be a {allowed} file, not '{ext or filename}'", 415
        )
    cap = max_bytes if max_bytes is not None else max_upload_bytes()
    size = content.stat().st_size if isinstance(content, Path) else len(content)
    if size > cap:
        raise UploadRefused(f"the file is larger than {human_bytes(cap)}", 413)
    data = content.read_bytes() if isinstance(content, Path) else content
    if not data.strip():
        raise UploadRefused("the file is empty")
    try:
        text = textio.decode(data)
    except InputError as exc:
        raise UploadRefused(exc.message, 415) from exc
    if "\x00" in text:
        raise UploadRefused("the file is binary, not text", 415)
    return text


def check_evidence_file(filename: str, content: bytes) -> str:
    """Check an evidence attachment's type and size; return its content type."""
    ext = extension(filename)
    if ext not in EVIDENCE_TYPES:
        allowed = ", ".join(sorted(EVIDENCE_TYPES))
        raise UploadRefused(f"evidence must be one of {allowed}, not '{ext or filename}'", 415)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise UploadRefused(
            f"evidence files are limited to {MAX_EVIDENCE_BYTES // 1024 // 1024} MB", 413
        )
    if not content:
        raise UploadRefused("the file is empty")
    return EVIDENCE_TYPES[ext]


def _number(text: Any) -> float | None:
    """A finite number from text, or None."""
    if text is None or isinstance(text, bool):
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_survey(
    text: str, district_paths: Mapping[str, str] | None = None, scope_path: str | None = None
) -> Parsed:
    """Check a DHS-style survey CSV: required design columns, integer codes, unique case ids."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in SURVEY_REQUIRED if c not in header]
    if missing:
        raise UploadRefused(f"the survey header lacks the column(s) {', '.join(missing)}")
    reader.fieldnames = header
    records = list(reader)
    out = Parsed(total=len(records))
    seen: dict[str, int] = {}
    for i, rec in enumerate(records, start=1):
        errors: list[RowRefusal] = []
        if None in rec:
            errors.append(RowRefusal(i, None, "the row has more fields than the header"))
        caseid = str(rec.get("caseid") or "").strip()
        if not caseid:
            errors.append(RowRefusal(i, "caseid", "the case id is empty"))
        elif caseid in seen:
            errors.append(RowRefusal(i, "caseid", f"duplicate case id of row {seen[caseid]}"))
        clean: dict[str, Any] = {}
        for col in header:
            raw = rec.get(col)
            raw = raw.strip() if isinstance(raw, str) else raw
            if col in _SURVEY_INT and (raw not in (None, "") or col in SURVEY_REQUIRED):
                num = _number(raw)
                if num is None or num != int(num):
                    errors.append(RowRefusal(i, col, f"'{raw}' is not a whole number"))
                    continue
                if col == "v005" and num <= 0:
                    errors.append(RowRefusal(i, col, "the sampling weight must be positive"))
                    continue
                clean[col] = int(num)
            else:
                clean[col] = raw if raw not in ("",) else None
        district = clean.get("district_id")
        if district_paths is not None and district:
            path = district_paths.get(str(district))
            if path is None:
                errors.append(RowRefusal(i, "district_id", f"'{district}' is not a district here"))
            elif not scopes.contains(scope_path, path):
                errors.append(
                    RowRefusal(i, "district_id",
                               f"'{district}' is outside your part of the hierarchy")
                )
        if errors:
            out.refused.extend(errors)
            continue
        seen[caseid] = i
        out.rows.append(clean)
    if not records:
        out.refused.append(RowRefusal(None, None, "the file holds no rows"))
    return out


def refusals_as_dicts(refused: Iterable[RowRefusal]) -> list[dict[str, Any]]:
    """Refusals as JSON-ready dicts (the first MAX_REFUSALS_KEPT)."""
    return [
        {"row": r.row, "column": r.column, "message": r.message}
        for r, _ in zip(refused, range(MAX_REFUSALS_KEPT), strict=False)
    ]
