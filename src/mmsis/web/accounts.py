"""Account management outside the web pages: creating users and granting roles."""

from __future__ import annotations

from sqlalchemy import select

from mmsis.errors import InputError
from mmsis.web import db as dbm
from mmsis.web import security, services
from mmsis.web.models import User, Workspace


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or " " in email:
        raise InputError(f"'{email}' is not an e-mail address", field="email")
    return email


def create_user(
    database_url: str, email: str, password: str, *, name: str = "", is_admin: bool = False
) -> int:
    """Create a user (migrating the database first); refuses duplicates and weak passwords."""
    email = _check_email(email)
    security.check_password_strength(password)
    engine = dbm.make_engine(database_url)
    try:
        dbm.upgrade(engine)
        with dbm.session_scope(dbm.session_factory(engine)) as db:
            if db.scalar(select(User).where(User.email == email)) is not None:
                raise InputError(f"a user '{email}' exists already", field="email")
            user = User(
                email=email,
                name=name,
                password_hash=security.hash_password(password),
                is_admin=is_admin,
            )
            db.add(user)
            db.flush()
            return user.id
    finally:
        engine.dispose()


def grant_role(
    database_url: str, email: str, workspace: str, role: str, org_unit: str | None = None
) -> str | None:
    """Give a user a role in a named workspace; returns the org-unit path it is limited to."""
    engine = dbm.make_engine(database_url)
    try:
        dbm.upgrade(engine)
        with dbm.session_scope(dbm.session_factory(engine)) as db:
            user = db.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise InputError(f"no user '{email}'", field="email")
            ws = db.scalar(select(Workspace).where(Workspace.name == workspace))
            if ws is None:
                raise InputError(f"no workspace '{workspace}'", field="workspace")
            return services.set_member(db, None, ws, user, role, org_unit).org_unit_path
    finally:
        engine.dispose()
