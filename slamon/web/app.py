"""The Starlette application: middleware (access log with the user, security headers),
static files and the route table."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from slamon.runtime import Runtime
from slamon.web import (
    auth,
    calendar_pages,
    dispute_pages,
    evidence_pages,
    feedback_pages,
    pages,
)
from slamon.web.context import WebContext
from slamon.web.proxies import ForwardedHeaders, TrustedProxies
from slamon.web.render import page as render
from slamon.web.sessions import SessionSigner, load_or_create_key
from slamon.web.throttle import LoginLimiter
from slamon.web.users import UserDirectory

if TYPE_CHECKING:
    from sqlalchemy import Engine

access_log = logging.getLogger("slamon.web.access")
error_log = logging.getLogger("slamon.web")
STATIC = Path(__file__).parent / "static"
# No script may run at all: the pages need none, and an injected one is refused by the browser.
CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; "
    "form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cache-control", b"no-store"),
]


class AccessLog:
    """One line per request: method, path, status, user, client, milliseconds; security headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "started": False}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                static = scope["path"].startswith("/static/")  # cacheable, the rest applies
                headers = [h for h in SECURITY_HEADERS if not (static and h[0] == b"cache-control")]
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Starlette's own 500 page is made outside this middleware (no security headers):
            # answer here, the traceback to the log only.
            if status["started"]:
                raise
            error_log.exception("web.error method=%s path=%s", scope["method"], scope["path"])
            await server_error_page()(scope, receive, send_wrapper)
        finally:
            user = scope.get("state", {}).get("user", "-")
            client = scope.get("client") or ("?", 0)
            access_log.info(
                "web.request method=%s path=%s status=%d user=%s client=%s ms=%.1f",
                scope["method"],
                scope["path"],
                status["code"],
                user,
                client[0],
                (time.perf_counter() - started) * 1000,
            )


def server_error_page() -> Any:
    message = "服务器内部错误，已记入日志；请稍后重试，如一再出现请联系运维人员"
    return render("error.html.j2", {"visitor": None, "message": message}, 500)


# Starlette's own refusals (no route, wrong method), in the site's words and style.
HTTP_ERROR_MESSAGES = {
    404: auth.NOT_FOUND,
    405: "此页面不接受这种请求方式（{method}）",
}


async def http_error_page(request: Request, exc: Exception) -> Any:
    code = getattr(exc, "status_code", 500)
    text = HTTP_ERROR_MESSAGES.get(code, "无法处理此请求（HTTP {code}）")
    response = render(
        "error.html.j2",
        {"visitor": None, "message": text.format(method=request.method, code=code)},
        code,
    )
    response.headers.update(getattr(exc, "headers", None) or {})  # 405's Allow
    return response


async def healthz(request: Request) -> JSONResponse:
    """For monitoring, without login: the process answers and the store opens."""
    return JSONResponse({"status": "ok"})


def routes() -> list[Any]:
    return [
        Route("/healthz", healthz),
        Route("/login", auth.login, methods=["GET", "POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/", pages.overview),
        Route("/department", pages.department),
        Route("/report", pages.report),
        Route("/report/download", pages.report_download),
        Route("/digest", pages.digest),
        Route("/digest/view", pages.digest_view),
        Route("/quality", pages.quality),
        *evidence_pages.routes(),
        *feedback_pages.routes(),
        *dispute_pages.routes(),
        *calendar_pages.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(
    rt: Runtime,
    engine: Engine | None = None,
    *,
    clock: Callable[[], dt.datetime] | None = None,
) -> Starlette:
    """The dashboard for ``rt`` (its store unless ``engine`` is given); ``clock`` for replays."""
    web = rt.settings.web
    app = Starlette(routes=routes(), exception_handlers={HTTPException: http_error_page})
    app.state.web = WebContext(
        rt=rt,
        engine=engine if engine is not None else rt.engine,
        users=UserDirectory(web.users_file),
        signer=SessionSigner(load_or_create_key(web.secret_file)),
        limiter=LoginLimiter(),
        clock=clock or (lambda: dt.datetime.now(rt.tz)),
    )
    app.add_middleware(AccessLog)
    # outermost: the access log and the login limiter see the client the trusted proxies name
    app.add_middleware(ForwardedHeaders, proxies=TrustedProxies(web.trusted_proxies))
    return app
