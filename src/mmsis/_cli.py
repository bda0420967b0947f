"""Shared helpers for the command line: JSON output, tables, error exits."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape, render
from rich.table import Table

from mmsis.serialize import to_jsonable

if TYPE_CHECKING:
    import pandas as pd


class _Console(Console):
    """A rich console on which text that is not valid markup prints as it is: a user's file,
    org unit or concept named like '[/x]' ended the command in a MarkupError traceback."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: D102 - as rich's
        if kwargs.get("markup") is not False and self._markup:
            try:
                for o in objects:
                    if isinstance(o, str):
                        render(o)  # parses only: raises on a bad closing tag
            except MarkupError:
                kwargs["markup"] = False
        super().print(*objects, **kwargs)


console = _Console()
err_console = _Console(stderr=True)


def use_language(lang: str | None) -> None:
    """Speak `--lang` (en, fr, pt) for the rest of the command; a wrong code is an input error."""
    if lang is None:
        return
    from mmsis import i18n

    try:
        i18n.set_language(i18n.check_language(lang))
    except ValueError as exc:
        import typer

        raise typer.BadParameter(str(exc), param_hint="--lang") from None


def print_json(obj: Any) -> None:
    """Print machine-readable output to stdout (no colour, no wrapping)."""
    print(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False))


def print_table(df: pd.DataFrame, title: str | None = None, float_digits: int = 4) -> None:
    """Print a DataFrame as a readable rich table (numbers through ``mmsis.present.format``:
    ``float_digits`` significant digits, thousands separators, never scientific notation)."""
    import numpy as np

    from mmsis.present import numbers as fmt

    # cells, headers and title are the data's text, never markup ('[/x]' in a name)
    table = Table(title=escape(title) if title is not None else None, show_lines=False)
    for col in df.columns:
        table.add_column(escape(str(col)), overflow="fold")
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
                cells.append("" if math.isnan(v) else fmt.number(v, float_digits))
            else:
                cells.append(escape(fmt.text(v)))
        table.add_row(*cells)
    console.print(table)


@contextmanager
def step(message: str) -> Iterator[None]:
    """Show a long step on stderr while it runs (a spinner) and how long it took, when stderr
    is a terminal; pipes and captured output (scripts, tests, --json) stay untouched."""
    if not err_console.is_terminal:
        yield
        return
    start = time.monotonic()
    with err_console.status(escape(message) + " ..."):
        yield
    seconds = time.monotonic() - start
    if seconds >= 2:
        err_console.print(f"{message}: done in {seconds:.0f} s", highlight=False)


def print_sentence(text: str) -> None:
    """Print what a result means (mmsis.present.sentences) under its table."""
    if text:
        console.print(text, highlight=False)


def print_frame(
    df: pd.DataFrame, as_json: bool, title: str, drop: Sequence[str] = ()
) -> None:
    """Print a result frame as JSON records (all columns) or as a table without ``drop``."""
    if as_json:
        print_json(df)
    else:
        print_table(df.drop(columns=list(drop)), title=title)
