"""CSV files from users: where a quote is left open, and pandas reads that name the file and row.

A CSV field opened with a quote runs until its closing quote, so one stray quote swallows the
rest of the file and readers fail far away from it (DuckDB's "Referenced column ... not found",
pandas' "EOF inside string"). `unclosed_quote` finds the row where such a field opens, reading
the file line by line (memory stays bounded however large the file).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from mmsis.data import textio
from mmsis.errors import InputError


def unclosed_quote(path: str | Path, quote: bytes = b'"') -> tuple[int, int] | None:
    """(record, line) where a quoted field opens and is never closed, else None.

    Both are 1-based and count the header as record 1 and line 1; doubled quotes inside a
    quoted field ("") keep it open, as RFC 4180 says. Reads a UTF-8 file line by line.
    """
    inside = False
    record = 1
    opened = (0, 0)
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            n = line.count(quote)
            if n % 2:
                if not inside:
                    opened = (record, line_no)
                inside = not inside
            if not inside:
                record += 1
    return opened if inside else None


def quote_error(path: str | Path, file: str, header: bool = True) -> InputError | None:
    """An InputError naming the row (header excluded) where an unclosed quote opens, or None."""
    found = unclosed_quote(path)
    if found is None:
        return None
    record, line = found
    row = record - 1 if header else record
    if header and row == 0:
        return InputError(f"the header (line {line}) opens a quote (\") that is never closed",
                          file=file, row=None)
    return InputError(f'a quoted field opens on line {line} and its quote (") is never closed; '
                      "every field that starts with a quote needs a closing one",
                      file=file, row=row)


def header(path: str | Path, file: str) -> list[str]:
    """The first row of a UTF-8 CSV file (stripped names); InputError when it is unreadable."""
    limit = csv.field_size_limit()
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return [h.strip() for h in next(csv.reader(fh, strict=True), [])]
    except csv.Error as exc:
        raise (quote_error(path, file) or InputError(
            f"the header row cannot be read as CSV ({exc}; fields up to {limit:,} characters)",
            file=file)) from exc


def read_frame(path: str | Path, file: str, **kwargs: Any) -> pd.DataFrame:
    """pandas.read_csv of a UTF-8 file (all text unless told), errors naming the file and row."""
    kwargs.setdefault("dtype", str)
    kwargs.setdefault("keep_default_na", False)
    try:
        frame = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError as exc:
        raise InputError("the file is empty (no header row)", file=file) from exc
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        bad = quote_error(path, file, header=kwargs.get("header", "infer") is not None)
        if bad is not None:
            raise bad from exc
        raise InputError(f"not a readable CSV: {_first_line(exc)}", file=file) from exc
    if "index_col" not in kwargs and not isinstance(frame.index, pd.RangeIndex):
        # pandas takes the leading fields as an index when every row is longer than the header
        raise InputError(f"the rows have more fields than the header's {len(frame.columns)} "
                         "columns (a missing or extra separator?)", file=file, row=1)
    frame.columns = [c.strip() if isinstance(c, str) else c for c in frame.columns]
    return frame


def read_user_frame(path: str | Path, encoding: str | None = None, **kwargs: Any) -> pd.DataFrame:
    """A user's CSV file read through `textio` (encodings as documented there) by `read_frame`."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", file=str(p))
    with textio.utf8_file(p, encoding) as u:
        return read_frame(u, str(p), **kwargs)


def _first_line(exc: BaseException) -> str:
    """An exception's message without pandas' trailing detail lines."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
