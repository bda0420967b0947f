"""Choosing the language: each user's (saved on the account, kept in a cookie) and each
workspace's default for members who have not chosen one (issue #17)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from mmsis import i18n
from mmsis.errors import InputError
from mmsis.web.db import begin_write
from mmsis.web.deps import DB, Access, Auth, current_auth, owner
from mmsis.web.i18n_web import set_language_cookie
from mmsis.web.models import User, Workspace
from mmsis.web.routes.auth import _safe_next
from mmsis.web.services import audit

pages = APIRouter(include_in_schema=False)


def _checked(language: str) -> str | None:
    """A supported code, or None for "the browser's language"; anything else refused."""
    if not language.strip():
        return None
    found = i18n.normalise(language)
    if found is None:
        raise InputError(f"unknown language {language!r}; choose one of "
                         f"{', '.join(i18n.LANGUAGES)}", field="language")
    return found


@pages.post("/language")
def choose_language(
    request: Request,
    language: str = Form(""),
    next: str = Form("/"),
    auth: Auth = Depends(current_auth),
    db: Session = DB,
) -> Response:
    """Save the user's language (empty: follow the browser) and show the page in it."""
    chosen = _checked(language)
    begin_write(db)
    user = db.get(User, auth.user.id)
    if user is not None:
        user.language = chosen
    resp = RedirectResponse(_safe_next(next), status_code=303)
    set_language_cookie(resp, chosen, request.app.state.secure_cookies)
    return resp


@pages.post("/w/{workspace_id}/language")
def workspace_language(
    language: str = Form(""),
    access: Access = Depends(owner),
    db: Session = DB,
) -> Response:
    """The workspace's default language, for members who have not chosen their own (a setting
    of the whole workspace: owners without an org-unit limit, like the phase)."""
    from mmsis.web.onboarding import require_national_owner

    require_national_owner(access)
    chosen = _checked(language)
    begin_write(db)
    ws = db.get(Workspace, access.workspace.id)
    assert ws is not None
    before, ws.language = ws.language, chosen
    audit(db, access, "update", "workspace_language", ws.id, before=before, after=chosen)
    return RedirectResponse(f"/w/{ws.id}", status_code=303)
