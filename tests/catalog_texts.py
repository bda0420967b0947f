"""The French and Portuguese texts of the gettext catalogs, read from the .po files (issue
#17): tests compare what a page or file shows with the catalog's own translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from mmsis import i18n

LOCALES = Path(__file__).resolve().parents[1] / "src" / "mmsis" / "locale"


def _catalog() -> dict[str, dict[str, str]]:
    """msgid -> {"fr": ..., "pt": ...} for every singular message translated in both."""
    texts: dict[str, dict[str, str]] = {}
    for lang in ("fr", "pt"):
        with (LOCALES / lang / "LC_MESSAGES" / "mmsis.po").open("rb") as f:
            for m in read_po(f):
                if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string:
                    texts.setdefault(m.id, {})[lang] = m.string
    return {k: v for k, v in texts.items() if len(v) == 2}


CATALOG: dict[str, dict[str, str]] = _catalog()


def translated(message: str, lang: str) -> bool:
    """Whether the catalog of `lang` translates the message."""
    return i18n.translations(lang).gettext(message) != message
