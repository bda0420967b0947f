"""The FastAPI application: settings, templates, error pages and JSON problems, routers."""

from __future__ import annotations

import logging
import numbers
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from mmsis.errors import InputError
from mmsis.web import bounds, limits
from mmsis.web import db as dbm
from mmsis.web.deps import Forbidden, NotAuthenticated, NotFound
from mmsis.web.parsers import UploadRefused
from mmsis.web.security import Signer

HERE = Path(__file__).resolve().parent
log = logging.getLogger("mmsis.web")


def _number(value: Any, column: str = "") -> str:
    """Readable numbers in tables: 1,234,567 for large values, 4 significant digits else."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if not isinstance(value, numbers.Real):
        return str(value)
    if value != value:  # NaN
        return ""
    from mmsis.present import format as fmt

    is_int = isinstance(value, numbers.Integral)
    value = float(value)
    if column in ("year", "period", "month") and value.is_integer():
        return str(int(value))
    if is_int or abs(value) >= 1000:
        return fmt.count(value)  # 12,346: thousands separated, never 1.2e+04
    return fmt.number(value, 4)


def _templates() -> Environment:
    from mmsis import i18n

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # {{ _("text") }} in the language of the request (mmsis.i18n; catalogs in mmsis/locale)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext)
    env.globals.update(languages=i18n.LANGUAGES, current_language=i18n.current_language)
    # a label that arrives as data (a cascade step) but is a catalog message: {{ x | translated }}
    env.filters["translated"] = i18n.gettext
    from mmsis.design.wording import method as _design_method

    env.filters["design_method"] = _design_method  # a sample-size method, stored English
    from mmsis.present.format import day as _day

    env.filters.setdefault("day", _day)  # dates in the language in use
    from mmsis.present import format as fmt

    env.filters["pct"] = lambda v: "" if v is None else fmt.percent(v)
    env.filters["num"] = _number
    # the one presentation layer (mmsis.present), for pages moving onto it
    from mmsis.present.labels import label

    env.filters.update(number=fmt.number, count=fmt.count, percent=fmt.percent, ci=fmt.ci,
                       p_value=fmt.p_value, money=fmt.money, period=fmt.period, label=label)
    from mmsis.web import wording

    env.globals["wording"] = wording  # labels, sentences and readable tables for the pages
    return env


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render a page template with the request, user and CSRF token available."""
    env: Environment = request.app.state.templates
    ctx = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **context,
    }
    from mmsis import i18n
    from mmsis.web.i18n_web import LANG_COOKIE

    # a workspace's default language for members who have not chosen their own
    ws_lang = getattr(context.get("ws"), "language", None)
    if ws_lang and not i18n.normalise(request.cookies.get(LANG_COOKIE)):
        with i18n.language(ws_lang):
            body = env.get_template(template).render(ctx)
        response = HTMLResponse(body, status_code=status)
        response.headers["Content-Language"] = i18n.normalise(ws_lang) or ws_lang
        return response
    return HTMLResponse(env.get_template(template).render(ctx), status_code=status)


T = TypeVar("T")


class ResultCache:
    """A small bounded cache of computed page parts, keyed by the workspace's data version."""

    def __init__(self, size: int = 256) -> None:
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._computing: dict[Any, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for key; one caller computes it while the others wait for it."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            value = compute()
            with self._lock:
                self._data[key] = value
                self._computing.pop(key, None)
                while len(self._data) > self._size:
                    self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _error(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    if _wants_json(request):
        return problem(status, title, detail, **extra)
    try:
        return render(
            request, "error.html", {"status": status, "title": title, "detail": detail}, status
        )
    except Exception:  # never let an error page raise: plain text instead
        log.exception("error page failed")
        return PlainTextResponse(f"{status} {title}: {detail}", status_code=status)


def _short(text: str, limit: int = 100) -> str:
    """A piece of client input as an error message quotes it: at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _anon(request: Request, exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            resp = problem(401, "Not logged in", "log in at /login first")
            resp.headers["WWW-Authenticate"] = 'Cookie realm="mmsis"'
            return resp
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, "Not allowed", exc.detail)

    @app.exception_handler(NotFound)
    async def _nf(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, "Not found", exc.detail)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        return _error(request, 422, "Invalid input", str(exc), field=exc.field)

    @app.exception_handler(UploadRefused)
    async def _refused(request: Request, exc: UploadRefused) -> Response:
        return _error(request, exc.status, "Upload refused", exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            # a location part can be a key the client sent (a dict's): never echo 100 KB back
            {"loc": [_short(str(x)) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return _error(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Too large"}
        return _error(
            request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        log.exception("unhandled error %s on %s %s", ref, request.method, request.url.path)
        return _error(
            request,
            500,
            "Server error",
            f"something went wrong on our side (reference {ref}); it has been logged",
        )


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'",
    ),
)


class SecurityHeaders:
    """Security headers on every response, no-store on pages (pure ASGI middleware).

    Starlette's BaseHTTPMiddleware (`@app.middleware`) costs a task group and a memory
    stream per request; this adds the same headers with none of that.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


UPLOAD_PATH_ENDINGS = ("/uploads", "/evidence", "/org-units", "/populations")
"""POSTs to these paths may raise their body budget (after the route has checked the user)."""


class BodyLimit:
    """Request bodies capped before any parsing (pure ASGI middleware, 413 problem document).

    A declared Content-Length over the ceiling is refused before a byte is read; the streamed
    body is counted against the request's budget, small (`limits.SMALL_BODY_BYTES`) unless
    an upload route raises it after checking the user (`limits.raise_body_limit`). Only POSTs
    to an upload path may ever be raised, up to `upload_ceiling`.
    """

    def __init__(self, app: Any, small: int, upload_ceiling: int) -> None:
        self.app = app
        self.small = small
        self.upload_ceiling = upload_ceiling

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        upload = scope.get("method") == "POST" and path.endswith(UPLOAD_PATH_ENDINGS)
        ceiling = self.upload_ceiling if upload else self.small
        declared = _content_length(scope)
        if declared is not None and declared > ceiling:
            await self._too_large(scope, send, ceiling)
            return
        budget = limits.BodyBudget(limit=self.small, ceiling=ceiling)
        scope[limits.BUDGET_KEY] = budget

        async def counted() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                budget.count(len(message.get("body", b"")))
            return message

        await self.app(scope, counted, send)

    async def _too_large(self, scope: Any, send: Any, limit: int) -> None:
        detail = f"the request body is larger than {limits.human_bytes(limit)}"
        if str(scope.get("path", "")).startswith("/api/"):
            response: Response = problem(413, "Too large", detail)
        else:
            response = PlainTextResponse(f"413 Too large: {detail}", status_code=413)
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _content_length(scope: Any) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def create_app(
    database_url: str | None = None,
    secret_key: str | None = None,
    *,
    migrate: bool = True,
    secure_cookies: bool | None = None,
) -> FastAPI:
    """Build the app on a database (migrated to the newest schema unless migrate=False)."""
    from mmsis.web.routes import accounts, api, auth, group, language, pages, setup

    url = database_url or os.environ.get("MMSIS_DATABASE_URL") or dbm.DEFAULT_DATABASE
    app = FastAPI(
        title="mmsis web workspace",
        version="1",
        description="JSON API of the mmsis web workspace. Log in at /login; send the CSRF token "
        "from GET /api/me as the X-CSRF-Token header on every POST, PUT, PATCH or DELETE.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    engine = dbm.make_engine(url)
    if migrate:
        dbm.upgrade(engine)
    app.state.engine = engine
    app.state.sessions = dbm.session_factory(engine)
    if migrate:  # a single server (or the parent of workers): settle interrupted uploads
        _recover_uploads(app.state.sessions)
    secret = secret_key or os.environ.get("MMSIS_SECRET_KEY") or secrets.token_hex(32)
    app.state.signer = Signer(secret)
    from mmsis.web import jobs

    app.state.jobs_key = jobs.register(engine, app.state.sessions, secret)
    app.state.templates = _templates()
    app.state.secure_cookies = (  # `mmsis serve --secure-cookies` (env for its workers)
        secure_cookies if secure_cookies is not None
        else os.environ.get("MMSIS_SECURE_COOKIES") == "1"
    )
    app.state.max_upload_bytes = upload_cap = limits.max_upload_bytes()
    # room for every scope's and district's dashboard parts and trend series: a large country
    # (1,017 districts x trend, panels and 3 indicator series) needs ~5,000; at 1,024 the
    # warm-up and the requests evicted each other and most dashboards were computed again
    app.state.cache = ResultCache(8192)
    app.state.warmer = None  # mmsis.web.warmup.start (mmsis serve) sets it

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        """Readiness: ``warm`` when every dashboard is computed ahead (mmsis.web.warmup),
        ``warming`` while it is being computed, ``cold`` without a warm-up (pages compute
        on first use). Answered without a login (it says nothing about any workspace)."""
        warmer = app.state.warmer
        return warmer.status() if warmer is not None else {"status": "cold"}
    _install_error_handlers(app)
    bounds.install()  # text and whole numbers checked against their columns before a flush

    app.add_middleware(bounds.IdBounds, app_of=lambda: app)
    app.add_middleware(
        BodyLimit, small=limits.SMALL_BODY_BYTES,
        upload_ceiling=upload_cap + limits.MULTIPART_OVERHEAD,
    )
    app.add_middleware(SecurityHeaders)
    from mmsis.web.i18n_web import LanguageMiddleware

    app.add_middleware(LanguageMiddleware)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(accounts.api)
    app.include_router(accounts.pages)
    app.include_router(setup.api)
    app.include_router(setup.pages)
    app.include_router(group.api)
    app.include_router(group.pages)
    app.include_router(language.pages)
    return app


def _recover_uploads(sessions: Any) -> None:
    """Uploads left 'importing' by a stopped server: 'imported' if their batch is in the
    store, else 'failed' (mmsis.web.programme.recover_uploads)."""
    from mmsis.web import programme

    with dbm.session_scope(sessions) as db:
        programme.recover_uploads(db)


def create_worker_app() -> FastAPI:
    """App factory for each worker of `mmsis serve --workers N` (uvicorn imports it by name).

    The parent has migrated the database and put its URL and one shared secret key in the
    environment (MMSIS_DATABASE_URL, MMSIS_SECRET_KEY), so a cookie signed by one worker is
    valid in the others. Each worker starts its own DuckDB writer process; writers and readers
    of a store take its file lock, so they never open it at the same time.
    """
    from mmsis.web.analytics import start_store_writer

    if not os.environ.get("MMSIS_SECRET_KEY"):
        raise RuntimeError("workers need MMSIS_SECRET_KEY shared by the parent")
    app = create_app(migrate=False)
    start_store_writer()
    from mmsis.web.jobs import start_for_app

    start_for_app(app, os.environ.get("MMSIS_DATABASE_URL") or dbm.DEFAULT_DATABASE)
    from mmsis.web import warmup

    warmup.start(app)  # each worker has its own page cache: each warms it
    return app


def iter_routes(routes: list[Any]) -> list[Any]:
    """Every endpoint route of the app, looking inside included routers (for the guard tests)."""
    from fastapi.routing import APIRoute

    out: list[Any] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):  # FastAPI >= 0.16x keeps included routers whole
            out.extend(iter_routes(list(r.original_router.routes)))
        elif hasattr(r, "routes") and not hasattr(r, "app"):
            out.extend(iter_routes(list(r.routes)))
    return out
