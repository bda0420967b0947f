"""Read the knowledge-base YAML files, let a country replace or extend them, and check integrity.

The bundled defaults live in `mmsis/framework/data/`. A country folder passed as `directory`
holds YAML files that either *replace* a default file (same file name) or *extend* it (any
other name whose top-level keys are knowledge-base kinds, e.g. `questions:`). Files that hold
no knowledge-base kind (other packages' data) are ignored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from mmsis.errors import FrameworkError
from mmsis.framework.framework import Framework
from mmsis.framework.models import (
    CfirDomain,
    DataSource,
    EpisStage,
    EricCluster,
    EricStrategy,
    Evidence,
    Indicator,
    KeyResult,
    Outcome,
    Phase,
    Pillar,
    Question,
    ReaimDimension,
    StudyDesign,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

#: List-valued kinds: top-level key -> (default file, model).
LIST_KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    "phases": ("phases.yaml", Phase),
    "pillars": ("pillars.yaml", Pillar),
    "key_results": ("key_results.yaml", KeyResult),
    "outcomes": ("outcomes.yaml", Outcome),
    "data_sources": ("data_sources.yaml", DataSource),
    "indicators": ("indicators.yaml", Indicator),
    "designs": ("designs.yaml", StudyDesign),
    "questions": ("questions.yaml", Question),
    "cfir": ("cfir.yaml", CfirDomain),
    "reaim": ("reaim.yaml", ReaimDimension),
    "epis": ("epis.yaml", EpisStage),
    "eric_clusters": ("eric.yaml", EricCluster),
    "eric": ("eric.yaml", EricStrategy),
    "effect_sizes": ("evidence.yaml", BaseModel),
    "mortality_multipliers": ("evidence.yaml", BaseModel),
    "cost_effectiveness_anchors": ("evidence.yaml", BaseModel),
}
#: Mapping-valued kinds (replaced as a whole).
DICT_KINDS: dict[str, str] = {"product": "evidence.yaml"}
EVIDENCE_KEYS = ("effect_sizes", "mortality_multipliers", "cost_effectiveness_anchors", "product")
ALL_KINDS = set(LIST_KINDS) | set(DICT_KINDS)
DEFAULT_FILES = sorted({f for f, _ in LIST_KINDS.values()} | set(DICT_KINDS.values()))
#: Other packages' data files in the same folders; never read here.
FOREIGN_FILES = {"routine_indicators.yaml", "scenario_defaults.yaml", "labels.yaml"}


@dataclass
class _Raw:
    """Raw entries per kind, each with the file it came from."""

    lists: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    dicts: dict[str, tuple[str, Any]] = field(default_factory=dict)
    kind_files: dict[str, str] = field(default_factory=dict)


class FrameworkEntryError(FrameworkError):
    """A FrameworkError that also names the entry id: 'file F, entry E, field X: message'."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.entry = entry
        self.errors: list[FrameworkEntryError] = []
        super().__init__(message, file=file, row=row, field=field)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.entry:
            where.append(f"entry '{self.entry}'")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def _error(
    msg: str, file: str, entry: str | None = None, fld: str | None = None, row: int | None = None
) -> FrameworkEntryError:
    """A FrameworkError naming the file, the entry id and the field."""
    return FrameworkEntryError(msg, file=file, entry=entry, row=row, field=fld)


def _read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML file into a mapping, or raise FrameworkError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise _error(f"not valid YAML: {getattr(exc, 'problem', exc)}", path.name, row=row) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(f"cannot read: {exc}", path.name) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _error("the top level must be a mapping of kind -> entries", path.name)
    return data


def _add_file(raw: _Raw, name: str, data: dict[str, Any], extend: bool) -> None:
    """Put one file's kinds into `raw` (replacing or extending)."""
    for key, value in data.items():
        if key not in ALL_KINDS:
            raise _error(
                f"unknown top-level key '{key}' (known: {', '.join(sorted(ALL_KINDS))})",
                name,
                fld=str(key),
            )
        if key in DICT_KINDS:
            if not isinstance(value, dict):
                raise _error(f"'{key}' must be a mapping", name, fld=key)
            raw.dicts[key] = (name, value)
            raw.kind_files[key] = name
            continue
        if not isinstance(value, list):
            raise _error(f"'{key}' must be a list of entries", name, fld=key)
        items = [(name, v) for v in value]
        if extend:
            raw.lists.setdefault(key, []).extend(items)
            raw.kind_files[key] = raw.kind_files.get(key, "") + f"+{name}"
        else:
            raw.lists[key] = items
            raw.kind_files[key] = name


def _cache_dir() -> Path | None:
    """Where parsed defaults are cached across processes (MMSIS_CACHE_DIR=none disables)."""
    env = os.environ.get("MMSIS_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in {"", "none", "off"} else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mmsis"


def _read_cached(
    name_bytes: list[tuple[str, bytes]], cache: Path | None
) -> dict[str, dict[str, Any]] | None:
    """Parsed files from the JSON cache, keyed by a hash of the files' contents."""
    if cache is None:
        return None
    digest = hashlib.sha256()
    for name, data in name_bytes:
        digest.update(name.encode() + b"\0" + data + b"\0")
    path = cache / f"framework-{digest.hexdigest()[:20]}.json"
    try:
        parsed: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        if set(parsed) == {n for n, _ in name_bytes}:
            return parsed
    except (OSError, ValueError):
        pass
    return None


def _write_cached(
    name_bytes: list[tuple[str, bytes]], cache: Path | None, parsed: dict[str, Any]
) -> None:
    """Store parsed files in the JSON cache; a cache that cannot be written is skipped."""
    if cache is None:
        return
    digest = hashlib.sha256()
    for name, data in name_bytes:
        digest.update(name.encode() + b"\0" + data + b"\0")
    path = cache / f"framework-{digest.hexdigest()[:20]}.json"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(parsed), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        pass


@functools.lru_cache(maxsize=1)
def _default_raw() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Parsed default files: cached in-process, and as JSON on disk keyed by the files'
    content hash (YAML parsing is the slow part; JSON reads ~20x faster)."""
    name_bytes = [(name, (DATA_DIR / name).read_bytes()) for name in DEFAULT_FILES]
    cache = _cache_dir()
    parsed = _read_cached(name_bytes, cache)
    if parsed is None:
        parsed = {name: _read_yaml(DATA_DIR / name) for name in DEFAULT_FILES}
        _write_cached(name_bytes, cache, parsed)
    return tuple((name, parsed[name]) for name in DEFAULT_FILES)


def _collect(directory: Path | None) -> _Raw:
    """Merge default files with a country folder's files."""
    defaults = dict(_default_raw())
    overrides: dict[str, dict[str, Any]] = {}
    extensions: list[tuple[str, dict[str, Any]]] = []
    if directory is not None:
        directory = Path(directory)
        if not directory.is_dir():
            raise _error(f"framework folder not found: {directory}", str(directory))
        paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
        for path in paths:
            if path.name in FOREIGN_FILES:
                continue
            data = _read_yaml(path)
            if path.name in defaults:
                overrides[path.name] = data
            elif set(data) & ALL_KINDS:
                extensions.append((path.name, data))
    raw = _Raw()
    for name in DEFAULT_FILES:
        data = overrides.get(name, defaults[name])
        expected = {k for k, (f, _) in LIST_KINDS.items() if f == name}
        expected |= {k for k, f in DICT_KINDS.items() if f == name}
        unexpected = set(data) - expected
        if name in overrides and unexpected:
            key = sorted(unexpected)[0]
            raise _error(
                f"key '{key}' does not belong in {name} (expected: {', '.join(sorted(expected))});"
                " put extra kinds in a file with another name to extend the defaults",
                name,
                fld=key,
            )
        _add_file(raw, name, data, extend=False)
    for name, data in extensions:
        _add_file(raw, name, data, extend=True)
    return raw


def _entry_id(value: Any, index: int) -> str:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return f"#{index + 1}"


def _loc_field(loc: Sequence[int | str]) -> str:
    return ".".join(str(p) for p in loc) or "(entry)"


def _validate_list(
    raw: _Raw, kind: str, model: type[BaseModel], errors: list[FrameworkEntryError]
) -> list[Any]:
    """Validate the entries of one kind; collect errors; check ids are unique."""
    out: list[Any] = []
    seen: dict[str, str] = {}
    for i, (file, value) in enumerate(raw.lists.get(kind, [])):
        eid = _entry_id(value, i)
        if not isinstance(value, dict):
            errors.append(_error(f"{kind} entries must be mappings", file, eid, "(entry)"))
            continue
        try:
            obj = model.model_validate(value)
        except ValidationError as exc:
            for e in exc.errors():
                errors.append(_error(e["msg"], file, eid, _loc_field(e["loc"])))
            continue
        if eid in seen:
            errors.append(_error(f"duplicate {kind} id (also in {seen[eid]})", file, eid, "id"))
            continue
        seen[eid] = file
        out.append(obj)
    return out


def _check_refs(fw: Framework, raw: _Raw, errors: list[FrameworkEntryError]) -> None:
    """Every id that one entry refers to must exist."""
    ids = {
        "phase": {p.id for p in fw.phases},
        "pillar": {p.id for p in fw.pillars},
        "outcome": {o.id for o in fw.outcomes},
        "indicator": {i.id for i in fw.indicators},
        "design": {d.id for d in fw.designs},
        "data_source": {d.id for d in fw.data_sources},
        "epis": {e.id for e in fw.epis},
        "reaim": {r.id for r in fw.reaim},
        "cfir": {c.id for c in fw.cfir_constructs()} | {d.id for d in fw.cfir},
        "eric_cluster": {c.id for c in fw.eric_clusters},
    }
    file_of: dict[tuple[str, str], str] = {}
    for kind, items in raw.lists.items():
        for i, (file, value) in enumerate(items):
            file_of[(kind, _entry_id(value, i))] = file

    def check(kind: str, entry: Any, fld: str, target: str, values: Sequence[str | None]) -> None:
        for v in values:
            if v is not None and v not in ids[target]:
                file = file_of.get((kind, entry.id), raw.kind_files.get(kind, kind))
                errors.append(_error(f"unknown {target} id '{v}'", file, entry.id, fld))

    for p in fw.phases:
        check("phases", p, "epis_stage", "epis", [p.epis_stage])
        check("phases", p, "epis_stages", "epis", p.epis_stages)
    for e in fw.epis:
        check("epis", e, "phases", "phase", e.phases)
    for k in fw.key_results:
        check("key_results", k, "phase", "phase", [k.phase])
        check("key_results", k, "pillar", "pillar", [k.pillar])
        check("key_results", k, "indicator", "indicator", [k.indicator])
    for o in fw.outcomes:
        check("outcomes", o, "data_sources", "data_source", o.data_sources)
        check("outcomes", o, "reaim", "reaim", o.reaim)
    for r in fw.reaim:
        check("reaim", r, "outcomes", "outcome", r.outcomes)
    for ind in fw.indicators:
        check("indicators", ind, "pillar", "pillar", [ind.pillar])
        check("indicators", ind, "outcome", "outcome", [ind.outcome])
        check("indicators", ind, "data_source", "data_source", [ind.data_source])
    for d in fw.designs:
        check("designs", d, "phases", "phase", d.phases)
    for q in fw.questions:
        check("questions", q, "phases", "phase", q.phases)
        check("questions", q, "pillars", "pillar", q.pillars)
        check("questions", q, "outcomes", "outcome", q.outcomes)
        check("questions", q, "designs", "design", q.designs)
        check("questions", q, "data_sources", "data_source", q.data_sources)
        check("questions", q, "indicators", "indicator", q.indicators)
        check("questions", q, "cfir", "cfir", q.cfir)
    for s in fw.eric:
        check("eric", s, "cluster", "eric_cluster", [s.cluster])
    construct_seen: set[str] = set()
    domain_ids = {d.id for d in fw.cfir}
    for dom in fw.cfir:
        for c in dom.constructs:
            if c.id in construct_seen or c.id in domain_ids:
                file = file_of.get(("cfir", dom.id), "cfir.yaml")
                errors.append(_error(f"duplicate CFIR id '{c.id}'", file, dom.id, "constructs.id"))
            construct_seen.add(c.id)


def _build(raw: _Raw) -> tuple[Framework | None, list[FrameworkEntryError]]:
    """Validate every kind, assemble the Framework and check references."""
    errors: list[FrameworkEntryError] = []
    parts: dict[str, list[Any]] = {}
    for kind, (_, model) in LIST_KINDS.items():
        if kind in EVIDENCE_KEYS:
            continue
        parts[kind] = _validate_list(raw, kind, model, errors)
    evidence = _build_evidence(raw, errors)
    for kind in ("phases", "pillars", "outcomes"):
        if not parts[kind]:
            errors.append(_error(f"no {kind} defined", raw.kind_files.get(kind, kind), fld=kind))
    if evidence is None:
        return None, errors
    fw = Framework(**parts, evidence=evidence, files=dict(raw.kind_files))
    _check_refs(fw, raw, errors)
    return fw, errors


def _build_evidence(raw: _Raw, errors: list[FrameworkEntryError]) -> Evidence | None:
    """Validate evidence.yaml (effect sizes, multipliers, anchors, product)."""
    data: dict[str, Any] = {k: [v for _, v in raw.lists.get(k, [])] for k in EVIDENCE_KEYS[:3]}
    file_of: dict[str, str] = {k: raw.kind_files.get(k, "evidence.yaml") for k in EVIDENCE_KEYS}
    if "product" in raw.dicts:
        data["product"] = raw.dicts["product"][1]
    try:
        ev = Evidence.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = list(e["loc"])
            kind = str(loc[0]) if loc else "evidence"
            entry: str | None = kind
            rest = loc[1:]
            if kind in EVIDENCE_KEYS[:3] and rest and isinstance(rest[0], int):
                idx = rest[0]
                items = raw.lists.get(kind, [])
                entry = _entry_id(items[idx][1], idx) if idx < len(items) else f"#{idx + 1}"
                file = items[idx][0] if idx < len(items) else file_of[kind]
                rest = rest[1:]
            else:
                file = file_of.get(kind, "evidence.yaml")
            errors.append(_error(e["msg"], file, entry, _loc_field(rest)))
        return None
    for kind in EVIDENCE_KEYS[:3]:
        seen: set[str] = set()
        for i, (file, value) in enumerate(raw.lists.get(kind, [])):
            eid = _entry_id(value, i)
            if eid in seen:
                errors.append(_error(f"duplicate {kind} id", file, eid, "id"))
            seen.add(eid)
    return ev


def check_framework(directory: str | Path | None = None) -> list[FrameworkEntryError]:
    """Every problem in the knowledge base (defaults + `directory`); empty when it is valid."""
    try:
        raw = _collect(Path(directory) if directory is not None else None)
    except FrameworkEntryError as exc:
        return [exc]
    _, errors = _build(raw)
    return errors


def _load(directory: Path | None) -> Framework:
    raw = _collect(directory)
    fw, errors = _build(raw)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        exc = FrameworkEntryError(
            first.message + more,
            file=first.file,
            entry=getattr(first, "entry", None),
            row=first.row,
            field=first.field,
        )
        exc.errors = errors
        raise exc
    assert fw is not None
    return fw


@functools.lru_cache(maxsize=1)
def _default_framework() -> Framework:
    return _load(None)


def load_framework(directory: str | Path | None = None) -> Framework:
    """Load the knowledge base: the bundled default (cached), or the defaults with a country
    folder's YAML files replacing (same file name) or extending them."""
    if directory is None:
        return _default_framework()
    return _load(Path(directory))


#: Re-exported for callers that want to clear the cache in tests.
clear_cache: Callable[[], None] = _default_framework.cache_clear
