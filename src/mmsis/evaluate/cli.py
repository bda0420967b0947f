"""CLI for mmsis.evaluate (to be filled by its package)."""

import typer

app = typer.Typer(no_args_is_help=True)
