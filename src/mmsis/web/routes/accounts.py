"""Account lifecycle, API and pages: members, deactivation, own password, administrator reset.

Rules live in mmsis.web.members (who may change which membership) and mmsis.web.accounts
(passwords, deactivation); these routes only read the request and answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mmsis.errors import InputError
from mmsis.web import accounts, members, services
from mmsis.web.app import render
from mmsis.web.deps import DB, Access, Auth, NotFound, current_auth, owner, require_admin
from mmsis.web.models import ROLES, User
from mmsis.web.security import MAX_PASSWORD_LENGTH

api = APIRouter(prefix="/api", tags=["accounts"])
pages = APIRouter(include_in_schema=False)


class PasswordChange(BaseModel):
    """One's own new password, with the current one."""

    current_password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class PasswordReset(BaseModel):
    """A new password set by an administrator."""

    new_password: str = Field(max_length=MAX_PASSWORD_LENGTH)


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id) if 0 < user_id < 2**63 else None
    if user is None:
        raise NotFound("no such user")
    return user


def _member_dict(m: members.Member) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "email": m.email,
        "name": m.name,
        "role": m.role,
        "org_unit": m.org_unit,
        "org_unit_path": m.org_unit_path,
        "is_active": m.is_active,
    }


def _user_dict(u: User) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "name": u.name, "is_admin": u.is_admin,
            "is_active": u.is_active}


# --- API ---------------------------------------------------------------------------------


@api.get("/workspaces/{workspace_id}/members")
def list_members(access: Access = Depends(owner), db: Session = DB) -> list[dict[str, Any]]:
    """Members an owner may manage (a scoped owner: those inside its subtree)."""
    return [_member_dict(m) for m in members.members(db, access)]


@api.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def remove_member(user_id: int, access: Access = Depends(owner), db: Session = DB) -> Response:
    """Take a user out of the workspace (not oneself, not the last national owner)."""
    members.remove_member(db, access, access.workspace, _user(db, user_id))
    return Response(status_code=204)


@api.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange, auth: Auth = Depends(current_auth), db: Session = DB
) -> Response:
    """Change one's own password (the current one first); one's other sessions end."""
    accounts.change_password(db, auth.user.id, body.current_password, body.new_password,
                             keep=auth.session.id)
    return Response(status_code=204)


@api.get("/users")
def list_users(auth: Auth = Depends(require_admin), db: Session = DB) -> list[dict[str, Any]]:
    """Every account (administrators only)."""
    return [_user_dict(u) for u in db.scalars(select(User).order_by(User.email))]


@api.post("/users/{user_id}/deactivate")
def deactivate_user(
    user_id: int, auth: Auth = Depends(require_admin), db: Session = DB
) -> dict[str, Any]:
    """Deactivate an account: it cannot log in and its sessions end at once, in every worker."""
    user = _user(db, user_id)
    ended = accounts.set_active(db, user, False, by=auth.user.id)
    return {**_user_dict(user), "sessions_ended": ended}


@api.post("/users/{user_id}/activate")
def activate_user(
    user_id: int, auth: Auth = Depends(require_admin), db: Session = DB
) -> dict[str, Any]:
    """Let a deactivated account log in again."""
    user = _user(db, user_id)
    accounts.set_active(db, user, True, by=auth.user.id)
    return _user_dict(user)


@api.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: int, body: PasswordReset, auth: Auth = Depends(require_admin), db: Session = DB
) -> Response:
    """Set an account's password (administrators); all its sessions end."""
    accounts.reset_password(db, _user(db, user_id), body.new_password)
    return Response(status_code=204)


@api.delete("/users/{user_id}/sessions")
def end_sessions(
    user_id: int, auth: Auth = Depends(require_admin), db: Session = DB
) -> dict[str, int]:
    """End every session of an account (administrators)."""
    from mmsis.web.security import end_user_sessions

    user = _user(db, user_id)
    return {"sessions_ended": end_user_sessions(db, user.id)}


# --- pages -------------------------------------------------------------------------------


@pages.get("/account")
def account_page(request: Request, auth: Auth = Depends(current_auth)) -> Response:
    """One's account: change the password."""
    return render(request, "account.html", {"error": "", "done": False})


@pages.post("/account/password")
def account_password(
    request: Request,
    current_password: str = Form("", max_length=MAX_PASSWORD_LENGTH),
    new_password: str = Form("", max_length=MAX_PASSWORD_LENGTH),
    confirm_password: str = Form("", max_length=MAX_PASSWORD_LENGTH),
    auth: Auth = Depends(current_auth),
    db: Session = DB,
) -> Response:
    """Change one's own password from the form."""
    try:
        if new_password != confirm_password:
            raise InputError("the two new passwords differ", field="confirm_password")
        accounts.change_password(db, auth.user.id, current_password, new_password,
                                 keep=auth.session.id)
    except InputError as exc:
        db.rollback()
        return render(request, "account.html", {"error": str(exc.args[0]), "done": False}, 422)
    return render(request, "account.html", {"error": "", "done": True})


def _members_page(
    request: Request, db: Session, access: Access, error: str = "", status: int = 200
) -> Response:
    units = services.org_units(db, access)
    ctx = {
        "ws": access.workspace, "access": access, "page": "members", "roles": ROLES,
        "members": members.members(db, access), "org_units": units,
        "unit_names": {o.id: o.name for o in units}, "error": error,
    }
    return render(request, "members.html", ctx, status)


@pages.get("/w/{workspace_id}/members")
def members_page(request: Request, access: Access = Depends(owner), db: Session = DB) -> Response:
    """The workspace's members: grant, change and remove roles (owners)."""
    return _members_page(request, db, access)


@pages.post("/w/{workspace_id}/members")
def members_set(
    request: Request,
    email: str = Form("", max_length=254),
    role: str = Form("", max_length=20),
    org_unit: str = Form("", max_length=50),
    access: Access = Depends(owner),
    db: Session = DB,
) -> Response:
    """Grant or change a role from the form."""
    try:
        user = accounts.user_by_email(db, email)
        members.set_member(db, access, access.workspace, user, role, org_unit or None)
    except InputError as exc:
        db.rollback()
        return _members_page(request, db, access, str(exc.args[0]), 422)
    return RedirectResponse(f"/w/{access.workspace.id}/members", 303)


@pages.post("/w/{workspace_id}/members/{user_id}/remove")
def members_remove(
    request: Request, user_id: int, access: Access = Depends(owner), db: Session = DB
) -> Response:
    """Remove a member from the form."""
    try:
        members.remove_member(db, access, access.workspace, _user(db, user_id))
    except InputError as exc:
        db.rollback()
        return _members_page(request, db, access, str(exc.args[0]), 422)
    return RedirectResponse(f"/w/{access.workspace.id}/members", 303)


def _users_page(request: Request, db: Session, error: str = "", status: int = 200) -> Response:
    users = list(db.scalars(select(User).order_by(User.email)))
    return render(request, "users.html", {"users": users, "error": error}, status)


@pages.get("/users")
def users_page(request: Request, auth: Auth = Depends(require_admin), db: Session = DB) -> Response:
    """Every account: deactivate, activate, reset a password (administrators)."""
    return _users_page(request, db)


@pages.post("/users/{user_id}/active")
def users_active(
    request: Request,
    user_id: int,
    active: str = Form("", max_length=5),
    auth: Auth = Depends(require_admin),
    db: Session = DB,
) -> Response:
    """Deactivate (sessions end at once) or activate an account from the form."""
    try:
        accounts.set_active(db, _user(db, user_id), active == "1", by=auth.user.id)
    except InputError as exc:
        db.rollback()
        return _users_page(request, db, str(exc.args[0]), 422)
    return RedirectResponse("/users", 303)


@pages.post("/users/{user_id}/password")
def users_password(
    request: Request,
    user_id: int,
    new_password: str = Form("", max_length=MAX_PASSWORD_LENGTH),
    auth: Auth = Depends(require_admin),
    db: Session = DB,
) -> Response:
    """Reset an account's password from the form; its sessions end."""
    try:
        accounts.reset_password(db, _user(db, user_id), new_password)
    except InputError as exc:
        db.rollback()
        return _users_page(request, db, str(exc.args[0]), 422)
    return RedirectResponse("/users", 303)
