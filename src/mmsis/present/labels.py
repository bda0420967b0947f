"""Words for ids: knowledge-base entries, model parameters, output keys, org units, elements.

Labels come from one place per kind: phases, pillars, key results, questions, outcomes,
indicators, designs and effect sizes from the knowledge base (``mmsis.framework``); model
parameters, output keys and data-quality checks from ``framework/data/labels.yaml``; routine
indicators from ``framework/data/routine_indicators.yaml``; org units, data elements and
data sets from the programme's store when one is given. An id without a label is written
as words ("scale_up" -> "Scale up") rather than shown raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mmsis.i18n import gettext

if TYPE_CHECKING:
    from mmsis.data.store import Store

#: The kinds ``Labels.label`` knows, in the order an id without a kind is looked up.
KINDS = ("phase", "pillar", "key_result", "question", "outcome", "indicator",
         "routine_indicator", "design", "data_source", "effect", "parameter", "output", "check",
         "term", "word", "org_unit", "data_element", "data_set")


def humanise(id: str) -> str:
    """An id written as words: "scale_up" -> "Scale up", "dalys_averted" -> "Dalys averted"."""
    text = str(id).replace("_", " ").replace("-", " ").strip()
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text else text


def _data_dir(directory: str | Path | None) -> Path:
    from mmsis.framework import DATA_DIR

    return Path(directory) if directory is not None else DATA_DIR


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=4)
def _label_file(directory: str | None) -> dict[str, Any]:
    """labels.yaml: the bundled one, with a country folder's entries over it."""
    from mmsis.framework import DATA_DIR

    merged = _read(DATA_DIR / "labels.yaml")
    if directory is not None:
        for section, entries in _read(Path(directory) / "labels.yaml").items():
            if isinstance(entries, dict):
                merged.setdefault(section, {}).update(entries)
    return merged


@lru_cache(maxsize=4)
def _framework_maps(directory: str | None) -> dict[str, dict[str, str]]:
    """id -> label for each knowledge-base kind."""
    from mmsis.framework import load_framework

    fw = load_framework(directory)
    maps: dict[str, dict[str, str]] = {
        "phase": {p.id: p.name for p in fw.phases},
        "pillar": {p.id: p.name for p in fw.pillars},
        "key_result": {k.id: k.title for k in fw.key_results},
        "question": {q.id: q.text for q in fw.questions},
        "outcome": {o.id: o.name for o in fw.outcomes},
        "indicator": {i.id: i.name for i in fw.indicators},
        "design": {d.id: d.name for d in fw.designs},
        "data_source": {d.id: d.name for d in fw.data_sources},
        "effect": {e.id: e.outcome for e in fw.evidence.effect_sizes},
    }
    routine = _read(_data_dir(directory) / "routine_indicators.yaml")
    if not routine and directory is not None:
        routine = _read(_data_dir(None) / "routine_indicators.yaml")
    maps["routine_indicator"] = {
        str(i["id"]): str(i.get("name", i["id"]))
        for i in routine.get("indicators", []) if isinstance(i, dict) and "id" in i}
    labels = _label_file(directory)
    for kind, section in (("parameter", "parameters"), ("output", "outputs"),
                          ("check", "checks"), ("term", "terms"), ("word", "words")):
        maps[kind] = {str(k): str(v["label"] if isinstance(v, dict) else v)
                      for k, v in (labels.get(section) or {}).items()}
    for e in fw.evidence.effect_sizes:  # rr.<effect>: the model's relative-risk parameters
        maps["parameter"].setdefault(f"rr.{e.id}", _rr_label(e.outcome))
    return maps


def _rr_label(outcome: str) -> str:
    """The English label of a relative-risk parameter (translated by `Labels.find`)."""
    return f"Relative risk of {outcome}, MMS vs IFA"


def store_names(store: Store) -> dict[str, dict[str, str]]:
    """Org-unit and data-element names held by a programme store (id -> name)."""
    from mmsis.data import queries

    return queries.names(store)


_OWN_NAMES = frozenset({"org_unit", "data_element", "data_set"})


class Labels:
    """Look up the label of an id, by kind or across kinds; raw ids never reach a person."""

    def __init__(self, names: Mapping[str, Mapping[str, str]] | None = None,
                 framework_dir: str | Path | None = None) -> None:
        directory = str(framework_dir) if framework_dir is not None else None
        self._maps: dict[str, dict[str, str]] = {
            k: dict(v) for k, v in _framework_maps(directory).items()}
        self._units = {str(k): str(v.get("unit", "")) for section in ("outputs", "parameters")
                       for k, v in (_label_file(directory).get(section) or {}).items()
                       if isinstance(v, dict)}
        for kind, mapping in (names or {}).items():
            self._maps.setdefault(kind, {}).update({str(k): str(v) for k, v in mapping.items()})

    @classmethod
    def from_store(cls, store: Store, framework_dir: str | Path | None = None) -> Labels:
        """Labels with the org-unit and data-element names of a programme store."""
        return cls(store_names(store), framework_dir)

    def find(self, id: Any, kind: str | None = None) -> str | None:
        """The label of ``id`` (of ``kind``, or the first kind that knows it), or None."""
        key = str(id)
        for k in ((kind,) if kind else KINDS):
            found = self._maps.get(k, {}).get(key)
            if found:  # the programme's own names stay as they are; ours are translated
                if k == "parameter" and key.startswith("rr.") and \
                        found == _rr_label(self._maps["effect"].get(key[3:], "")):
                    return gettext("Relative risk of %(outcome)s, MMS vs IFA") % {
                        "outcome": gettext(self._maps["effect"][key[3:]])}
                return found if k in _OWN_NAMES else gettext(found)
        return None

    def label(self, id: Any, kind: str | None = None) -> str:
        """The label of ``id``; an unknown id is written as words."""
        if id is None:
            return ""
        return self.find(id, kind) or gettext(humanise(str(id)))

    def with_id(self, id: Any, kind: str | None = None) -> str:
        """"Label (id)" where a user needs the id to type it back; the id alone if no label."""
        found = self.find(id, kind)
        return f"{found} ({id})" if found and found != str(id) else str(id)

    def unit(self, id: str) -> str:
        """How an output or parameter is written (count, money, percent, number), or ""."""
        return self._units.get(str(id), "")


@lru_cache(maxsize=1)
def default_labels() -> Labels:
    """The bundled knowledge base's labels (no store names)."""
    return Labels()


def label(id: Any, kind: str | None = None) -> str:
    """Shortcut: the label of ``id`` from the bundled knowledge base."""
    return default_labels().label(id, kind)


__all__ = ["KINDS", "Labels", "default_labels", "humanise", "label", "store_names"]
