"""Reading user text safely: encodings named when refused, JSON bounded in depth.

Every reader of user files (CLI imports, survey readers, web uploads) decodes through here:
UTF-8 with or without a byte-order mark and UTF-16 with one are read; anything else is
refused naming the encoding it looks like, unless the user names one (`--encoding`).
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mmsis.errors import InputError
from mmsis.serialize import JSONValue

ACCEPTED = "UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark"
MAX_JSON_DEPTH = 64
MAX_DATA_VALUE = 1e12  # no routine count or population a health system reports is larger
_CHUNK = 1 << 20
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def _bom_encoding(head: bytes) -> str | None:
    """The codec a byte-order mark names ('utf-8-sig', 'utf-16'), or None."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _looks_like(sample: bytes) -> str:
    """A person's name for the encoding a non-UTF-8 sample most likely is."""
    if sample[:4096].count(b"\x00") > len(sample[:4096]) // 8:
        return "UTF-16 or UTF-32 without a byte-order mark"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "a legacy code page (not UTF-8, not Windows-1252)"
    return "Latin-1 / Windows-1252 (ISO-8859-1, cp1252)"


def check_encoding_name(encoding: str, file: str | None = None) -> str:
    """The codec name for a user-given encoding; InputError naming it when unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputError(f"unknown encoding '{encoding}'", file=file, field="encoding") from exc


def _refuse(file: str | None, codec: str, bad: bytes, line: int, sample: bytes) -> InputError:
    """An InputError naming where decoding failed (line, byte) and what the file looks like."""
    if codec.startswith("utf-8"):
        return InputError(
            f"the file is not UTF-8 (byte 0x{bad.hex()} at line {line}); it looks like "
            f"{_looks_like(sample)}. Save it as {ACCEPTED}, or name its encoding "
            "(--encoding latin-1, for example)",
            file=file,
        )
    return InputError(
        f"the file is not valid {codec} (byte 0x{bad.hex()} at line {line})", file=file
    )


def detect_codec(head: bytes, encoding: str | None = None, file: str | None = None) -> str:
    """The codec to read a file with: the user's, a UTF-8/UTF-16 BOM's, else UTF-8.

    Refuses UTF-32 and BOM-less UTF-16 (naming them); the caller still checks the bytes.
    """
    if encoding:
        return check_encoding_name(encoding, file)
    bom = _bom_encoding(head)
    if bom == "utf-32":
        raise InputError(f"the file is UTF-32; save it as {ACCEPTED}", file=file)
    if bom:
        return bom
    if b"\x00" in head[:4096]:
        raise InputError(
            f"the file looks like {_looks_like(head)}; save it as {ACCEPTED} "
            "(or name its encoding with --encoding utf-16-le)",
            file=file,
        )
    return "utf-8-sig"


def decode(data: bytes, encoding: str | None = None, file: str | None = None) -> str:
    """The text of a file's bytes (see module doc); InputError names the encoding problem."""
    codec = detect_codec(data[:65536], encoding, file)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1]
        raise _refuse(file, codec, bad, line, data[:65536]) from exc
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """The whole text of a file (decoded as `decode` does)."""
    p = Path(path)
    return decode(p.read_bytes(), encoding, str(p))


@contextmanager
def utf8_file(path: str | Path, encoding: str | None = None) -> Iterator[Path]:
    """A UTF-8 view of a file for readers that take a path (DuckDB, pandas).

    Yields the file itself when it is UTF-8 already (checked in 1 MB chunks, so memory stays
    bounded), else a temporary UTF-8 copy, deleted on exit. Refusals as `decode`.
    """
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(65536)
    codec = detect_codec(head, encoding, str(p))
    if codec in ("utf-8", "utf-8-sig"):
        _check_stream(p, codec)
        yield p
        return
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", suffix=p.suffix, delete=False
    ) as out:
        tmp = Path(out.name)
        try:
            for chunk in _decoded_chunks(p, codec):
                out.write(chunk)
        except BaseException:
            out.close()
            tmp.unlink(missing_ok=True)
            raise
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _decoded_chunks(p: Path, codec: str) -> Iterator[str]:
    """The file decoded chunk by chunk; InputError at the first undecodable byte."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines, first, sample = 1, True, b""
    with open(p, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            sample = sample or chunk[:65536]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line = lines + chunk[: max(exc.start, 0)].count(b"\n")
                bad = exc.object[exc.start : exc.start + 1]
                raise _refuse(str(p), codec, bad, line, sample) from exc
            if first and text.startswith("\ufeff"):
                text = text[1:]
            first = False
            if text:
                yield text
            if not chunk:
                return
            lines += chunk.count(b"\n")


def _check_stream(p: Path, codec: str) -> None:
    """Decode the whole file in chunks, keeping nothing (UTF-8 check in bounded memory)."""
    for _ in _decoded_chunks(p, codec):
        pass


def json_depth(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of a JSON text (strings skipped); stops counting past limit + 1."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def loads_json(
    data: bytes | str, file: str | None = None, max_depth: int = MAX_JSON_DEPTH
) -> JSONValue:
    """Parse JSON text, refusing (InputError) nesting deeper than max_depth before parsing."""
    if json_depth(data, max_depth) > max_depth:
        raise InputError(f"the JSON is nested deeper than {max_depth} levels", file=file)
    text = decode(data, file=file) if isinstance(data, bytes) else data
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            file=file,
            row=exc.lineno,
        ) from exc
    except RecursionError as exc:  # pragma: no cover - the depth check comes first
        raise InputError("the JSON is nested too deeply", file=file) from exc


def load_json_file(path: str | Path, encoding: str | None = None) -> JSONValue:
    """Read and parse a JSON file (decoded and depth-checked as above)."""
    p = Path(path)
    return loads_json(read_text(p, encoding), str(p))


def value_problem(value: float) -> str | None:
    """Why a data value cannot be a count or population (not finite, above 1e12), or None."""
    if value != value or value in (float("inf"), float("-inf")):
        return f"{value} is not a finite number"
    if abs(value) > MAX_DATA_VALUE:
        return f"{value:g} is beyond {MAX_DATA_VALUE:g}, more than any count this field can hold"
    return None
