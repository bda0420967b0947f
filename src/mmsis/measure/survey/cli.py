"""CLI for mmsis.measure.survey (to be filled by its package)."""

import typer

app = typer.Typer(no_args_is_help=True)
