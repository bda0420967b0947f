"""Login and logout: signed session cookie, server-side session, login CSRF, throttling."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from mmsis.web import security
from mmsis.web.app import render
from mmsis.web.deps import DB, Auth, current_auth

router = APIRouter(include_in_schema=False)
_LOGIN_CSRF_AGE = 3600


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_form(
    request: Request, email: str = "", error: str = "", next_: str = "/", status: int = 200
) -> Response:
    token = security.new_token()
    resp = render(
        request,
        "login.html",
        {"login_csrf": token, "email": email, "error": error, "next": _safe_next(next_)},
        status,
    )
    resp.set_cookie(
        security.LOGIN_CSRF_COOKIE,
        request.app.state.signer.sign(token),
        max_age=_LOGIN_CSRF_AGE,
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
    )
    return resp


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form."""
    return _login_form(request, next_=next)


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    db: Session = DB,
) -> Response:
    """Check the password (rate-limited), start a session and go to the page asked for."""
    expected = request.app.state.signer.unsign(
        request.cookies.get(security.LOGIN_CSRF_COOKIE), max_age=_LOGIN_CSRF_AGE
    )
    if not security.tokens_equal(csrf_token, expected):
        return _login_form(request, email, "The form expired; please try again.", next, 403)
    client = _client(request)
    admission = security.admit_login(db, email, client)  # recorded and committed first
    if admission.attempt_id is None:
        wait = admission.retry_after
        when = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
        resp = _login_form(
            request, email, f"Too many failed attempts; wait {when} and try again.", next, 429
        )
        resp.headers["Retry-After"] = str(wait)
        return resp
    user = security.authenticate(db, email, password)
    security.settle_login(db, admission.attempt_id, ok=user is not None)
    if user is None:
        return _login_form(request, email, "Wrong e-mail or password.", next, 401)
    session = security.start_session(db, user)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        security.SESSION_COOKIE,
        request.app.state.signer.sign(session.id),
        max_age=int(security.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
    )
    resp.delete_cookie(security.LOGIN_CSRF_COOKIE)
    if user.language:  # the language the user chose, kept over the browser's from now on
        from mmsis.web.i18n_web import set_language_cookie

        set_language_cookie(resp, user.language, request.app.state.secure_cookies)
    return resp


@router.post("/logout")
def logout(request: Request, auth: Auth = Depends(current_auth), db: Session = DB) -> Response:
    """End the session."""
    security.end_session(db, auth.session.id)
    db.commit()  # ended in the database before the response leaves
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(security.SESSION_COOKIE)
    return resp
