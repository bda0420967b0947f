"""The gettext catalogs with the translations waiting in i18n-pending.json on top (issue #17):
tests render in French and Portuguese as they will read once the lead merges the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mmsis import i18n

ROOT = Path(__file__).resolve().parents[1]
PENDING: dict[str, dict[str, Any]] = json.loads((ROOT / "i18n-pending.json").read_text("utf-8"))


class WithPending:
    """A language's catalog with the pending translations on top (what the merge will give)."""

    def __init__(self, real: Any, lang: str) -> None:
        self.real, self.lang = real, lang

    def gettext(self, message: str) -> str:
        """The pending translation of a message, else the catalog's."""
        entry = PENDING.get(message)
        if entry and isinstance(entry.get(self.lang), str):
            return str(entry[self.lang])
        return str(self.real.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Plurals from the catalog (none is pending)."""
        return str(self.real.ngettext(singular, plural, n))

    def pgettext(self, context: str, message: str) -> str:
        """Messages with a context from the catalog (none is pending)."""
        return str(self.real.pgettext(context, message))


def use_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `mmsis.i18n` translate with the catalogs plus the pending translations."""
    real = i18n.translations

    def translations(code: str | None = None) -> Any:
        lang = i18n.normalise(code) or i18n.current_language()
        return WithPending(real(code), lang)

    monkeypatch.setattr(i18n, "translations", translations)


def translated(message: str, lang: str) -> bool:
    """Whether a message has a translation, pending or in the catalog."""
    entry = PENDING.get(message)
    return bool(entry and entry.get(lang)) or i18n.translations(lang).gettext(message) != message
