"""The page language: the user's choice (saved on their account and kept in a cookie), else
the browser's Accept-Language, else English (mmsis.i18n speaks en, fr and pt)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection

from mmsis import i18n

LANG_COOKIE = "mmsis_lang"
COOKIE_AGE = 365 * 24 * 3600


def request_language(cookies: dict[str, str], accept_language: str | None) -> str:
    """The language of a request: the cookie's (the user's choice), else the browser's."""
    return (i18n.normalise(cookies.get(LANG_COOKIE)) or i18n.negotiate(accept_language)
            or i18n.DEFAULT_LANGUAGE)


class LanguageMiddleware:
    """Set the language for the request (pure ASGI) and say it in Content-Language."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        lang = request_language(dict(conn.cookies), conn.headers.get("accept-language"))
        token = i18n.set_language(lang)

        async def send_with_language(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Language", lang)
                headers.add_vary_header("Accept-Language")
                headers.add_vary_header("Cookie")
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            i18n._current.reset(token)


def set_language_cookie(response: Any, language: str | None, secure: bool) -> None:
    """Keep the user's language in a cookie (read before Accept-Language); none = forget it."""
    if language:
        response.set_cookie(LANG_COOKIE, language, max_age=COOKIE_AGE, httponly=True,
                            samesite="lax", secure=secure)
    else:
        response.delete_cookie(LANG_COOKIE)
