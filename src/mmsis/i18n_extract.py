"""A Babel extractor for the knowledge base's YAML: the words people read (labels, names,
titles) go into the gettext catalogs beside the strings of the code and the templates.

babel.cfg maps the files: ``[mmsis.i18n_extract:extract_yaml: src/mmsis/framework/data/...]``
with ``keys = label,name,title`` (the fields extracted). In labels.yaml an entry that is a
plain string is its own label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import yaml

Message = tuple[int, str | None, str, list[str]]


def _walk(node: Any, keys: set[str], where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if str(k) in keys and isinstance(v, str) and v.strip():
                yield where, v.strip()
            elif str(k) in keys and isinstance(v, list) and all(isinstance(i, str) for i in v):
                for item in v:  # a list of texts (the protocol's ethics checklist)
                    if item.strip():
                        yield f"{where}.{k}" if where else str(k), item.strip()
            elif isinstance(v, dict | list):
                yield from _walk(v, keys, f"{where}.{k}" if where else str(k))
            elif where in ("outputs", "parameters", "checks", "terms", "words") \
                    and isinstance(v, str) and "plain" in keys and v.strip():
                yield f"{where}.{k}", v.strip()
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, keys, where)


def extract_yaml(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                 options: dict[str, str]) -> Iterator[Message]:
    """Babel extraction method: (lineno, funcname, message, comments) for each YAML label."""
    data = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    keys = {k.strip() for k in options.get("keys", "label,name,title").split(",") if k.strip()}
    seen: set[str] = set()
    for where, text in _walk(data, keys, ""):
        if text not in seen:
            seen.add(text)
            yield 0, None, text, [f"knowledge base: {where}"]


_PLACEHOLDER = re.compile(r"%(\(\w+\))?[sdfr]")


def fix_format_flags(pot: str) -> int:
    """Drop Babel's automatic python-format flag from messages whose % is a percent sign
    ("95% CI", "% of price"), so compiling does not misread "% d" as a placeholder."""
    from babel.messages.pofile import read_po, write_po

    with open(pot, "rb") as fh:
        catalog = read_po(fh)
    fixed = 0
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.id and "python-format" in message.flags \
                and not any(_PLACEHOLDER.search(str(i)) for i in ids):
            message.flags.discard("python-format")
            fixed += 1
    with open(pot, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    return fixed


def compile_catalog(po: str) -> str:
    """Write the .mo beside a .po with Babel (its checker would misread "95% c" as a
    placeholder; mmsis never %-formats a message without a named placeholder)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as fh:
        catalog = read_po(fh)
    done = sum(1 for m in catalog if m.id and m.string and all(m.string if isinstance(
        m.string, tuple) else (m.string,)))
    mo = po[: -len(".po")] + ".mo"
    with open(mo, "wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    return f"{mo}: {done} of {sum(1 for m in catalog if m.id)} messages translated"


if __name__ == "__main__":  # make translations: fix the flags, then compile with --compile
    import sys

    args = sys.argv[1:]
    if args and args[0] == "--compile":
        for path in args[1:]:
            print(compile_catalog(path))
    else:
        for path in args:
            print(f"{path}: python-format dropped from {fix_format_flags(path)} message(s)")
