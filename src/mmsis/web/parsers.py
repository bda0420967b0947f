"""Upload parsers: check a whole file and report every refused row before anything is written."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mmsis.web import scope as scopes

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
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
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,50}$")
_PERIOD = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
SURVEY_REQUIRED = ("caseid", "v001", "v005", "v021", "v022")
_SURVEY_INT = {"v001", "v002", "v005", "v021", "v022", "v023", "v024", "v025", "v190"}


@dataclass
class Refusal:
    """One refused row: 1-based data row (header excluded), the column and why."""

    row: int | None
    column: str | None
    message: str


@dataclass
class Parsed:
    """The result of checking an upload: clean rows, or the refusals that block the import."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
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


def check_data_file(kind: str, filename: str, content: bytes) -> str:
    """Check kind, extension, size and encoding of a data upload; return its text."""
    if kind not in DATA_KINDS:
        raise UploadRefused(f"unknown upload kind '{kind}' (use one of {sorted(DATA_KINDS)})")
    ext = extension(filename)
    if ext not in DATA_KINDS[kind]:
        allowed = ", ".join(sorted(DATA_KINDS[kind]))
        raise UploadRefused(
            f"a {kind} upload must be a {allowed} file, not '{ext or filename}'", 415
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"the file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB", 413)
    if not content.strip():
        raise UploadRefused("the file is empty")
    if b"\x00" in content:
        raise UploadRefused("the file is binary, not text", 415)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused(f"the file is not UTF-8 text (byte {exc.start})", 415) from exc


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


def _dhis2_records(text: str, ext: str) -> list[Mapping[str, Any]]:
    """Records of a DHIS2 dataValueSets JSON or CSV export."""
    if ext == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UploadRefused(f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        values = doc.get("dataValues") if isinstance(doc, dict) else None
        if not isinstance(values, list):
            raise UploadRefused('a DHIS2 JSON file must hold {"dataValues": [...]}')
        return [v if isinstance(v, dict) else {} for v in values]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("dataElement", "period", "orgUnit", "value") if c not in header]
    if missing:
        raise UploadRefused(f"the CSV header lacks the column(s) {', '.join(missing)}")
    reader.fieldnames = header
    return list(reader)


def parse_dhis2(
    text: str,
    ext: str,
    org_units: Mapping[str, str],
    scope_path: str | None = None,
) -> Parsed:
    """Check DHIS2 data values against the org units (id -> path) and the user's scope."""
    records = _dhis2_records(text, ext)
    out = Parsed(total=len(records))
    seen: dict[tuple[str, str, str, str, str], int] = {}
    for i, rec in enumerate(records, start=1):
        errors: list[Refusal] = []
        de = str(rec.get("dataElement") or "").strip()
        pe = str(rec.get("period") or "").strip()
        ou = str(rec.get("orgUnit") or "").strip()
        coc = str(rec.get("categoryOptionCombo") or "").strip()
        aoc = str(rec.get("attributeOptionCombo") or "").strip()
        if not _ID.match(de):
            errors.append(Refusal(i, "dataElement", f"'{de}' is not a data element id"))
        if not _PERIOD.match(pe):
            errors.append(Refusal(i, "period", f"'{pe}' is not a monthly period YYYYMM"))
        path = org_units.get(ou)
        if path is None:
            errors.append(Refusal(i, "orgUnit", f"'{ou}' is not an org unit of this workspace"))
        elif not scopes.contains(scope_path, path):
            errors.append(Refusal(i, "orgUnit", f"'{ou}' is outside your part of the hierarchy"))
        value = _number(rec.get("value"))
        if value is None:
            errors.append(Refusal(i, "value", f"'{rec.get('value')}' is not a number"))
        elif value < 0:
            errors.append(Refusal(i, "value", f"{rec.get('value')} is negative"))
        key = (de, pe, ou, coc, aoc)
        if not errors and key in seen:
            errors.append(
                Refusal(
                    i,
                    "dataElement",
                    f"duplicate of row {seen[key]} (same element, period, org unit)",
                )
            )
        if errors:
            out.refused.extend(errors)
            continue
        seen[key] = i
        out.rows.append(
            {
                "data_element": de,
                "period": pe,
                "org_unit": ou,
                "org_unit_path": path,
                "value": value,
            }
        )
    if not records:
        out.refused.append(Refusal(None, None, "the file holds no data values"))
    return out


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
        errors: list[Refusal] = []
        if None in rec:
            errors.append(Refusal(i, None, "the row has more fields than the header"))
        caseid = str(rec.get("caseid") or "").strip()
        if not caseid:
            errors.append(Refusal(i, "caseid", "the case id is empty"))
        elif caseid in seen:
            errors.append(Refusal(i, "caseid", f"duplicate case id of row {seen[caseid]}"))
        clean: dict[str, Any] = {}
        for col in header:
            raw = rec.get(col)
            raw = raw.strip() if isinstance(raw, str) else raw
            if col in _SURVEY_INT and (raw not in (None, "") or col in SURVEY_REQUIRED):
                num = _number(raw)
                if num is None or num != int(num):
                    errors.append(Refusal(i, col, f"'{raw}' is not a whole number"))
                    continue
                if col == "v005" and num <= 0:
                    errors.append(Refusal(i, col, "the sampling weight must be positive"))
                    continue
                clean[col] = int(num)
            else:
                clean[col] = raw if raw not in ("",) else None
        district = clean.get("district_id")
        if district_paths is not None and district:
            path = district_paths.get(str(district))
            if path is None:
                errors.append(Refusal(i, "district_id", f"'{district}' is not a district here"))
            elif not scopes.contains(scope_path, path):
                errors.append(
                    Refusal(i, "district_id", f"'{district}' is outside your part of the hierarchy")
                )
        if errors:
            out.refused.extend(errors)
            continue
        seen[caseid] = i
        out.rows.append(clean)
    if not records:
        out.refused.append(Refusal(None, None, "the file holds no rows"))
    return out


def refusals_as_dicts(refused: Iterable[Refusal]) -> list[dict[str, Any]]:
    """Refusals as JSON-ready dicts (the first MAX_REFUSALS_KEPT)."""
    return [
        {"row": r.row, "column": r.column, "message": r.message}
        for r, _ in zip(refused, range(MAX_REFUSALS_KEPT), strict=False)
    ]
