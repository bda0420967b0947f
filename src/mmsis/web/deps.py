"""Request dependencies: database session, the logged-in user, CSRF and workspace roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mmsis.web import limits, security
from mmsis.web.db import close_session
from mmsis.web.limits import ReceivedForm
from mmsis.web.models import ROLES, Membership, OrgUnit, Workspace
from mmsis.web.parsers import UploadRefused
from mmsis.web.security import LiveSession, UserView

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class NotAuthenticated(Exception):
    """No valid login session: pages redirect to /login, the API answers 401."""


class Forbidden(Exception):
    """Logged in but not allowed (wrong role or bad CSRF token)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class NotFound(Exception):
    """The thing does not exist, or the user may not know that it exists."""

    def __init__(self, detail: str = "not found") -> None:
        self.detail = detail
        super().__init__(detail)


def get_db(request: Request) -> Iterator[Session]:
    """A database session per request, committed when the handler succeeds."""
    db: Session = request.app.state.sessions()
    try:
        yield db
        db.commit()
        for hook in db.info.pop("after_commit", []):
            hook()
    except BaseException:
        db.rollback()
        raise
    finally:
        close_session(db)


# Commit inside the handler, before the response leaves: FastAPI runs a request-scoped
# dependency's exit after sending, so the client could act on a write not yet committed.
DB = Depends(get_db, scope="function")


@dataclass
class Auth:
    """The logged-in user and their session."""

    user: UserView
    session: LiveSession


@dataclass
class Access:
    """A user's access to one workspace: role and org-unit scope (None = whole country)."""

    user: UserView
    session: LiveSession
    workspace: Workspace
    role: str
    scope_path: str | None
    scope_unit: str | None = None
    """The org unit (id) the membership is limited to; scope_path is its current path."""

    def at_least(self, role: str) -> bool:
        """True when this access grants the given role or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


async def _check_csrf(request: Request, session: LiveSession) -> None:
    """Unsafe methods must echo the session's CSRF token (form field or X-CSRF-Token header)."""
    if request.method in SAFE_METHODS:
        return
    token = request.headers.get("x-csrf-token")
    if not token and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not security.tokens_equal(token, session.csrf_token):
        raise Forbidden("missing or invalid CSRF token")


async def current_auth(request: Request, db: Session = DB) -> Auth:
    """The logged-in user; raises NotAuthenticated otherwise. Checks CSRF on unsafe methods."""
    auth = await authenticate(request, db)
    await _check_csrf(request, auth.session)
    return auth


async def authenticate(request: Request, db: Session) -> Auth:
    """The logged-in user without the CSRF check (upload routes check it after the role)."""
    signer: security.Signer = request.app.state.signer
    sid = signer.unsign(
        request.cookies.get(security.SESSION_COOKIE),
        max_age=int(security.SESSION_LIFETIME.total_seconds()),
    )
    found = await run_in_threadpool(security.load_session, db, sid) if sid else None
    if found is None:
        raise NotAuthenticated()
    session, user = found
    request.state.csrf_token = session.csrf_token
    request.state.user = user
    return Auth(user=user, session=session)


async def require_admin(auth: Auth = Depends(current_auth)) -> Auth:
    """Only site administrators (who create workspaces and first owners)."""
    if not auth.user.is_admin:
        raise Forbidden("administrators only")
    return auth


def workspace_access(min_role: str) -> Callable[..., Any]:
    """Dependency factory: access to path parameter `workspace_id` with at least `min_role`."""
    if min_role not in ROLES:
        raise ValueError(min_role)

    async def dependency(
        workspace_id: int, auth: Auth = Depends(current_auth), db: Session = DB
    ) -> Access:
        return await run_in_threadpool(_access, workspace_id, auth, db, min_role)

    dependency.__name__ = f"workspace_{min_role}"
    dependency.min_role = min_role  # type: ignore[attr-defined]
    return dependency


def _access(workspace_id: int, auth: Auth, db: Session, min_role: str) -> Access:
    """Resolve the user's role and scope in a workspace (404 when not a member)."""
    ws = db.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound("no such workspace")
    unit: str | None = None
    if auth.user.is_admin:
        role, scope = "owner", None
    else:
        m = db.execute(
            select(Membership.role, Membership.org_unit_id, OrgUnit.path)
            .outerjoin(
                OrgUnit,
                and_(
                    OrgUnit.workspace_id == Membership.workspace_id,
                    OrgUnit.id == Membership.org_unit_id,
                ),
            )
            .where(Membership.workspace_id == workspace_id, Membership.user_id == auth.user.id)
        ).first()
        if m is None:
            raise NotFound("no such workspace")
        role, unit, scope = m.role, m.org_unit_id, m.path
        if unit and scope is None:  # the unit left the hierarchy: no access rather than all
            raise Forbidden(
                f"your org unit '{unit}' is no longer in this workspace; ask an owner"
            )
    access = Access(auth.user, auth.session, ws, role, scope, unit)
    if not access.at_least(min_role):
        raise Forbidden(f"this needs the {min_role} role in the workspace (you are {role})")
    return access


viewer = workspace_access("viewer")
editor = workspace_access("editor")
owner = workspace_access("owner")


@dataclass
class UploadAccess:
    """Access to a workspace plus the multipart form received after the role was checked."""

    access: Access
    form: ReceivedForm


def upload_access(
    min_role: str,
    cap: Callable[[Request], int],
    check: Callable[[Access], None] | None = None,
) -> Callable[..., Any]:
    """Dependency factory for upload routes: who first, then the body (up to cap(request)).

    The session and role (and `check`, e.g. a national owner) are checked before a byte of
    the body is read; only then is the body budget raised and the file streamed into the
    workspace's upload directory; the CSRF token (header or form field) is checked last, and
    the file deleted if it fails.
    """

    async def dependency(workspace_id: int, request: Request, db: Session = DB) -> UploadAccess:
        auth = await authenticate(request, db)
        access = await run_in_threadpool(_access, workspace_id, auth, db, min_role)
        if check is not None:
            check(access)
        limits.raise_body_limit(request, cap(request) + limits.MULTIPART_OVERHEAD)
        try:
            form = await limits.receive_form(request, limits.upload_dir(access.workspace))
        except limits.FormRefused as exc:
            raise UploadRefused(str(exc)) from exc
        token = request.headers.get("x-csrf-token") or form.fields.get("csrf_token")
        if not security.tokens_equal(token, auth.session.csrf_token):
            form.discard()
            raise Forbidden("missing or invalid CSRF token")
        if form.file is None:
            raise UploadRefused("choose a file to upload")
        return UploadAccess(access, form)

    dependency.__name__ = f"upload_{min_role}"
    dependency.min_role = min_role  # type: ignore[attr-defined]
    return dependency


def _data_cap(request: Request) -> int:
    return int(request.app.state.max_upload_bytes)


def _evidence_cap(request: Request) -> int:
    from mmsis.web.parsers import MAX_EVIDENCE_BYTES

    return MAX_EVIDENCE_BYTES


data_upload = upload_access("editor", _data_cap)
evidence_upload = upload_access("editor", _evidence_cap)
