"""Errors a user can act on: each names where the problem is (file, row, column, field)."""

from __future__ import annotations


class MmsisError(Exception):
    """Base class for errors caused by user input or configuration, shown without a traceback."""


class InputError(MmsisError, ValueError):
    """Bad input data or arguments; names the file, row, column or argument at fault.

    ``row`` is 1-based as a person counts rows in a data file (header excluded) where it applies.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class FrameworkError(InputError):
    """A knowledge-base file is invalid: names the file, the entry and the field."""
