"""DHIS2 file formats: dataValueSets (JSON, CSV), metadata JSON, analytics JSON, registrations.

Everything is read into tidy DataFrames with DHIS2's own column names and values kept as text
(as DHIS2 sends them); validation happens in the store so that every refused row is reported.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from mmsis.data import csvread, textio
from mmsis.errors import InputError
from mmsis.serialize import JSONValue

DEFAULT_COC = "HllvX50cXC0"  # DHIS2's default category option combo
DV_COLUMNS = ["dataElement", "period", "orgUnit", "categoryOptionCombo",
              "attributeOptionCombo", "value"]
# CSV header spellings DHIS2 uses on import and export, normalised to DV_COLUMNS
_CSV_ALIASES = {
    "dataelement": "dataElement", "de": "dataElement",
    "period": "period", "pe": "period",
    "orgunit": "orgUnit", "ou": "orgUnit",
    "categoryoptioncombo": "categoryOptionCombo", "catoptcombo": "categoryOptionCombo",
    "coc": "categoryOptionCombo", "co": "categoryOptionCombo",
    "attributeoptioncombo": "attributeOptionCombo", "attroptcombo": "attributeOptionCombo",
    "aoc": "attributeOptionCombo", "ao": "attributeOptionCombo",
    "value": "value",
}
# DHIS2's positional order for a CSV without a header row
CSV_ORDER = ["dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo",
             "value", "storedBy", "lastUpdated", "comment", "followUp", "deleted"]


def csv_column_map(header: list[str]) -> dict[str, str] | None:
    """Map a dataValueSets CSV header to DV_COLUMNS names, or None when it is not one."""
    norm = {h: _CSV_ALIASES.get(h.strip().lower().replace("_", "")) for h in header}
    found = {v for v in norm.values() if v}
    if {"dataElement", "period", "orgUnit", "value"} <= found:
        return {h: v for h, v in norm.items() if v}
    return None


def _objects(doc: dict[str, Any], key: str, file: str | None = None) -> list[dict[str, Any]]:
    """The list of JSON objects under ``key`` ([] when absent); another shape is an InputError
    naming the key and the entry (user files are not always what DHIS2 writes)."""
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"'{key}' must be a list of objects", file=file, field=key)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"entry {i + 1} of '{key}' is not an object", file=file,
                             row=i + 1, field=key)
    return items


def _ref(value: Any) -> Any:
    """The id of a reference written as an object ({"id": ...}) or as the id itself."""
    return value.get("id") if isinstance(value, dict) else value


def read_data_value_set_json(doc: dict[str, Any], file: str | None = None) -> pd.DataFrame:
    """dataValueSets JSON -> DataFrame (DV_COLUMNS); set-level period/orgUnit/aoc are defaults."""
    if not isinstance(doc.get("dataValues"), list):
        raise InputError("no 'dataValues' list in the JSON document", file=file, field="dataValues")
    values = _objects(doc, "dataValues", file)
    df = pd.DataFrame.from_records(values) if values else pd.DataFrame(columns=DV_COLUMNS)
    for col, key in (("period", "period"), ("orgUnit", "orgUnit"),
                     ("attributeOptionCombo", "attributeOptionCombo")):
        default = doc.get(key)
        if isinstance(default, (list, dict)):
            raise InputError(f"the document's '{key}' must be a single value", file=file,
                             field=key)
        if col not in df.columns:
            df[col] = default
        elif default is not None:
            df[col] = df[col].fillna(default)
    for col in DV_COLUMNS:
        if col not in df.columns:
            df[col] = None
    return _normalise(df[DV_COLUMNS])


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Values as text, missing option combos set to DHIS2's default combo."""
    df = df.copy()
    for col in ("categoryOptionCombo", "attributeOptionCombo"):
        df[col] = df[col].where(df[col].notna() & (df[col].astype(str) != ""), DEFAULT_COC)
    for col in DV_COLUMNS:
        df[col] = df[col].astype("string")
    return df.reset_index(drop=True)


def read_data_value_set_csv(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """dataValueSets CSV (with DHIS2's header, or none in DHIS2's column order) -> DataFrame.

    Decoded through `textio` (UTF-8, UTF-16 with a BOM, or ``encoding``); errors name the row.
    """
    name = str(path)
    with textio.utf8_file(path, encoding) as p:
        header = csvread.header(p, name)
        mapping = csv_column_map(header)
        if mapping is None:
            df = csvread.read_frame(p, name, header=None)
            df.columns = CSV_ORDER[: df.shape[1]]
        else:
            df = csvread.read_frame(p, name, usecols=list(mapping))
            df = df.rename(columns=mapping)
    for col in DV_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    return _normalise(df[DV_COLUMNS])


def data_values_to_json(df: pd.DataFrame) -> dict[str, Any]:
    """DataFrame (DV_COLUMNS) -> a dataValueSets JSON document."""
    out = df[DV_COLUMNS].astype(object).where(df[DV_COLUMNS].notna(), None)
    out["value"] = out["value"].map(lambda v: None if v is None else _fmt(v))
    return {"dataValues": out.to_dict(orient="records")}


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def data_values_to_csv(df: pd.DataFrame, path: str | Path | None = None) -> str:
    """DataFrame -> dataValueSets CSV text in DHIS2's export header; written to ``path`` if set."""
    out = df[DV_COLUMNS].copy()
    out["value"] = out["value"].map(_fmt)
    out.columns = ["dataelement", "period", "orgunit", "catoptcombo", "attroptcombo", "value"]
    buf = io.StringIO()
    out.to_csv(buf, index=False)
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def read_analytics_json(doc: dict[str, Any], file: str | None = None) -> pd.DataFrame:
    """Analytics JSON (headers/rows/metaData) -> tidy DataFrame, one column per header name."""
    headers = doc.get("headers")
    rows = doc.get("rows")
    if not isinstance(headers, list) or not isinstance(rows, list):
        raise InputError("analytics JSON needs 'headers' and 'rows'", file=file)
    names = [h.get("name") for h in _objects(doc, "headers", file)]
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            raise InputError(f"row {i + 1} of 'rows' is not a list of {len(names)} values (one "
                             "per header)", file=file, row=i + 1, field="rows")
    df = pd.DataFrame(rows, columns=names, dtype="string") if rows else pd.DataFrame(
        columns=names, dtype="string")
    return df


def analytics_to_data_values(df: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """Analytics rows with dx, pe, ou (and optional co, ao) -> DataFrame of data values.

    A ``dx`` of the form ``de.coc`` (a data element operand) gives the option combo.
    """
    missing = {"dx", "pe", "ou", "value"} - set(df.columns)
    if missing:
        raise InputError(f"analytics rows lack dimensions {sorted(missing)}", file=file)
    dx = df["dx"].astype("string")
    split = dx.str.split(".", n=1, expand=True)
    de = split[0]
    coc = df["co"] if "co" in df.columns else (split[1] if split.shape[1] > 1 else None)
    out = pd.DataFrame({
        "dataElement": de, "period": df["pe"], "orgUnit": df["ou"],
        "categoryOptionCombo": coc if coc is not None else DEFAULT_COC,
        "attributeOptionCombo": df["ao"] if "ao" in df.columns else DEFAULT_COC,
        "value": df["value"],
    })
    return _normalise(out)


def read_metadata_json(doc: dict[str, Any], file: str | None = None) -> dict[str, pd.DataFrame]:
    """DHIS2 metadata JSON -> tables 'org_units', 'data_elements', 'category_option_combos',
    'data_sets'."""
    out: dict[str, pd.DataFrame] = {}
    ous = _objects(doc, "organisationUnits", file)
    if ous:
        recs = []
        for ou in ous:
            path = ou.get("path")
            path = None if path is None else str(path)
            level = ou.get("level")
            if level is None and path:
                level = path.strip("/").count("/") + 1
            recs.append({"id": ou.get("id"), "name": ou.get("name") or ou.get("displayName"),
                         "level": level, "parent_id": _ref(ou.get("parent")), "path": path,
                         "population": ou.get("population"),
                         "opening_date": ou.get("openingDate")})
        out["org_units"] = pd.DataFrame.from_records(recs)
    des = _objects(doc, "dataElements", file)
    if des:
        out["data_elements"] = pd.DataFrame.from_records([{
            "id": d.get("id"), "name": d.get("name") or d.get("displayName"),
            "short_name": d.get("shortName"), "value_type": d.get("valueType"),
            "aggregation_type": d.get("aggregationType"),
            "domain_type": d.get("domainType")} for d in des])
    # (data sets' names label the reporting rates: "% of expected <name> reports")
    for table, key, what in (("category_option_combos", "categoryOptionCombos",
                              "category option combo"), ("data_sets", "dataSets", "data set")):
        named = _id_and_name(doc, key, what, file)
        if named is not None:
            out[table] = named
    return out


def _id_and_name(doc: dict[str, Any], key: str, what: str, file: str | None) -> pd.DataFrame | None:
    """The id and name of each object of `doc[key]` (None when there are none); one without
    an id is refused naming its row."""
    objs = _objects(doc, key, file)
    for i, o in enumerate(objs):
        if not isinstance(o.get("id"), str) or not o["id"].strip():
            raise InputError(f"{what} {i + 1} has no id", file=file, row=i + 1, field=key)
    if not objs:
        return None
    return pd.DataFrame.from_records(
        [{"id": o["id"], "name": o.get("name") or o.get("displayName")} for o in objs])


def read_registrations_json(doc: dict[str, Any], file: str | None = None) -> pd.DataFrame:
    """completeDataSetRegistrations JSON -> the reports table (one received report per row)."""
    regs = _objects(doc, "completeDataSetRegistrations", file)
    df = pd.DataFrame.from_records(regs) if regs else pd.DataFrame(
        columns=["dataSet", "period", "organisationUnit"])
    ou_col = "organisationUnit" if "organisationUnit" in df.columns else "orgUnit"
    missing = [c for c in ("dataSet", "period", ou_col) if c not in df.columns]
    if missing:
        raise InputError(f"registrations need dataSet, period and organisationUnit; missing "
                         f"{', '.join(missing)}", file=file, field="completeDataSetRegistrations")
    for col in ("dataSet", "period", ou_col):
        df[col] = df[col].map(_ref)
    return pd.DataFrame({
        "dataSet": df["dataSet"].astype("string"), "period": df["period"].astype("string"),
        "orgUnit": df[ou_col].astype("string"), "expected": "1", "received": "1",
        "on_time": df["onTime"].astype("string") if "onTime" in df.columns else "",
    })


def load_json(path: str | Path, encoding: str | None = None,
              file: str | None = None) -> JSONValue:
    """Read a JSON file through `textio` (encodings named, nesting bounded); errors name the
    file (``file``, default the path) and line."""
    try:
        return textio.loads_json(textio.read_text(path, encoding), file or str(path))
    except InputError as exc:
        if file and exc.file != file:
            exc.file = file
            exc.args = (str(exc),)
        raise
