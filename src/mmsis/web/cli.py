"""`mmsis serve` and `mmsis users ...`: start the web workspace and manage its accounts."""

from __future__ import annotations

import os

import typer

from mmsis.errors import InputError

users_app = typer.Typer(no_args_is_help=True, help="Manage web workspace accounts.")

_DB_HELP = (
    "Database URL (sqlite:///file.sqlite3 or postgresql://user@host/db); env MMSIS_DATABASE_URL."
)


def _url(database: str | None) -> str:
    from mmsis.web.db import DEFAULT_DATABASE

    return database or os.environ.get("MMSIS_DATABASE_URL") or DEFAULT_DATABASE


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Server processes (one per core; they share the database)."
    ),
) -> None:
    """Start the web workspace (migrating the database to the newest schema first)."""
    import secrets

    import uvicorn

    from mmsis.web.analytics import start_store_writer
    from mmsis.web.app import create_app

    url = _url(database)
    where = f"mmsis workspace on http://{host}:{port}/ (database {url.split('@')[-1]})"
    if workers == 1:
        app = create_app(url)
        start_store_writer()  # its imports take seconds: pay them before the first request
        typer.echo(where)
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    from mmsis.web import db as dbm

    engine = dbm.make_engine(url)
    dbm.upgrade(engine)  # once, here: workers must not race to migrate
    engine.dispose()
    os.environ["MMSIS_DATABASE_URL"] = url
    os.environ.setdefault("MMSIS_SECRET_KEY", secrets.token_hex(32))  # one key for all workers
    typer.echo(f"{where}, {workers} workers")
    uvicorn.run(
        "mmsis.web.app:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


def _password(confirm: bool = True) -> str:
    env = os.environ.get("MMSIS_ADMIN_PASSWORD")
    if env:
        return env
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


@users_app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., "--email", help="The administrator's e-mail (login)."),
    name: str = typer.Option("", "--name", help="Display name."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Create a site administrator; the password comes from a prompt or MMSIS_ADMIN_PASSWORD."""
    from mmsis.web.accounts import create_user

    create_user(_url(database), email, _password(), name=name, is_admin=True)
    typer.echo(f"administrator {email.strip().lower()} created")


@users_app.command("create")
def create(
    email: str = typer.Option(..., "--email", help="The user's e-mail (login)."),
    name: str = typer.Option("", "--name", help="Display name."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Create a user account; the password comes from a prompt or MMSIS_ADMIN_PASSWORD."""
    from mmsis.web.accounts import create_user

    create_user(_url(database), email, _password(), name=name, is_admin=False)
    typer.echo(f"user {email.strip().lower()} created")


@users_app.command("grant")
def grant(
    email: str = typer.Option(..., "--email", help="The user's e-mail."),
    workspace: str = typer.Option(..., "--workspace", help="Workspace name."),
    role: str = typer.Option(..., "--role", help="viewer, editor or owner."),
    org_unit: str | None = typer.Option(
        None, "--org-unit", help="Limit to this org unit's subtree."
    ),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Give a user a role in a workspace, optionally limited to an org-unit subtree."""
    from mmsis.web.accounts import grant_role

    path = grant_role(_url(database), email, workspace, role, org_unit)
    typer.echo(f"{email} is {role} in '{workspace}'" + (f" (limited to {path})" if path else ""))


__all__ = ["InputError", "serve", "users_app"]
