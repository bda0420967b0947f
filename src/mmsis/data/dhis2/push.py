"""Results back into DHIS2: computed indicators as a dataValueSet, a dry run first, then the push.

The mapping from mmsis indicators to the instance's data elements is a YAML file the team edits
(docs/routine.md, "Push results back")::

    data_set: QX4ZTUbOt3a            # optional: the data set the values belong to
    attribute_option_combo: HllvX50cXC0   # optional
    values:
      - indicator: mms_coverage_anc1 # an mmsis indicator id (mmsis routine indicators)
        data_element: Fb1yNYz6Ubd    # the DHIS2 data element (uid) that receives it
        category_option_combo: HllvX50cXC0  # optional (DHIS2 uses its default when absent)
        decimals: 1                  # optional rounding

DHIS2's answer is its import summary (``status``, ``importCount`` with ``imported``,
``updated``, ``ignored``, ``deleted``, and ``conflicts``), returned directly by older versions
and inside a ``response`` since 2.38, where conflicts come with HTTP 409.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from mmsis.errors import InputError

MAX_MAPPING_BYTES = 1_000_000
UID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class MappedIndicator(BaseModel):
    """One mmsis indicator and the DHIS2 data element that receives it."""

    indicator: str = Field(..., min_length=1, max_length=100)
    data_element: str = Field(..., min_length=1, max_length=50)
    category_option_combo: str | None = Field(None, max_length=50)
    decimals: int | None = Field(None, ge=0, le=10)


class PushMapping(BaseModel):
    """The team's mapping file: data set, attribute option combo and the indicators."""

    data_set: str | None = Field(None, max_length=50)
    attribute_option_combo: str | None = Field(None, max_length=50)
    values: list[MappedIndicator] = Field(..., min_length=1)


def read_mapping(path: str | Path) -> PushMapping:
    """Read and check the mapping YAML; every problem names the file and the entry."""
    from mmsis.data import yamlread

    p = Path(path)
    if p.exists() and p.is_file() and p.stat().st_size > MAX_MAPPING_BYTES:
        raise InputError("a mapping file is at most 1 MB", file=str(p))
    # decoded by textio (encodings named), depth and aliases bounded, errors name the line
    data = yamlread.load_yaml(p, max_bytes=MAX_MAPPING_BYTES)
    if not isinstance(data, dict):
        raise InputError("expected a mapping with `values:` (indicator, data_element)",
                         file=str(p))
    try:
        mapping = PushMapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        raise InputError(f"{loc}: {first.get('msg', 'invalid')}", file=str(p),
                         field=loc or None) from None
    seen: set[tuple[str, str | None]] = set()
    for i, m in enumerate(mapping.values):
        for name, uid in (("data_element", m.data_element),
                          ("category_option_combo", m.category_option_combo)):
            if uid is not None and (len(uid) != 11 or not set(uid) <= UID_CHARS
                                    or not uid[0].isalpha()):
                raise InputError(f"values.{i}.{name}: {uid!r} is not a DHIS2 uid (11 letters "
                                 "and digits, starting with a letter)", file=str(p),
                                 field=f"values.{i}.{name}")
        key = (m.indicator, m.category_option_combo)
        if key in seen:
            raise InputError(f"values.{i}: indicator {m.indicator!r} is mapped twice",
                             file=str(p), field=f"values.{i}.indicator")
        seen.add(key)
    return mapping


def _national_periods(frame: pd.DataFrame, calendar: str) -> pd.DataFrame:
    """Gregorian months as the instance's national months; ratios re-divided after the split."""
    from mmsis.data.dhis2.calendars import calendar_of, from_gregorian_months

    cal = calendar_of({"calendar": calendar})
    if cal in ("iso8601", "gregorian"):
        return frame
    monthly = frame["period"].astype(str).str.fullmatch(r"\d{6}")
    if not monthly.all():
        bad = frame.loc[~monthly, "period"].iloc[0]
        raise InputError(f"the instance keeps a {cal} calendar: only monthly values can be "
                         f"pushed (apportioned by days), not period {bad!r}; compute them with "
                         "--period-type monthly", field="period")
    keys = ["indicator", "org_unit"]
    has_ratio = {"numerator", "denominator"} <= set(frame.columns)
    is_ratio = (pd.to_numeric(frame["denominator"], errors="coerce").fillna(0) != 0
                if has_ratio else pd.Series(False, index=frame.index))
    parts = []
    counts = frame[~is_ratio]
    if len(counts):  # counts: each national month gets the days it shares with each month
        spread = from_gregorian_months(counts[[*keys, "period", "value"]], cal)
        parts.append(spread.groupby([*keys, "period"], as_index=False)["value"].sum())
    if is_ratio.any():  # value = factor x numerator / denominator: split both, divide again
        f = frame[is_ratio].copy()
        for col in ("numerator", "denominator", "value"):
            f[col] = pd.to_numeric(f[col], errors="coerce")
        ratio = f["numerator"] / f["denominator"]
        f["factor"] = (f["value"] / ratio.where(ratio != 0)).fillna(1.0)
        split = []
        for col in ("numerator", "denominator"):
            spread = from_gregorian_months(f[[*keys, "period", col]], cal, value=col)
            split.append(spread.groupby([*keys, "period"], as_index=False)[col].sum())
        out = split[0].merge(split[1], on=[*keys, "period"])
        out = out.merge(f.groupby(keys, as_index=False)["factor"].first(), on=keys)
        out["value"] = out["factor"] * out["numerator"] / out["denominator"].where(
            out["denominator"] != 0)
        parts.append(out[[*keys, "period", "value"]])
    return pd.concat(parts, ignore_index=True)


def data_value_set(values: pd.DataFrame, mapping: PushMapping, calendar: str = "iso8601",
                   ) -> dict[str, Any]:
    """The dataValueSet of the mapped indicators (columns indicator, org_unit, period, value),
    periods in the instance's calendar; values that are missing are left out."""
    need = {"indicator", "org_unit", "period", "value"} - set(values.columns)
    if need:
        raise InputError(f"the values need column(s) {', '.join(sorted(need))}",
                         column=sorted(need)[0])
    wanted = {m.indicator for m in mapping.values}
    frame = values[values["indicator"].astype(str).isin(wanted)].copy()
    if frame.empty:
        raise InputError("none of the mapped indicators is in the values (mapped: "
                         f"{', '.join(sorted(wanted))})", field="indicator")
    frame = _national_periods(frame, calendar)
    rows: list[dict[str, Any]] = []
    for m in mapping.values:
        part = frame[frame["indicator"].astype(str) == m.indicator]
        for r in part.itertuples(index=False):
            v = float(r.value) if r.value is not None else math.nan
            if not math.isfinite(v):
                continue
            if m.decimals is not None:
                v = round(v, m.decimals)
            dv: dict[str, Any] = {"dataElement": m.data_element, "period": str(r.period),
                                  "orgUnit": str(r.org_unit),
                                  "value": str(int(v)) if float(v).is_integer() else repr(v)}
            if m.category_option_combo:
                dv["categoryOptionCombo"] = m.category_option_combo
            if mapping.attribute_option_combo:
                dv["attributeOptionCombo"] = mapping.attribute_option_combo
            rows.append(dv)
    body: dict[str, Any] = {"dataValues": rows}
    if mapping.data_set:
        body["dataSet"] = mapping.data_set
    return body


@dataclass(frozen=True)
class Conflict:
    """One conflict DHIS2 reported: the object (uid or value) and its message."""

    object: str
    value: str


@dataclass(frozen=True)
class ImportSummary:
    """DHIS2's import summary of a dataValueSets POST."""

    status: str
    imported: int
    updated: int
    ignored: int
    deleted: int
    conflicts: list[Conflict] = field(default_factory=list)
    description: str = ""
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain record for --json."""
        return {"status": self.status, "dry_run": self.dry_run, "imported": self.imported,
                "updated": self.updated, "ignored": self.ignored, "deleted": self.deleted,
                "conflicts": [{"object": c.object, "value": c.value} for c in self.conflicts],
                "description": self.description}


def parse_summary(body: Mapping[str, Any], dry_run: bool = False) -> ImportSummary:
    """The import summary of DHIS2's answer (top level, or under `response` since 2.38)."""
    doc: Mapping[str, Any] = body.get("response", body) if isinstance(body, Mapping) else {}
    if not isinstance(doc, Mapping) or "importCount" not in doc:
        message = body.get("message") if isinstance(body, Mapping) else None
        raise InputError("DHIS2 answered without an import summary"
                         + (f": {message}" if message else ""), field="url")
    count = doc.get("importCount") or {}
    conflicts: Iterable[Any] = doc.get("conflicts") or []
    return ImportSummary(
        status=str(doc.get("status", body.get("status", ""))),
        imported=int(count.get("imported", 0)), updated=int(count.get("updated", 0)),
        ignored=int(count.get("ignored", 0)), deleted=int(count.get("deleted", 0)),
        conflicts=[Conflict(str(c.get("object", "")), str(c.get("value", "")))
                   for c in conflicts if isinstance(c, Mapping)],
        description=str(doc.get("description", "") or ""), dry_run=dry_run)
