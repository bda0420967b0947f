"""Accounts: create, deactivate, change and reset passwords, grant and remove roles.

The functions taking a Session are used by the pages and the API; those taking a database
URL are `mmsis users ...` (a site administrator at the server's shell).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.web import db as dbm
from mmsis.web import members, security, services
from mmsis.web.db import begin_write
from mmsis.web.models import User, Workspace

T = TypeVar("T")


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
    security.check_password_strength(password, email=email, name=name)
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
            m = services.set_member(db, None, ws, user, role, org_unit)
            return members.member_out(db, ws.id, user, m)["org_unit_path"]  # type: ignore[return-value]
    finally:
        engine.dispose()


# --- on a database session (pages, API) ----------------------------------------------------


def user_by_email(db: Session, email: str) -> User:
    """The user with this e-mail (InputError naming the field otherwise)."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()[:254]))
    if user is None:
        raise InputError(f"no user '{email}'", field="email")
    return user


def change_password(db: Session, user_id: int, current: str, new: str, keep: str) -> None:
    """A user changes their own password (the current one first); their other sessions end."""
    user = db.get(User, user_id)
    if user is None or not security.verify_password(user.password_hash, current):
        raise InputError("the current password is wrong", field="current_password")
    if current == new:
        raise InputError("the new password is the current one", field="new_password")
    _set_password(db, user, new, keep=keep)


def reset_password(db: Session, user: User, new: str) -> None:
    """An administrator sets a user's password; all the user's sessions end."""
    _set_password(db, user, new, keep=None)


def _set_password(db: Session, user: User, new: str, keep: str | None) -> None:
    try:
        security.check_password_strength(new, email=user.email, name=user.name)
    except InputError as exc:
        raise InputError(str(exc.args[0]) if exc.args else str(exc), field="new_password") from None
    begin_write(db)
    user.password_hash = security.hash_password(new)
    security.end_user_sessions(db, user.id, keep=keep)


def set_active(db: Session, user: User, active: bool, by: int | None = None) -> int:
    """Deactivate (all sessions end at once) or reactivate a user; returns sessions ended.

    Refuses to deactivate oneself or the last active site administrator.
    """
    begin_write(db)
    if not active:
        if by is not None and user.id == by:
            raise InputError("you cannot deactivate your own account", field="email")
        if user.is_admin and _active_admins(db) <= 1 and user.is_active:
            raise InputError("this is the last active administrator", field="email")
    user.is_active = active
    return security.end_user_sessions(db, user.id) if not active else 0


def _active_admins(db: Session) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(User)
            .where(User.is_admin.is_(True), User.is_active.is_(True))
        )
        or 0
    )


# --- `mmsis users ...` (database URL) ------------------------------------------------------


def _in_database(database_url: str, work: Callable[[Session], T]) -> T:
    engine = dbm.make_engine(database_url)
    try:
        dbm.upgrade(engine)
        with dbm.session_scope(dbm.session_factory(engine)) as db:
            return work(db)
    finally:
        engine.dispose()


def _workspace(db: Session, name: str) -> Workspace:
    ws = db.scalar(select(Workspace).where(Workspace.name == name))
    if ws is None:
        raise InputError(f"no workspace '{name}'", field="workspace")
    return ws


def remove_role(database_url: str, email: str, workspace: str) -> None:
    """Take a user out of a named workspace (the last national owner stays)."""
    from mmsis.web.deps import NotFound

    try:
        _in_database(
            database_url,
            lambda db: members.remove_member(db, None, _workspace(db, workspace),
                                             user_by_email(db, email)),
        )
    except NotFound as exc:
        raise InputError(exc.detail, field="email") from None


def deactivate_user(database_url: str, email: str) -> int:
    """Deactivate a user: their sessions end at once; returns how many ended."""
    return _in_database(database_url, lambda db: set_active(db, user_by_email(db, email), False))


def activate_user(database_url: str, email: str) -> None:
    """Let a deactivated user log in again."""
    _in_database(database_url, lambda db: set_active(db, user_by_email(db, email), True))


def reset_user_password(database_url: str, email: str, password: str) -> None:
    """Set a user's password (policy checked); all their sessions end."""
    _in_database(database_url, lambda db: reset_password(db, user_by_email(db, email), password))
