"""CLI for mmsis.web (to be filled)."""

import typer

users_app = typer.Typer(no_args_is_help=True)


def serve() -> None:
    """Start the web workspace."""
    raise NotImplementedError
