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
Repeat groups (the checklist's observed consultations, the stock card's months) become one
table per repeat, one row per repetition with its submission's id: ODK Central's ZIP export
holds them as `{form}-{repeat}.csv` files (`KEY` = `{instance}/{repeat}[n]`, `PARENT_KEY`),
Kobo's XLSX export as one sheet per repeat (`_submission__uuid`, `_parent_index`), and both
APIs as lists inside the submission (ODK OData with `$expand=*`; Kobo's `group/repeat` key).
Saving is all-or-nothing and idempotent by (form, submission id): a re-import replaces
submissions it already has and adds new ones.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mmsis.data import textio, ziparchive
from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.store import Store

MAX_BYTES = 200 * 1024 * 1024
MAX_JSON_DEPTH = 32
META = ("submission_id", "form_id", "form_version", "submitted_at")
_ODK_SYSTEM = {
    "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
    "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
    "meta-instanceID", "meta-instanceName", "meta-audit",
}
_LIKERT_PREFIXES = ("aim_", "iam_", "fim_")
OBSERVED_ITEMS = ("obs_given", "obs_dose", "obs_duration", "obs_side", "obs_adherence")
"""The fidelity checklist's items per observed consultation (mmsis.plan.forms)."""
_OBSERVED = {"", "done", "not_done", "na"}
_REPEAT_KEY = re.compile(r"([^/\[\]]+)\[(\d+)\]$")
MAX_ZIP_MEMBERS = 200


@dataclass(frozen=True)
class Submissions:
    """Submissions of one form from one export or pull, with where they came from."""

    form_id: str
    source: str
    frame: pd.DataFrame
    repeats: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    """Per repeat group (its own name): `submission_id`, `idx` (1, 2, ...) and its fields."""

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


def _flatten(record: Mapping[str, Any], prefix: str = "", depth: int = 0,
             repeats: dict[str, list[dict[str, Any]]] | None = None,
             sep: str = "-") -> dict[str, Any]:
    """Nested groups as one level of `group-field` keys; lists of objects (repeats, as ODK's
    `$expand=*` and Kobo's API give them) go to ``repeats`` by the repeat's own name, each
    repetition flattened the same way (a nested repeat's rows keep their submission)."""
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"submission nested deeper than {MAX_JSON_DEPTH} groups")
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, name, depth + 1, repeats, sep))
        elif isinstance(value, list):
            if repeats is None or not value or not all(isinstance(v, Mapping) for v in value):
                continue  # Kobo's _attachments, _tags, _notes... or a repeat nobody asked for
            rows = repeats.setdefault(_leaf(str(key), "/"), [])
            for item in value:
                row: dict[str, Any] = {"idx": str(len(rows) + 1)}
                rows.append(row)  # before its own nested repeats, so idx runs in order
                row.update(_flatten(item, "", depth + 1, repeats, sep))
        else:
            out[name] = value
    return out


def _table(rows: pd.DataFrame, form_id: str, kind: str, file: str) -> pd.DataFrame:
    """The common table from an ODK (`-`) or Kobo (`/`) frame of text cells."""
    if kind == "odk":
        ids = rows.get("KEY", rows.get("meta-instanceID", rows.get("__id")))
        version = rows.get("FormVersion", rows.get("__system-formVersion"))
        when = rows.get("SubmissionDate", rows.get("__system-submissionDate"))
        drop = _ODK_SYSTEM | {c for c in rows.columns
                              if c.startswith(("__system", "__id", "SET-OF-"))
                              or c.endswith("@odata.navigationLink")}
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


def _check_values(table: pd.DataFrame, columns: Mapping[str, str], file: str,
                  row_offset: int = 0) -> None:
    """Likert items are 1-5, observed items done/not_done/na and counts whole numbers >= 0;
    the first bad cell is refused."""
    for leaf, col in columns.items():
        if leaf.startswith(_LIKERT_PREFIXES) and leaf.split("_")[-1].isdigit():
            allowed = {"", "1", "2", "3", "4", "5"}
            bad = ~table[leaf].astype(str).str.strip().isin(allowed)
            what = "an answer 1-5"
        elif leaf in OBSERVED_ITEMS:
            bad = ~table[leaf].astype(str).str.strip().isin(_OBSERVED)
            what = "done, not_done or na"
        elif leaf.startswith("tabs_") or leaf == "obs_tabs":
            text = table[leaf].astype(str).str.strip()
            number = pd.to_numeric(text, errors="coerce")
            bad = (text != "") & ~(number.notna() & (number >= 0) & (number % 1 == 0)
                                   & (number <= textio.MAX_DATA_VALUE))
            what = f"a whole number of tablets from 0 to {textio.MAX_DATA_VALUE:,.0f}"
        else:
            continue
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"{table[leaf].iloc[i]!r} is not {what}", file=file,
                             row=i + 1 + row_offset, column=col)


def _kind(columns: Iterable[str]) -> str:
    cols = set(columns)
    if cols & {"KEY", "meta-instanceID", "SubmissionDate", "__id"}:
        return "odk"
    if cols & {"_uuid", "_id", "_submission_time", "__version__"}:
        return "kobo"
    raise InputError("neither an ODK Central export (KEY, SubmissionDate) nor a KoboToolbox "
                     "export (_uuid, _submission_time)")


def _text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """JSON values as the text an export would show (1.0 -> "1", null -> "")."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), "").map(
        lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
        else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))


def _repeat_table(name: str, rows: pd.DataFrame, ids: pd.Series, sep: str,
                  file: str) -> pd.DataFrame:
    """One repeat's rows as `submission_id`, `idx` and its fields by their own names."""
    drop = {c for c in rows.columns if c.startswith("_") or c in (
        "KEY", "PARENT_KEY", "idx") or c.startswith("SET-OF-")
        or c.endswith("@odata.navigationLink")}
    fields = [c for c in rows.columns if c not in drop]
    leaves = [_leaf(c, "/" if "/" in c else sep) for c in fields]
    seen: dict[str, str] = {}
    for col, leaf in zip(fields, leaves, strict=True):
        if leaf in seen:
            raise InputError(f"two fields of repeat {name!r} are named {leaf!r} "
                             f"({seen[leaf]} and {col})", file=file, column=col)
        seen[leaf] = col
    if "idx" in rows:
        idx = rows["idx"].astype(str)
    else:
        idx = ids.groupby(ids.to_numpy()).cumcount().add(1).astype(str)
    out = pd.DataFrame({"submission_id": ids.astype(str).str.strip().to_numpy(),
                        "idx": idx.to_numpy()})
    body = rows[fields].set_axis(leaves, axis=1).reset_index(drop=True)
    out = pd.concat([out, body], axis=1).fillna("")
    empty = out.index[out["submission_id"].isin(["", "nan", "None"])]
    if len(empty):
        raise InputError(f"a row of repeat {name!r} names no submission", file=file,
                         row=int(empty[0]) + 1)
    _check_values(out, seen, f"{file} (repeat {name})")
    return out


def _odk_zip(raw: bytes, form_id: str, file: str, encoding: str | None) -> Submissions:
    """ODK Central's ZIP export: the submissions CSV and one `{form}-{repeat}.csv` per repeat."""
    archive = ziparchive.open_zip(raw, file, max_entries=MAX_ZIP_MEMBERS,
                                  max_unpacked=MAX_BYTES)
    members = [m for m in archive.infolist()
               if m.filename.lower().endswith(".csv") and not m.is_dir()]
    if not members or len(members) > MAX_ZIP_MEMBERS:
        raise InputError(f"expected 1 to {MAX_ZIP_MEMBERS} CSV files in the ZIP", file=file)
    if sum(m.file_size for m in members) > MAX_BYTES:
        raise InputError(f"its CSV files are larger than {MAX_BYTES // 2**20} MB", file=file)
    main: pd.DataFrame | None = None
    repeats: dict[str, pd.DataFrame] = {}
    for m in members:
        where = f"{file}:{m.filename}"
        rows = _read_csv(_decode(ziparchive.read_entry(archive, m, file), where, encoding),
                         where)
        if "PARENT_KEY" not in rows.columns:
            if main is not None:
                raise InputError("two submission tables (CSV files without PARENT_KEY)",
                                 file=where)
            main, main_file = rows, where
            continue
        if "KEY" not in rows.columns:
            raise InputError("a repeat file needs its KEY column", file=where)
        keys = rows["KEY"].astype(str)
        found = keys.str.extract(_REPEAT_KEY)
        if found[0].isna().any():
            i = int(found[0].isna().to_numpy().nonzero()[0][0])
            raise InputError(f"{keys.iloc[i]!r} is not a repeat KEY ({{instance}}/name[n])",
                             file=where, row=i + 1, column="KEY")
        for name in dict.fromkeys(found[0]):
            part = found[0] == name
            table = _repeat_table(name, rows[part].reset_index(drop=True),
                                  keys[part].str.split("/").str[0].reset_index(drop=True),
                                  "-", where)
            repeats[name] = pd.concat([repeats[name], table]) if name in repeats else table
    if main is None:
        raise InputError("no submission table (a CSV file without PARENT_KEY)", file=file)
    table = _table(main, form_id, "odk", main_file)
    return Submissions(form_id, f"odk export {Path(file).name}", table,
                       _own_repeats(repeats, table, file))


def _own_repeats(repeats: Mapping[str, pd.DataFrame], table: pd.DataFrame,
                 file: str) -> dict[str, pd.DataFrame]:
    """Repeats whose submission is in the table (all or nothing: an orphan is refused)."""
    known = set(table["submission_id"])
    for name, rows in repeats.items():
        orphan = rows.index[~rows["submission_id"].isin(known)]
        if len(orphan):
            raise InputError(f"repeat {name!r} row belongs to submission "
                             f"{rows['submission_id'].iloc[orphan[0]]}, which is not in the "
                             "export", file=file, row=int(orphan[0]) + 1)
    return {name: rows.reset_index(drop=True) for name, rows in repeats.items()}


def _kobo_xlsx(raw: bytes, form_id: str, file: str) -> Submissions:
    """Kobo's XLSX export: the first sheet the submissions, one further sheet per repeat."""
    # a workbook is a ZIP: bounded (entries, unpacked size, ratio) before openpyxl unpacks it
    ziparchive.open_zip(raw, file, max_entries=MAX_ZIP_MEMBERS, max_unpacked=MAX_BYTES)
    try:
        sheets = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False,
                               sheet_name=None)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})",
                         file=file) from None
    names = list(sheets)
    if not names:
        raise InputError("the workbook has no sheet", file=file)
    main = sheets[names[0]]
    try:
        kind = _kind(main.columns)
    except InputError as exc:
        raise InputError(str(exc), file=file) from None
    table = _table(main, form_id, kind, file)
    repeats: dict[str, pd.DataFrame] = {}
    by_index = (dict(zip(main["_index"].astype(str), table["submission_id"], strict=True))
                if "_index" in main else {})
    for name in names[1:]:
        rows = sheets[name]
        where = f"{file} (sheet {name})"
        if "_submission__uuid" in rows:
            ids = rows["_submission__uuid"].astype(str)
        elif "_parent_index" in rows and by_index and rows.get(
                "_parent_table_name", pd.Series([names[0]])).eq(names[0]).all():
            ids = rows["_parent_index"].astype(str).map(by_index).fillna("")
        else:
            raise InputError("a repeat sheet needs _submission__uuid (or _parent_index of "
                             "the first sheet)", file=where)
        repeats[name] = _repeat_table(name, rows, ids.reset_index(drop=True), "/", where)
    return Submissions(form_id, f"{kind} export {Path(file).name}", table,
                       _own_repeats(repeats, table, file))


def _read_csv(text: str, file: str) -> pd.DataFrame:
    """A CSV of text cells, `;` or `,` separated (Kobo offers both)."""
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(f"not a readable CSV: {str(exc).splitlines()[0]}",
                         file=file) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=file) from None


def read_export(path: str | Path, form_id: str, encoding: str | None = None) -> Submissions:
    """Read an ODK Central export (CSV, or its ZIP with repeat files) or a KoboToolbox export
    (CSV, or XLSX with repeat sheets) of one form's submissions (text decoded as
    mmsis.data.textio says, or with ``encoding``; JSON nesting bounded)."""
    p = Path(path)
    raw = _read_bytes(p)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return _kobo_xlsx(raw, form_id, str(p))
    if suffix == ".zip":
        return _odk_zip(raw, form_id, str(p), encoding)
    if suffix == ".json":
        data = textio.loads_json(_decode(raw, str(p), encoding), str(p), MAX_JSON_DEPTH + 4)
        return read_json(data, form_id, source=str(p))
    rows = _read_csv(_decode(raw, str(p), encoding), str(p))
    try:
        kind = _kind(rows.columns)
    except InputError as exc:
        raise InputError(str(exc), file=str(p)) from None
    return Submissions(form_id, f"{kind} export {p.name}", _table(rows, form_id, kind, str(p)))


def read_json(data: Any, form_id: str, source: str = "api") -> Submissions:
    """Submissions from ODK Central's OData JSON (`value`; repeats inline with `$expand=*`) or
    Kobo's v2 API JSON (`results`; repeats as lists under the repeat's path)."""
    if isinstance(data, Mapping) and isinstance(data.get("value"), list):
        records, kind = data["value"], "odk"
    elif isinstance(data, Mapping) and isinstance(data.get("results"), list):
        records, kind = data["results"], "kobo"
    elif isinstance(data, list):
        records = data
        kind = "kobo" if data and isinstance(data[0], Mapping) and "_uuid" in data[0] else "odk"
    else:
        raise InputError("expected ODK Central OData ({'value': [...]}) or Kobo API JSON "
                         "({'results': [...]})", file=source)
    if not all(isinstance(r, Mapping) for r in records):
        raise InputError("every submission must be a JSON object", file=source)
    sep = "-" if kind == "odk" else "/"
    flat: list[dict[str, Any]] = []
    nested: dict[str, list[dict[str, Any]]] = {}
    owners: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        reps: dict[str, list[dict[str, Any]]] = {}
        flat.append(_flatten(r, repeats=reps, sep=sep))
        for name, rows in reps.items():
            nested.setdefault(name, []).extend(rows)
            owners.setdefault(name, []).extend([i] * len(rows))
    rows_ = _text_cells(pd.DataFrame(flat))
    if rows_.empty:
        rows_ = pd.DataFrame(columns=["__id"] if kind == "odk" else ["_uuid"])
    table = _table(rows_, form_id, kind, source)
    ids = table["submission_id"].to_numpy()
    repeats = {name: _repeat_table(name, _text_cells(pd.DataFrame(rows)),
                                   pd.Series([ids[i] for i in owners[name]], dtype=str),
                                   sep, source)
               for name, rows in nested.items()}
    return Submissions(form_id, f"{kind} {source}", table, _own_repeats(repeats, table, source))


def _save_repeats(con: Any, subs: Submissions) -> None:
    """Replace the repeats of the submissions being saved (an edit may drop a repetition)."""
    con.execute("""CREATE TABLE IF NOT EXISTS field_repeats (
        form_id VARCHAR NOT NULL, submission_id VARCHAR NOT NULL, repeat VARCHAR NOT NULL,
        idx INTEGER NOT NULL, data JSON NOT NULL,
        PRIMARY KEY (form_id, submission_id, repeat, idx))""")
    ids = pd.DataFrame({"submission_id": subs.frame["submission_id"].astype(str)})
    con.register("_field_ids", ids)
    con.execute("DELETE FROM field_repeats WHERE form_id = ? AND submission_id IN "
                "(SELECT submission_id FROM _field_ids)", [subs.form_id])
    con.unregister("_field_ids")
    for name, rows in subs.repeats.items():
        fields = [c for c in rows.columns if c not in ("submission_id", "idx")]
        records = pd.DataFrame({
            "form_id": subs.form_id, "submission_id": rows["submission_id"].astype(str),
            "repeat": name, "idx": pd.to_numeric(rows["idx"], errors="coerce").fillna(0)
            .astype(int),
            "data": [json.dumps(r, ensure_ascii=False) for r in rows[fields].to_dict("records")],
        })
        con.register("_field_rep", records)
        con.execute("INSERT INTO field_repeats SELECT form_id, submission_id, repeat, idx, data "
                    "FROM _field_rep")
        con.unregister("_field_rep")


def save_submissions(store: Store, subs: Submissions) -> dict[str, int]:
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
        _save_repeats(con, subs)
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


def load_submissions(store: Store, form_id: str) -> pd.DataFrame:
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


def load_repeats(store: Store, form_id: str) -> dict[str, pd.DataFrame]:
    """Every stored repeat of a form: per repeat, `submission_id`, `idx` and its fields."""
    con = store.con
    has = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'field_repeats'").fetchone()
    if not has or not has[0]:
        return {}
    rows = con.execute("SELECT repeat, submission_id, idx, data FROM field_repeats "
                       "WHERE form_id = ? ORDER BY repeat, submission_id, idx",
                       [form_id]).fetchall()
    out: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name]
        meta = pd.DataFrame([(r[1], str(r[2])) for r in mine], columns=["submission_id", "idx"])
        body = pd.DataFrame([json.loads(r[3]) for r in mine])
        out[name] = pd.concat([meta, body], axis=1)
    return out
