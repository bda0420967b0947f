"""Languages: English, French and Portuguese through gettext catalogs managed by Babel.

The catalogs are ``mmsis/locale/<lang>/LC_MESSAGES/mmsis.po`` (`make translations` extracts,
updates and compiles them with pybabel). A compiled ``mmsis.mo`` next to a ``.po`` is used
when it is at least as new; otherwise the ``.po`` is compiled in memory when first needed, so a
checkout without compiled files still speaks every language.

The language in use is a context variable: the CLI sets it from ``--lang`` or ``MMSIS_LANG``,
the web from the user's setting or the browser's ``Accept-Language``. Everything a person
reads asks ``gettext`` (``_``) for its words and ``current_locale`` for its number and date
formats (mmsis.present). No project imports: every layer may use it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from contextvars import ContextVar, Token
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.support import NullTranslations

LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "pt": "Português"}
"""The languages mmsis speaks, by code, with their own names (for language pickers)."""
DEFAULT_LANGUAGE = "en"
DOMAIN = "mmsis"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: ContextVar[str | None] = ContextVar("mmsis_language", default=None)


def normalise(code: str | None) -> str | None:
    """A supported language code from "fr", "fr-FR", "pt_MZ" or "PT" (None if unsupported)."""
    if not code:
        return None
    base = str(code).strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def check_language(code: str | None) -> str:
    """The supported code for a --lang/MMSIS_LANG value; ValueError naming the choices."""
    found = normalise(code)
    if found is None:
        raise ValueError(f"unknown language {code!r}; choose one of {', '.join(LANGUAGES)}")
    return found


def current_language() -> str:
    """The language in use: the one set for this context, else MMSIS_LANG, else English."""
    return _current.get() or normalise(os.environ.get("MMSIS_LANG")) or DEFAULT_LANGUAGE


def current_locale() -> str:
    """The CLDR locale for numbers and dates in the language in use ("en", "fr", "pt")."""
    return current_language()


def set_language(code: str | None) -> Token[str | None]:
    """Use this language in the current context (a token to reset it with)."""
    return _current.set(normalise(code))


@contextlib.contextmanager
def language(code: str | None) -> Iterator[str]:
    """Speak `code` inside the block (the previous language afterwards)."""
    token = _current.set(normalise(code) or current_language())
    try:
        yield current_language()
    finally:
        _current.reset(token)


def negotiate(accept_language: str | None) -> str | None:
    """The best supported language of an Accept-Language header (by q value), or None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")[:20]):
        piece = part.strip().split(";")
        q = 1.0
        for param in piece[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = normalise(piece[0])
        if code is not None and q > 0:
            ranked.append((-q, i, code))
    return min(ranked)[2] if ranked else None


@lru_cache(maxsize=8)
def _translations(code: str, stamp: tuple[float, float]) -> NullTranslations:
    """The catalog of a language: its .mo if fresh, else its .po compiled in memory."""
    from babel.support import NullTranslations, Translations

    folder = LOCALE_DIR / code / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    po_time, mo_time = stamp
    if mo.exists() and mo_time >= po_time:
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if not po.exists():
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def translations(code: str | None = None) -> NullTranslations:
    """The gettext translations of a language (the language in use by default)."""
    lang = normalise(code) or current_language()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    stamps = []
    for name in (f"{DOMAIN}.po", f"{DOMAIN}.mo"):
        path = folder / name
        stamps.append(path.stat().st_mtime if path.exists() else -1.0)
    return _translations(lang, (stamps[0], stamps[1]))


def gettext(message: str) -> str:
    """The message in the language in use (English when it has no translation)."""
    if not message or current_language() == DEFAULT_LANGUAGE:
        return message
    return str(translations().gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural of a message, in the language in use."""
    if current_language() == DEFAULT_LANGUAGE:
        return singular if n == 1 else plural
    return str(translations().ngettext(singular, plural, n))


def pgettext(context: str, message: str) -> str:
    """A message with a context (the same English word meaning two things)."""
    if current_language() == DEFAULT_LANGUAGE:
        return message
    return str(translations().pgettext(context, message))


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction without translating it now (translated where shown)."""
    return message


_WORD = re.compile(r"[A-Za-z][a-z]+")


def gettext_words(text: str) -> str:
    """Each word of `text` in the language in use, the rest as written: for labels composed
    of catalog words ("richest - poorest", "(urban / rural)") that are no message themselves."""
    return _WORD.sub(lambda w: gettext(w.group(0)), text)


_ = gettext

__all__ = ["LANGUAGES", "N_", "_", "check_language", "current_language", "current_locale",
           "gettext", "gettext_words", "language", "negotiate", "ngettext", "normalise",
           "pgettext", "set_language", "translations"]
