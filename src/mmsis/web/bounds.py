"""Value bounds of the web workspace, in one place: ids in URLs and text and whole numbers
written to the database.

- An id in a URL outside what a database row id can be (negative, or beyond 2^63 - 1) names
  nothing: `IdBounds` answers 404 before routing (SQLite raised OverflowError on such ids,
  answering 500). Integer query parameters found by walking the app's routes are held to the
  same range.
- Text longer than its column (`String(n)`) and whole numbers outside their column type are
  refused with an InputError naming the field (422), the same on SQLite (which would store
  them) and PostgreSQL (which raised, answering 500). The lengths come from the model
  columns themselves: a session hook checks every object before it is flushed, and
  `check_rows` checks rows written in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import BigInteger, Integer, SmallInteger, String, Table, event
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from mmsis.errors import InputError

ID_MAX = 2**63 - 1
INT_RANGES = {
    SmallInteger: (-(2**15), 2**15 - 1),
    BigInteger: (-(2**63), 2**63 - 1),
    Integer: (-(2**31), 2**31 - 1),  # PostgreSQL's INTEGER; SQLite's would go to 2^63
}
_INTEGER = re.compile(r"[+-]?\d+")


def id_in_range(text: str) -> bool:
    """Whether text, if it is a whole number, can be a row id (0 .. 2^63 - 1)."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        return True  # not a number: the route's own validation answers
    digits = text.lstrip("+-")
    if text.startswith("-"):
        return digits.strip("0") == ""
    return len(digits.lstrip("0")) <= 19 and int(digits) <= ID_MAX


def int_query_names(routes: Iterable[Any]) -> frozenset[str]:
    """Names of the integer query parameters of the app's routes (walked once)."""
    from fastapi.dependencies.utils import get_flat_params

    from mmsis.web.app import iter_routes

    names = set()
    for route in iter_routes(list(routes)):
        for param in get_flat_params(route.dependant):
            annotation = str(param.field_info.annotation)
            if type(param.field_info).__name__ == "Query" and re.search(r"\bint\b", annotation):
                names.add(param.alias or param.name)
    return frozenset(names)


class IdBounds:
    """404 for a URL whose numeric path segment (or integer query parameter) cannot be an id.

    Pure ASGI middleware; `app_of` gives the FastAPI app whose routes name the integer query
    parameters (walked on the first request, when every router is included).
    """

    def __init__(self, app: Any, app_of: Callable[[], Any]) -> None:
        self.app = app
        self.app_of = app_of
        self._query_names: frozenset[str] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._in_range(scope):
            from starlette.requests import Request

            from mmsis.web.app import _error

            response = _error(
                Request(scope, receive), 404, "Not found", "no such item (the id is out of range)"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _in_range(self, scope: Any) -> bool:
        path = str(scope.get("path", ""))
        if not all(id_in_range(part) for part in path.split("/") if part):
            return False
        query = scope.get("query_string", b"")
        if not query:
            return True
        if self._query_names is None:
            self._query_names = int_query_names(self.app_of().routes)
        names = self._query_names
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        return all(id_in_range(v) for k, v in pairs if k in names)


def _int_range(column_type: Any) -> tuple[int, int] | None:
    for kind, bounds in INT_RANGES.items():
        if isinstance(column_type, kind):
            return bounds
    return None


def check_value(table: FromClause, key: str, value: Any, row: int | None = None) -> None:
    """Refuse a value its column cannot hold (text too long, whole number out of range)."""
    if value is None or key not in table.columns:
        return
    column_type = table.columns[key].type
    if isinstance(column_type, String) and column_type.length and isinstance(value, str):
        if len(value) > column_type.length:
            raise InputError(
                f"is {len(value):,} characters long; at most {column_type.length:,} are allowed",
                field=key,
                row=row,
            )
        return
    bounds = _int_range(column_type)
    if bounds and isinstance(value, int) and not isinstance(value, bool):
        low, high = bounds
        if not low <= value <= high:
            raise InputError(f"must be between {low:,} and {high:,}", field=key, row=row)


def check_rows(table: FromClause, rows: Iterable[Mapping[str, Any]]) -> None:
    """Check rows written in bulk; an error names the row (1-based) and the field."""
    for i, row in enumerate(rows, start=1):
        for key, value in row.items():
            check_value(table, key, value, row=i)


def check_object(obj: Any) -> None:
    """Check every column value of an ORM object about to be written."""
    table = getattr(obj, "__table__", None)
    if not isinstance(table, Table):
        return
    mapper = obj.__mapper__
    for attr in mapper.column_attrs:
        for column in attr.columns:
            if column.table is table:
                check_value(table, column.key, getattr(obj, attr.key, None))


def install(session_class: type[Session] = Session) -> None:
    """Check the web tables' objects before every flush (once per process)."""
    if event.contains(session_class, "before_flush", _before_flush):
        return
    event.listen(session_class, "before_flush", _before_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    from mmsis.web.models import Base

    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Base):
            check_object(obj)
