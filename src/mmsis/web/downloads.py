"""Download headers for any file name: RFC 6266 `attachment` with an RFC 5987 `filename*`.

HTTP headers are Latin-1, so a file name such as `报告.pdf` or `ሪፖርት.txt` cannot go in a
plain `filename="..."` (Starlette raised, answering 500). Every download answers
`attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded name>`:
browsers use the UTF-8 name, old clients the fallback.
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

_NOT_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SAFE.sub("_", plain)


def ascii_fallback(filename: str, default: str = "download") -> str:
    """An ASCII-only stand-in for filename (accents dropped, other letters as `_`)."""
    stem, suffix = os.path.splitext(filename)
    ascii_stem = _ascii(stem).strip(" ._")
    if not ascii_stem.strip("_- "):
        ascii_stem = default
    ascii_suffix = _ascii(suffix).replace("_", "")[:20]
    return ascii_stem[:120] + (ascii_suffix if ascii_suffix != "." else "")


MAX_NAME = 150
"""Characters of a download's name kept (its stem cut, the suffix kept): a scenario may be
named with 250 kB of text, and a header that long is refused by proxies (nginx answers 502
past its 4-8 kB buffer) and file systems (255 bytes a name)."""


def content_disposition(filename: str) -> str:
    """The Content-Disposition value that downloads `filename` under its own name."""
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C") or "download"
    if len(name) > MAX_NAME:
        stem, suffix = os.path.splitext(name)
        suffix = suffix if len(suffix) <= 20 else ""
        name = stem[: MAX_NAME - len(suffix)].rstrip() + suffix
    return (
        f'attachment; filename="{ascii_fallback(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )


def attachment(filename: str) -> dict[str, str]:
    """Response headers for a download named `filename`."""
    return {"Content-Disposition": content_disposition(filename)}
