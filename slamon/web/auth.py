"""Who is asking: the session cookie, the login and logout endpoints, and the guards every page
(login required) and every action (operator role and CSRF token required) goes through.

A department user (role ``department``) sees only what it is let into: a page answers it 404
unless the page is marked ``departments=True`` (and then scopes what it shows itself), so a
page added later is closed to departments until someone decides otherwise.

A cookie opens a page only while its session is live in the store (slamon.service.web_sessions)
and the user's credential in the users file is still the one it logged in with. A message after
an action (a flash) is kept in the session, never carried by the URL."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from slamon.service import web_sessions
from slamon.service.web_sessions import SESSION_SECONDS, WebSession
from slamon.web.context import WebContext
from slamon.web.render import page as render_page
from slamon.web.sessions import COOKIE, csrf_ok
from slamon.web.throttle import MAX_KEY
from slamon.web.users import DEPARTMENT, OPERATOR, User

log = logging.getLogger("slamon.web")
MAX_FORM_BYTES = 64 * 1024
NOT_FOUND = "没有这个页面：地址可能有误，或该页面已不存在"
ROLE_REFUSALS = {OPERATOR: "只有操作员可以执行此操作", DEPARTMENT: "只有部门账号可以执行此操作"}


@dataclass(frozen=True)
class Upload:
    """A file from a multipart form, read whole (its size is bounded before it is read)."""

    filename: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Visitor:
    user: User
    session: WebSession


def web(request: Request) -> WebContext:
    return request.app.state.web


def visitor(request: Request) -> Visitor | None:
    """Whose live session the cookie names, or None. It asks the store: run it in a worker."""
    ctx = web(request)
    token = ctx.signer.read(request.cookies.get(COOKIE))
    if token is None:
        return None
    now = ctx.now()
    session = web_sessions.live_session(ctx.engine, token, now)
    if session is None:
        return None
    user = ctx.users.get(session.user)
    if user is None or user.credential != session.credential:
        # removed, or its password or role changed since this login (even by editing the file)
        reason = web_sessions.REMOVED if user is None else web_sessions.CREDENTIAL
        web_sessions.end_session(ctx.engine, session.id, now, reason)
        return None
    return Visitor(user, session)


def _target(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def redirect_with_flash(request: Request, v: Visitor, target: str, message: str) -> Response:
    """After an action: ``message`` waits in the session for ``target`` (see take_flash)."""
    web_sessions.set_flash(web(request).engine, v.session.id, f"{target}\n{message}")
    return RedirectResponse(target, status_code=303)


def take_flash(request: Request, v: Visitor) -> str | None:
    """The session's waiting message if it was meant for this page; shown once, and dropped by
    any other page that asks (the store is written only when a message waits)."""
    if v.session.flash is None:
        return None
    waiting = web_sessions.take_flash(web(request).engine, v.session.id)
    target, _, message = (waiting or "").partition("\n")
    return message if message and target == _target(request) else None


def _shown(name: str) -> str:
    """A submitted user name as logs show it: cut short, control characters replaced."""
    return "".join(c if c.isprintable() else "?" for c in name[:MAX_KEY]) or "-"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


async def read_upload(request: Request, limit: int) -> dict[str, Any] | None:
    """A multipart form of at most ``limit`` bytes: fields as text, a file as :class:`Upload`
    (an empty file field is left out); None when the body is larger (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    request._body = bytes(body)  # noqa: SLF001 — Starlette parses the form from the kept body
    out: dict[str, Any] = {}
    try:
        form = await request.form(max_files=1, max_fields=20)
    except Exception:  # noqa: BLE001 — a malformed body is no form at all
        return {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, value)
        elif value.filename:
            out.setdefault(key, Upload(value.filename, await value.read()))
    await form.close()
    return out


Handler = Callable[..., Response]


def not_found(request: Request, v: Visitor) -> Response:
    """The 404 a department user gets for what is not its own: the words of any missing page."""
    ctx = web(request)
    return render_page(
        "error.html.j2",
        {"visitor": v, "csrf": v.session.csrf, "active": "", "tz": ctx.rt.tz, "message": NOT_FOUND},
        404,
    )


def page(handler: Handler, departments: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A GET page: login required; the handler runs in a worker thread (services block). A
    department user gets 404 unless ``departments`` (the handler then scopes the page)."""

    async def endpoint(request: Request) -> Response:
        v = await run_in_threadpool(visitor, request)
        if v is None:
            return RedirectResponse(
                f"/login?next={quote(_target(request), safe='')}", status_code=303
            )
        request.state.user = v.user.name
        if v.user.is_department and not departments:
            return not_found(request, v)
        return await run_in_threadpool(handler, request, v)

    return endpoint


def department_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page a department user may open: the handler shows it only its own departments."""
    return page(handler, departments=True)


def _role_refused(v: Visitor, role: str) -> bool:
    if role == OPERATOR:
        return not v.user.is_operator
    if role == DEPARTMENT:
        return not v.user.is_department
    return False  # any logged-in user


def action(
    handler: Handler,
    role: str = OPERATOR,
    upload_limit: Callable[[Request], int] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """A POST: login, a valid CSRF token and ``role`` required, in that order. With
    ``upload_limit`` the body is a multipart form of at most that many bytes (413 beyond)."""

    async def endpoint(request: Request) -> Response:
        v = await run_in_threadpool(visitor, request)
        if v is None:
            return PlainTextResponse("需要登录", status_code=401)
        request.state.user = v.user.name
        if upload_limit is None:
            form: dict[str, Any] | None = await read_form(request)
        else:
            form = await read_upload(request, upload_limit(request))
        if form is None:
            log.warning("web.upload_too_large user=%s path=%s", v.user.name, request.url.path)
            return PlainTextResponse("提交的内容过大（附件超出大小限制）", status_code=413)
        if not csrf_ok(v.session.csrf, form.get("csrf")):
            log.warning("web.csrf_refused user=%s path=%s", v.user.name, request.url.path)
            return PlainTextResponse("请求无效（CSRF 校验失败），请刷新页面后重试", status_code=403)
        if _role_refused(v, role):
            log.warning("web.role_refused user=%s path=%s", v.user.name, request.url.path)
            return PlainTextResponse(ROLE_REFUSALS[role], status_code=403)
        return await run_in_threadpool(handler, request, v, form)

    return endpoint


def _login_page(request: Request, message: str | None = None, status: int = 200) -> Response:
    nxt = _safe_next(request.query_params.get("next"))
    return render_page(
        "login.html.j2",
        {"message": message, "next": nxt, "tz": web(request).rt.tz, "visitor": None},
        status,
    )


async def login(request: Request) -> Response:
    if request.method != "POST":  # GET and HEAD show the form; only a POST is an attempt
        return _login_page(request)
    ctx = web(request)
    form = await read_form(request)
    name, password = form.get("username", "").strip(), form.get("password", "")
    ip = client_ip(request)
    request.state.user = _shown(name)
    if ctx.limiter.blocked(name, ip):
        log.warning("web.login_limited user=%s ip=%s", _shown(name), ip)
        return _login_page(request, "登录失败次数过多，请 15 分钟后再试", 429)
    user = await run_in_threadpool(ctx.users.authenticate, name, password) if name else None
    if user is None:
        ctx.limiter.failed(name, ip)
        log.warning("web.login_failed user=%s ip=%s", _shown(name), ip)
        return _login_page(request, "用户名或密码错误", 401)
    ctx.limiter.succeeded(name, ip)
    new = await run_in_threadpool(
        web_sessions.start_session, ctx.engine, user.name, user.credential, ip, ctx.now()
    )
    log.info("web.login user=%s ip=%s session=%d", user.name, ip, new.session.id)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        COOKIE,
        ctx.signer.sign(new.token),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _logout(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    ctx = web(request)
    web_sessions.end_session(ctx.engine, v.session.id, ctx.now(), web_sessions.LOGOUT)
    log.info("web.logout user=%s session=%d", v.user.name, v.session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


logout = action(_logout, role="viewer")
