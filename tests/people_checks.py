"""Detectors for text people read (issue #15), shared by the page and the command-line scans.

Each detector finds what a ministry officer should not have to read: a number in scientific
notation, a raw float with more than 3 decimals, a period written as 202412 or 2024Q4, a DHIS2
uid, a snake_case id, or an internal id (org unit, data element, knowledge base) where a label
exists. "Label (id)" is allowed only where the caller says the user types the id back.
"""

from __future__ import annotations

import re

SCIENTIFIC = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b")
#: a float with 4 or more decimals and more than 3 significant digits (0.7857, 1.1114); the
#: formatter's 3 significant digits (0.0357, 0.0000297) pass
LONG_FLOAT = re.compile(r"\b(?:[1-9]\d*\.\d{4,}|0\.0*[1-9]\d{3,})\b")
RAW_PERIOD = re.compile(r"\b(?:19|20)\d{2}"
                        r"(?:(?:0[1-9]|1[0-2])\b|-(?:0[1-9]|1[0-2])\b(?!-)|Q[1-4]\b)")
DHIS2_UID = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])"
                       r"[A-Za-z][A-Za-z0-9]{10}\b")
SNAKE_ID = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.@/-])")
#: "Label (id)": the id in brackets after a word, as written where a user types it back.
LABEL_ID = re.compile(r"(?<=\S) \([A-Za-z0-9_.:]+\)")

DETECTORS = (("scientific notation", SCIENTIFIC), ("long float", LONG_FLOAT),
             ("raw period", RAW_PERIOD), ("DHIS2 uid", DHIS2_UID), ("snake_case id", SNAKE_ID))


def problems(parts: list[str], ids: set[str], typed_ids: bool = False) -> list[str]:
    """Every unreadable number, raw period or internal id in the texts, with context.

    With ``typed_ids`` a "label (id)" pair is allowed (the id is one the user types back, as
    ``--indicator`` or a plan file); without it only uppercase codes in brackets pass (the
    DHIS2 sync form's "Name (UID)").
    """
    found = []
    for text in parts:
        scanned = LABEL_ID.sub("", text) if typed_ids else text
        for name, pattern in DETECTORS:
            for m in pattern.finditer(scanned):
                found.append(f"{name} {m.group(0)!r} in {text[:90]!r}")
        bare = re.sub(r"(?<=\w) \([A-Za-z0-9_]+\)", "", scanned)
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*\d*(?![\w+])", bare):
            if word in ids:
                found.append(f"internal id {word!r} in {text[:90]!r}")
    return found


def knowledge_base_ids() -> set[str]:
    """Ids of pillars, phases, questions, key results and indicators that are not plain words."""
    from mmsis.framework import load_framework

    fw = load_framework()
    ids: set[str] = set()
    for kind in (fw.pillars, fw.phases, fw.questions, fw.key_results, fw.indicators):
        ids |= {str(r.id) for r in kind}
    # single English words ("supply", "introduce") are read as words, not as ids
    return {i for i in ids if re.search(r"[_\d.]", i)}
