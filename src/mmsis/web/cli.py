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
    secure_cookies: bool = typer.Option(
        False,
        "--secure-cookies",
        help="Mark cookies Secure (sent over HTTPS only): set it whenever users reach the "
        "workspace by HTTPS, e.g. through a reverse proxy.",
    ),
    proxy_headers: bool = typer.Option(
        False,
        "--proxy-headers",
        help="Trust X-Forwarded-For/-Proto from the proxies of --forwarded-allow-ips (client "
        "addresses for login throttling, https scheme).",
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        help="Comma-separated addresses of the reverse proxies whose forwarded headers are "
        "trusted (with --proxy-headers).",
    ),
) -> None:
    """Start the web workspace (migrating the database to the newest schema first)."""
    import secrets

    import uvicorn

    from mmsis.web import warmup
    from mmsis.web.analytics import start_store_writer
    from mmsis.web.app import create_app

    url = _url(database)
    where = f"mmsis workspace on http://{host}:{port}/ (database {url.split('@')[-1]})"
    proxy = {
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips if proxy_headers else "",
    }
    if workers == 1:
        app = create_app(url, secure_cookies=secure_cookies)
        start_store_writer()  # its imports take seconds: pay them before the first request
        from mmsis.web.jobs import start_for_app

        start_for_app(app, url)  # background jobs: huey threads on a queue beside the database
        warmup.start(app)  # every dashboard computed before the first users (GET /healthz)
        typer.echo(where)
        uvicorn.run(app, host=host, port=port, log_level="warning", **proxy)  # type: ignore[arg-type]
        return
    from mmsis.web import db as dbm

    engine = dbm.make_engine(url)
    dbm.upgrade(engine)  # once, here: workers must not race to migrate
    from mmsis.web import programme

    with dbm.session_scope(dbm.session_factory(engine)) as db:
        programme.recover_uploads(db)  # before any worker imports
    engine.dispose()
    os.environ[programme.WORKERS_ENV] = str(workers)  # workers release stores when idle
    os.environ["MMSIS_DATABASE_URL"] = url
    os.environ.setdefault("MMSIS_SECRET_KEY", secrets.token_hex(32))  # one key for all workers
    os.environ["MMSIS_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    typer.echo(f"{where}, {workers} workers")
    uvicorn.run(
        "mmsis.web.app:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        **proxy,  # type: ignore[arg-type]
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


@users_app.command("remove")
def remove(
    email: str = typer.Option(..., "--email", help="The member's e-mail."),
    workspace: str = typer.Option(..., "--workspace", help="Workspace name."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Take a user out of a workspace (the last national owner cannot be removed)."""
    from mmsis.web.accounts import remove_role

    remove_role(_url(database), email, workspace)
    typer.echo(f"{email} removed from '{workspace}'")


@users_app.command("deactivate")
def deactivate(
    email: str = typer.Option(..., "--email", help="The user's e-mail."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Deactivate a user: they cannot log in and their sessions end at once (every worker)."""
    from mmsis.web.accounts import deactivate_user

    n = deactivate_user(_url(database), email)
    typer.echo(f"{email} deactivated ({n} session{'s' if n != 1 else ''} ended)")


@users_app.command("activate")
def activate(
    email: str = typer.Option(..., "--email", help="The user's e-mail."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Let a deactivated user log in again."""
    from mmsis.web.accounts import activate_user

    activate_user(_url(database), email)
    typer.echo(f"{email} activated")


@users_app.command("reset-password")
def reset_password(
    email: str = typer.Option(..., "--email", help="The user's e-mail."),
    database: str | None = typer.Option(None, "--database", help=_DB_HELP),
) -> None:
    """Set a user's password (from a prompt or MMSIS_ADMIN_PASSWORD); their sessions end."""
    from mmsis.web.accounts import reset_user_password

    reset_user_password(_url(database), email, _password())
    typer.echo(f"password of {email} reset; their sessions ended")


__all__ = ["InputError", "serve", "users_app"]
