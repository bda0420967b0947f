"""A country's own concepts: which DHIS2 data elements and org-unit levels are the things mmsis
computes with (ANC1 visits, MMS and IFA clients, tablets, stock, reporting; districts, regions).

How to read it (CLI, web, report, forecast and evaluation alike)::

    from mmsis.data.concepts import concept_map
    cm = concept_map(store)              # the store's saved mapping, else the conventional one
    cm.element("anc1")                   # the country's data-element UID, or None if unmapped
    cm.require("mms_tablets_dispensed")  # the UID, or InputError naming the missing concept
    cm.district_level, cm.region_level   # org-unit levels (1 = the top of the hierarchy)
    cm.reporting_data_set                # the data set whose reports give expected/received

One home: the mapping is kept in the programme store's ``concepts`` table (written with
`Store.set_concepts` / `save`, read with `Store.concepts` / `concept_map`), imported and
exported as a YAML or JSON file (`load_file`, `to_document`); the example country's mapping
is one instance (`mmsis.datasets`, written by `load_example`). A store without a saved mapping
gets the conventional one (`infer`): each concept maps to the data element whose id is the
concept's name in capitals when the store has one, the district is the level above the
deepest, the region the level above the district, and the reporting data set is the only one
in the reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.store import Store

TABLE = "concepts"
SCHEMA = f"""CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR PRIMARY KEY, kind VARCHAR,
    ref VARCHAR)"""
"""One row per mapped concept: kind 'element' (ref = data-element UID), 'level' (ref = the
level as text) or 'data_set' (ref = the data set's id)."""


class Concept(BaseModel):
    """A concept mmsis computes with: its label, what kind of number it is and the DHIS2
    aggregation type that fits it (how a month's value is rolled up over org units)."""

    model_config = ConfigDict(frozen=True)

    label: str
    kind: str  # count | stock | days
    aggregation_type: str


CONCEPTS: dict[str, Concept] = {
    "anc1": Concept(label="ANC first visits", kind="count", aggregation_type="SUM"),
    "anc4": Concept(label="ANC fourth visits", kind="count", aggregation_type="SUM"),
    "mms_clients": Concept(label="ANC clients given MMS", kind="count", aggregation_type="SUM"),
    "ifa_clients": Concept(label="ANC clients given IFA", kind="count", aggregation_type="SUM"),
    "mms_tablets_dispensed": Concept(label="MMS tablets dispensed", kind="count",
                                     aggregation_type="SUM"),
    "ifa_tablets_dispensed": Concept(label="IFA tablets dispensed", kind="count",
                                     aggregation_type="SUM"),
    "mms_stock_on_hand": Concept(label="MMS tablets in stock at month end", kind="stock",
                                 aggregation_type="LAST"),
    "ifa_stock_on_hand": Concept(label="IFA tablets in stock at month end", kind="stock",
                                 aggregation_type="LAST"),
    "mms_stock_received": Concept(label="MMS tablets received", kind="count",
                                  aggregation_type="SUM"),
    "ifa_stock_received": Concept(label="IFA tablets received", kind="count",
                                  aggregation_type="SUM"),
    "mms_days_stocked_out": Concept(label="Days MMS stocked out", kind="days",
                                    aggregation_type="SUM"),
    "ifa_days_stocked_out": Concept(label="Days IFA stocked out", kind="days",
                                    aggregation_type="SUM"),
}
"""The data-element concepts the code computes with (trends, indicators, quality review,
forecast consumption, evaluation panels, report)."""

LEVELS = {"district": "Districts (evaluation panels, forecast units, dashboard filter)",
          "region": "Regions (data-quality review by region, report)"}
"""The org-unit levels mmsis names."""

TREND_CONCEPTS = ("anc1", "ifa_clients", "mms_clients")
"""The concepts of the dashboard's "clients per month" trend."""

CONSUMPTION_CONCEPTS = ("mms_tablets_dispensed", "ifa_tablets_dispensed", "mms_stock_on_hand",
                        "ifa_stock_on_hand", "mms_days_stocked_out", "ifa_days_stocked_out")
"""The concepts of the forecast's consumption history (column = concept name)."""


class ConceptMap(BaseModel):
    """A country's mapping: concept -> data-element UID, the district and region levels and the
    reporting data set. Aggregation types live with the data elements in the store (set there
    when the mapping names one)."""

    model_config = ConfigDict(extra="forbid")

    elements: dict[str, str] = Field(default_factory=dict)
    aggregation_types: dict[str, str] = Field(default_factory=dict)
    district_level: int | None = Field(default=None, ge=1)
    region_level: int | None = Field(default=None, ge=1)
    reporting_data_set: str | None = None

    @field_validator("elements", "aggregation_types")
    @classmethod
    def _known_concepts(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(CONCEPTS))
        if unknown:
            raise ValueError(f"unknown concept(s) {unknown}; known: {sorted(CONCEPTS)}")
        return {k: str(x).strip() for k, x in v.items() if str(x).strip()}

    def element(self, concept: str) -> str | None:
        """The data-element UID of a concept, or None when the country has not mapped it."""
        if concept not in CONCEPTS:
            raise InputError(f"unknown concept {concept!r}; known: {sorted(CONCEPTS)}",
                             field="concept")
        return self.elements.get(concept)

    def require(self, concept: str) -> str:
        """The data-element UID of a concept; InputError naming it when it is not mapped."""
        uid = self.element(concept)
        if uid is None:
            raise InputError(f"no data element is mapped to '{concept}' "
                             f"({CONCEPTS[concept].label}): map it with `mmsis routine "
                             "concepts --set FILE` or on the workspace's setup page",
                             field="concept")
        return uid

    def mapped(self, concepts: Iterable[str]) -> dict[str, str]:
        """Concept -> UID for those of ``concepts`` that are mapped, in their order."""
        return {c: u for c in concepts if (u := self.element(c)) is not None}

    def concept_of(self) -> dict[str, str]:
        """UID -> concept (the reverse mapping)."""
        return {u: c for c, u in self.elements.items()}

    def require_district_level(self) -> int:
        """The district level; InputError when the store has no hierarchy to take it from."""
        if self.district_level is None:
            raise InputError("the district level is not known: load the org units first",
                             field="district_level")
        return self.district_level


# --------------------------------------------------------------------------- reading
def _table_exists(store: Store) -> bool:
    # (duckdb_tables() rather than information_schema: ~5x cheaper, and pages ask per request)
    row = store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [TABLE]).fetchone()
    return bool(row and row[0])


def stored(store: Store) -> ConceptMap | None:
    """The mapping saved in the store, or None when none was saved."""
    if not _table_exists(store):
        return None
    rows = store.con.execute(f"SELECT name, kind, ref FROM {TABLE}").fetchall()
    if not rows:
        return None
    elements: dict[str, str] = {}
    levels: dict[str, int] = {}
    data_set: str | None = None
    for name, kind, ref in rows:
        if kind == "element" and name in CONCEPTS:
            elements[str(name)] = str(ref)
        elif kind == "level" and name in LEVELS:
            levels[str(name)] = int(ref)
        elif kind == "data_set":
            data_set = str(ref)
    return ConceptMap(elements=elements, district_level=levels.get("district"),
                      region_level=levels.get("region"), reporting_data_set=data_set)


def _depth(store: Store) -> int | None:
    row = store.con.execute("SELECT max(level) FROM org_units").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def infer(store: Store) -> ConceptMap:
    """The conventional mapping of a store without a saved one (see the module docstring)."""
    ids = {str(r[0]) for r in store.con.execute("SELECT id FROM data_elements").fetchall()}
    elements = {c: c.upper() for c in CONCEPTS if c.upper() in ids}
    depth = _depth(store)
    district = max(1, depth - 1) if depth is not None else None
    region = max(1, district - 1) if district is not None else None
    sets = [str(r[0]) for r in store.con.execute(
        "SELECT DISTINCT data_set FROM reports ORDER BY 1 LIMIT 2").fetchall()]
    return ConceptMap(elements=elements, district_level=district, region_level=region,
                      reporting_data_set=sets[0] if len(sets) == 1 else None)


def concept_map(store: Store) -> ConceptMap:
    """The store's mapping: the saved one (levels not saved are inferred), else `infer`."""
    saved = stored(store)
    if saved is None:
        return infer(store)
    if saved.district_level is None or saved.region_level is None:
        guess = infer(store)
        saved = saved.model_copy(update={
            "district_level": saved.district_level or guess.district_level,
            "region_level": saved.region_level or guess.region_level})
    return saved


# --------------------------------------------------------------------------- checking, saving
def validate(store: Store, cm: ConceptMap) -> ConceptMap:
    """Check a mapping against the store: every UID is a known data element (unknown ones are
    named), the levels are within the hierarchy's depth, the region is above the district,
    each aggregation type is DHIS2's; InputError otherwise."""
    from mmsis.data.store import AGGREGATION_TYPES

    ids = {str(r[0]) for r in store.con.execute("SELECT id FROM data_elements").fetchall()}
    unknown = sorted({u for u in cm.elements.values() if u not in ids})
    if unknown:
        raise InputError(f"unknown data element(s) {', '.join(unknown)}: import them with the "
                         "metadata (org-unit file with dataElements, or a data-elements CSV) "
                         "first", field="elements")
    bad = {c: a for c, a in cm.aggregation_types.items() if a not in AGGREGATION_TYPES}
    if bad:
        c, a = next(iter(bad.items()))
        raise InputError(f"'{a}' is not a DHIS2 aggregation type (for {c}); one of "
                         f"{', '.join(sorted(AGGREGATION_TYPES))}", field="aggregation_types")
    orphan = sorted(set(cm.aggregation_types) - set(cm.elements))
    if orphan:
        raise InputError(f"aggregation type given for unmapped concept(s) {orphan}",
                         field="aggregation_types")
    depth = _depth(store)
    for name in ("district_level", "region_level"):
        lvl = getattr(cm, name)
        if lvl is None:
            continue
        if depth is None:
            raise InputError(f"{name.replace('_', ' ')} {lvl}: the store has no org units "
                             "yet (load them first)", field=name)
        if not 1 <= lvl <= depth:
            raise InputError(f"{name.replace('_', ' ')} {lvl} is outside the hierarchy "
                             f"(levels 1 to {depth})", field=name)
    if (cm.district_level is not None and cm.region_level is not None
            and cm.region_level > cm.district_level):
        raise InputError(f"the region level ({cm.region_level}) is below the district level "
                         f"({cm.district_level})", field="region_level")
    return cm


def save(store: Store, cm: ConceptMap) -> ConceptMap:
    """Validate and save a mapping in the store (replacing the saved one, in one transaction);
    aggregation types named in it are set on their data elements."""
    validate(store, cm)
    rows: list[tuple[str, str, str]] = [(c, "element", u) for c, u in cm.elements.items()]
    rows += [(n, "level", str(v)) for n, v in (("district", cm.district_level),
                                               ("region", cm.region_level)) if v is not None]
    if cm.reporting_data_set:
        rows.append(("reporting", "data_set", cm.reporting_data_set))
    c = store.con
    c.execute("BEGIN TRANSACTION")
    try:
        c.execute(SCHEMA)
        c.execute(f"DELETE FROM {TABLE}")
        if rows:
            c.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?)", rows)
        changed = [cm.elements[k] for k, agg in cm.aggregation_types.items()
                   if _aggregation_of(store, cm.elements[k]) != agg]
        for concept, agg in cm.aggregation_types.items():
            c.execute("UPDATE data_elements SET aggregation_type = ? WHERE id = ?",
                      [agg, cm.elements[concept]])
        if changed:  # their roll-ups change: a batch of no values keys the series caches anew
            import uuid

            batch = f"concepts:{uuid.uuid4().hex}"
            c.execute("INSERT INTO batches (id, kind, file, rows) VALUES (?, 'concepts', "
                      "'concept mapping', 0)", [batch])
            c.executemany("INSERT INTO batch_elements VALUES (?, ?)",
                          [(batch, de) for de in changed])
        c.execute("COMMIT")
    except Exception:
        c.execute("ROLLBACK")
        raise
    return concept_map(store)


def _aggregation_of(store: Store, uid: str) -> str:
    row = store.con.execute("SELECT coalesce(aggregation_type, 'SUM') FROM data_elements "
                            "WHERE id = ?", [uid]).fetchone()
    return str(row[0]) if row else "SUM"


# --------------------------------------------------------------------------- files
def from_document(doc: Any, file: str | None = None) -> ConceptMap:
    """A mapping from its file form::

        elements:            # concept: UID, or concept: {data_element: UID, aggregation_type: LAST}
          anc1: fbfJHSPpUQD
          mms_stock_on_hand: {data_element: x8Jq2M4fn1C, aggregation_type: LAST}
        levels: {district: 3, region: 2}
        reporting_data_set: QX4ZTUbOt3a
    """
    if not isinstance(doc, dict):
        raise InputError("a concept mapping is a mapping with 'elements' and 'levels'", file=file)
    extra = sorted(set(doc) - {"elements", "levels", "reporting_data_set"})
    if extra:
        raise InputError(f"unknown key(s) {extra}: expected elements, levels, "
                         "reporting_data_set", file=file)
    elements: dict[str, str] = {}
    aggs: dict[str, str] = {}
    raw = doc.get("elements") or {}
    if not isinstance(raw, dict):
        raise InputError("'elements' must map concepts to data-element UIDs", file=file,
                         field="elements")
    for concept, v in raw.items():
        if isinstance(v, dict):
            if not v.get("data_element"):
                raise InputError(f"{concept}: give data_element", file=file,
                                 field=f"elements.{concept}")
            elements[str(concept)] = str(v["data_element"])
            if v.get("aggregation_type"):
                aggs[str(concept)] = str(v["aggregation_type"]).upper()
        elif v is not None and str(v).strip():
            elements[str(concept)] = str(v)
    levels = doc.get("levels") or {}
    if not isinstance(levels, dict) or set(levels) - set(LEVELS):
        raise InputError(f"'levels' maps {' and '.join(LEVELS)} to level numbers", file=file,
                         field="levels")
    try:
        return ConceptMap(elements=elements, aggregation_types=aggs,
                          district_level=levels.get("district"),
                          region_level=levels.get("region"),
                          reporting_data_set=doc.get("reporting_data_set") or None)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(str(err["msg"]).removeprefix("Value error, "), file=file,
                         field=loc) from exc


def file_document(cm: ConceptMap) -> dict[str, Any]:
    """A mapping in its file form (what `from_document` reads back)."""
    return {"elements": {c: ({"data_element": u, "aggregation_type": cm.aggregation_types[c]}
                             if c in cm.aggregation_types else u)
                         for c, u in cm.elements.items()},
            "levels": {"district": cm.district_level, "region": cm.region_level},
            "reporting_data_set": cm.reporting_data_set}


def load_file(path: str | Path) -> ConceptMap:
    """Read a mapping file (YAML or JSON, see `from_document`)."""
    p = Path(path)
    if not p.exists():
        raise InputError("concept mapping file not found", file=str(p))
    text = p.read_text(encoding="utf-8-sig")
    try:
        doc = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'}: "
                         f"{exc}", file=str(p)) from exc
    return from_document(doc, file=str(p))


def to_document(store: Store, cm: ConceptMap | None = None) -> dict[str, Any]:
    """The mapping in its file form (the API's JSON), each element with its name and
    aggregation type as stored, plus whether it was saved or inferred."""
    saved = stored(store)
    cm = cm or concept_map(store)
    meta = {str(r[0]): (r[1], r[2]) for r in store.con.execute(
        "SELECT id, name, coalesce(aggregation_type, 'SUM') FROM data_elements "
        "WHERE list_contains(?, id)", [list(cm.elements.values()) or [""]]).fetchall()}
    return {
        "elements": {c: {"data_element": u, "name": meta.get(u, (None, None))[0],
                         "aggregation_type": meta.get(u, (None, None))[1],
                         "label": CONCEPTS[c].label}
                     for c, u in cm.elements.items()},
        "levels": {"district": cm.district_level, "region": cm.region_level},
        "reporting_data_set": cm.reporting_data_set,
        "saved": saved is not None,
    }


def catalogue() -> list[dict[str, str]]:
    """The concepts with their labels, kinds and fitting aggregation types (for forms)."""
    return [{"concept": k, "label": c.label, "kind": c.kind,
             "aggregation_type": c.aggregation_type} for k, c in CONCEPTS.items()]
