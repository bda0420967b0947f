"""CLI for mmsis.datasets (to be filled by its package)."""

import typer

app = typer.Typer(no_args_is_help=True)
