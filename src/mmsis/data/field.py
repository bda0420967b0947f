"""Field submissions back in: ODK Central and KoboToolbox exports and API pulls, into the store.

The forms mmsis writes (mmsis.plan.forms) are filled in ODK Collect or KoboToolbox; their
submissions come back as

- an ODK Central CSV export (groups joined by `-`: `main-aim_group-aim_1`; `KEY` or
  `meta-instanceID` the submission id, `FormVersion`, `SubmissionDate`), or its OData JSON
  (`/v1/projects/{p}/forms/{f}.svc/Submissions`: groups as nested objects, `__id`,
  `__system.formVersion`, `__system.submissionDate`);
- a KoboToolbox CSV or XLSX export (groups joined by `/`, `_uuid` the submission id,
  `__version__`, `_submission_time`; `;` or `,` separated), or its v2 API JSON
  (`/api/v2/assets/{uid}/data/`: the same keys as the export, one object per submission).

Each becomes one table: `submission_id`, `form_id`, `form_version`, `submitted_at` and one
column per form field, named by the field's own name (the last part of its group path).
Saving is all-or-nothing and idempotent by (form, submission id): a re-import replaces
submissions it already has and adds new ones.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mmsis.data import textio
from mmsis.errors import InputError

MAX_BYTES = 200 * 1024 * 1024
MAX_JSON_DEPTH = 32
META = ("submission_id", "form_id", "form_version", "submitted_at")
_ODK_SYSTEM = {
    "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
    "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
    "meta-instanceID", "meta-instanceName", "meta-audit",
}
_LIKERT_PREFIXES = ("aim_", "iam_", "fim_")


@dataclass(frozen=True)
class Submissions:
    """Submissions of one form from one export or pull, with where they came from."""

    form_id: str
    source: str
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)


def _leaf(column: str, separator: str) -> str:
    """A field's own name from its group path (`main-aim_group-aim_1` -> `aim_1`)."""
    return column.rsplit(separator, 1)[-1]


def _decode(raw: bytes, file: str, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM, or the user's ``encoding``; anything
    else refused naming the encoding it looks like (mmsis.data.textio)."""
    return textio.decode(raw, encoding, file)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    if not path.is_file():
        raise InputError("not a file", file=str(path))
    if size > MAX_BYTES:
        raise InputError(f"larger than {MAX_BYTES // 2**20} MB", file=str(path))
    return path.read_bytes()


def _flatten(record: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested OData groups as one level of `group-field` keys (repeats are not expanded)."""
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"submission nested deeper than {MAX_JSON_DEPTH} groups")
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}-{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, name, depth + 1))
        elif not isinstance(value, list):
            out[name] = value
    return out


def _table(rows: pd.DataFrame, form_id: str, kind: str, file: str) -> pd.DataFrame:
    """The common table from an ODK (`-`) or Kobo (`/`) frame of text cells."""
    if kind == "odk":
        ids = rows.get("KEY", rows.get("meta-instanceID", rows.get("__id")))
        version = rows.get("FormVersion", rows.get("__system-formVersion"))
        when = rows.get("SubmissionDate", rows.get("__system-submissionDate"))
        drop = _ODK_SYSTEM | {c for c in rows.columns if c.startswith(("__system", "__id"))}
        sep = "-"
    else:
        ids = rows.get("_uuid", rows.get("meta/instanceID"))
        version = rows.get("__version__")
        when = rows.get("_submission_time")
        drop = {c for c in rows.columns if c.startswith("_") or c.startswith("meta/")}
        sep = "/"
    if ids is None:
        raise InputError("no submission id column (ODK: KEY or meta-instanceID; "
                         "Kobo: _uuid)", file=file)
    fields = [c for c in rows.columns if c not in drop]
    leaves = [_leaf(c, sep) for c in fields]
    seen: dict[str, str] = {}
    for col, leaf in zip(fields, leaves, strict=True):
        if leaf in seen:
            raise InputError(f"two fields are named {leaf!r} ({seen[leaf]} and {col})",
                             file=file, column=col)
        seen[leaf] = col
    out = pd.DataFrame({
        "submission_id": ids.astype(str).str.strip(),
        "form_id": form_id,
        "form_version": (version.astype(str) if version is not None else ""),
        "submitted_at": (when.astype(str) if when is not None else ""),
    })
    body = rows[fields].set_axis(leaves, axis=1)
    out = pd.concat([out.reset_index(drop=True), body.reset_index(drop=True)], axis=1)
    out = out.fillna("")
    empty = out.index[out["submission_id"].isin(["", "nan", "None"])]
    if len(empty):
        raise InputError("a submission has no id", file=file, row=int(empty[0]) + 1,
                         column=str(ids.name))
    dup = out.index[out["submission_id"].duplicated()]
    if len(dup):
        raise InputError(f"submission {out.loc[dup[0], 'submission_id']} appears twice",
                         file=file, row=int(dup[0]) + 1, column=str(ids.name))
    _check_values(out, {leaf: col for leaf, col in seen.items()}, file)
    return out


def _check_values(table: pd.DataFrame, columns: Mapping[str, str], file: str) -> None:
    """Likert items are 1-5 and counts whole numbers >= 0; the first bad cell is refused."""
    for leaf, col in columns.items():
        if leaf.startswith(_LIKERT_PREFIXES) and leaf.split("_")[-1].isdigit():
            allowed = {"", "1", "2", "3", "4", "5"}
            bad = ~table[leaf].astype(str).str.strip().isin(allowed)
            what = "an answer 1-5"
        elif leaf.startswith("tabs_"):
            text = table[leaf].astype(str).str.strip()
            number = pd.to_numeric(text, errors="coerce")
            bad = (text != "") & ~(number.notna() & (number >= 0) & (number % 1 == 0)
                                   & (number <= textio.MAX_DATA_VALUE))
            what = f"a whole number of tablets from 0 to {textio.MAX_DATA_VALUE:,.0f}"
        else:
            continue
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"{table[leaf].iloc[i]!r} is not {what}", file=file, row=i + 1,
                             column=col)


def _kind(columns: Iterable[str]) -> str:
    cols = set(columns)
    if cols & {"KEY", "meta-instanceID", "SubmissionDate", "__id"}:
        return "odk"
    if cols & {"_uuid", "_id", "_submission_time", "__version__"}:
        return "kobo"
    raise InputError("neither an ODK Central export (KEY, SubmissionDate) nor a KoboToolbox "
                     "export (_uuid, _submission_time)")


def read_export(path: str | Path, form_id: str, encoding: str | None = None) -> Submissions:
    """Read an ODK Central or KoboToolbox export (CSV, or Kobo XLSX) of one form's submissions
    (text decoded as mmsis.data.textio says, or with ``encoding``; JSON nesting bounded)."""
    p = Path(path)
    raw = _read_bytes(p)
    if p.suffix.lower() == ".xlsx":
        try:
            rows = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})",
                             file=str(p)) from None
    elif p.suffix.lower() == ".json":
        data = textio.loads_json(_decode(raw, str(p), encoding), str(p), MAX_JSON_DEPTH + 4)
        return read_json(data, form_id, source=str(p))
    else:
        text = _decode(raw, str(p), encoding)
        first = text.split("\n", 1)[0]
        sep = ";" if first.count(";") > first.count(",") else ","
        try:
            rows = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
        except (pd.errors.ParserError, csv.Error) as exc:
            raise InputError(f"not a readable CSV: {str(exc).splitlines()[0]}",
                             file=str(p)) from None
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty", file=str(p)) from None
    try:
        kind = _kind(rows.columns)
    except InputError as exc:
        raise InputError(str(exc), file=str(p)) from None
    return Submissions(form_id, f"{kind} export {p.name}", _table(rows, form_id, kind, str(p)))


def read_json(data: Any, form_id: str, source: str = "api") -> Submissions:
    """Submissions from ODK Central's OData JSON (`value`) or Kobo's v2 API JSON (`results`)."""
    if isinstance(data, Mapping) and isinstance(data.get("value"), list):
        records, kind = data["value"], "odk"
    elif isinstance(data, Mapping) and isinstance(data.get("results"), list):
        records, kind = data["results"], "kobo"
    elif isinstance(data, list):
        records, kind = data, "kobo" if data and "_uuid" in data[0] else "odk"
    else:
        raise InputError("expected ODK Central OData ({'value': [...]}) or Kobo API JSON "
                         "({'results': [...]})", file=source)
    if not all(isinstance(r, Mapping) for r in records):
        raise InputError("every submission must be a JSON object", file=source)
    flat = [_flatten(r) if kind == "odk" else {str(k): v for k, v in r.items()
                                                if not isinstance(v, list | Mapping)}
            for r in records]
    rows = pd.DataFrame(flat).astype(object)
    rows = rows.where(rows.notna(), "").map(
        lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
        else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
    if rows.empty:
        rows = pd.DataFrame(columns=["__id"] if kind == "odk" else ["_uuid"])
    return Submissions(form_id, f"{kind} {source}", _table(rows, form_id, kind, source))


def save_submissions(store: Any, subs: Submissions) -> dict[str, int]:
    """Write submissions to the store's `field_submissions` table, all or nothing.

    Idempotent by (form, submission id): a submission already there is replaced (an edited
    submission comes back with the same id), a new one added. Returns counts.
    """
    con = store.con
    con.execute("""CREATE TABLE IF NOT EXISTS field_submissions (
        form_id VARCHAR NOT NULL, submission_id VARCHAR NOT NULL, form_version VARCHAR,
        submitted_at VARCHAR, source VARCHAR, data JSON NOT NULL,
        PRIMARY KEY (form_id, submission_id))""")
    frame = subs.frame
    fields = [c for c in frame.columns if c not in META]
    records = pd.DataFrame({
        "form_id": subs.form_id,
        "submission_id": frame["submission_id"],
        "form_version": frame["form_version"],
        "submitted_at": frame["submitted_at"],
        "source": subs.source,
        "data": [json.dumps(r, ensure_ascii=False) for r in frame[fields].to_dict("records")],
    })
    before = con.execute("SELECT count(*) FROM field_submissions WHERE form_id = ?",
                         [subs.form_id]).fetchone()
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_field_new", records)
        con.execute("INSERT OR REPLACE INTO field_submissions SELECT form_id, submission_id, "
                    "form_version, submitted_at, source, data FROM _field_new")
        con.unregister("_field_new")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    after = con.execute("SELECT count(*) FROM field_submissions WHERE form_id = ?",
                        [subs.form_id]).fetchone()
    n_before = int(before[0]) if before else 0
    n_after = int(after[0]) if after else 0
    return {"read": len(frame), "added": n_after - n_before,
            "replaced": len(frame) - (n_after - n_before), "total": n_after}


def load_submissions(store: Any, form_id: str) -> pd.DataFrame:
    """Every stored submission of a form, one column per field (text, as collected)."""
    con = store.con
    has = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'field_submissions'").fetchone()
    if not has or not has[0]:
        return pd.DataFrame(columns=list(META))
    rows = con.execute("SELECT submission_id, form_id, form_version, submitted_at, data "
                       "FROM field_submissions WHERE form_id = ? ORDER BY submission_id",
                       [form_id]).fetchall()
    meta = pd.DataFrame([r[:4] for r in rows], columns=list(META))
    body = pd.DataFrame([json.loads(r[4]) for r in rows])
    return pd.concat([meta, body], axis=1)
