"""Database driver and network errors in Chinese: the one translation table.

Drivers (PyMySQL, psycopg, sqlite3) and the socket layer speak English: ``(1045, "Access denied
for user …")``, ``FATAL: password authentication failed``, ``[Errno 111] Connection refused``.
:func:`reason` turns the common cases (access denied, unknown database, column or table, cannot
connect, unknown host, timeouts) into one Chinese sentence naming what the text names; anything
else is returned as the driver wrote it. The raw text is logged at INFO (``driver.error``), so
``--verbose`` and the daemon's log still show it; the user's line carries the Chinese only.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from collections.abc import Callable

log = logging.getLogger(__name__)

REFUSED = "连接被拒绝（服务未运行，或主机、端口不对）"
_Make = Callable[[re.Match[str]], str]

# Searched in order in the driver's text; the first match gives the sentence.
_TABLE: tuple[tuple[re.Pattern[str], _Make], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), make)
    for pattern, make in (
        (
            r"Access denied for user '([^']*)'@'([^']*)'",
            lambda m: f"账号 {m[1]} 被拒绝登录（用户名或密码错误，或不允许从 {m[2]} 登录）",
        ),
        (
            r"password authentication failed for user \"([^\"]*)\"",
            lambda m: f"账号 {m[1]} 的密码错误",
        ),
        (r"role \"([^\"]*)\" does not exist", lambda m: f"账号 {m[1]} 不存在"),
        (
            r"no pg_hba\.conf entry for host \"([^\"]*)\"",
            lambda m: f"服务器不允许从 {m[1]} 登录（pg_hba.conf）",
        ),
        (r"Unknown database '([^']*)'", lambda m: f"数据库 {m[1]} 不存在"),
        (r"database \"([^\"]*)\" does not exist", lambda m: f"数据库 {m[1]} 不存在"),
        (r"Unknown column '([^']*)'", lambda m: f"查询中的列 {m[1]} 不存在"),
        (r"column \"?([^\" ]+)\"? does not exist", lambda m: f"查询中的列 {m[1]} 不存在"),
        (r"no such column: (\S+)", lambda m: f"查询中的列 {m[1]} 不存在"),
        (r"Table '([^']*)' doesn't exist", lambda m: f"查询中的表 {m[1]} 不存在"),
        (r"relation \"([^\"]*)\" does not exist", lambda m: f"查询中的表 {m[1]} 不存在"),
        (r"no such table: (\S+)", lambda m: f"查询中的表 {m[1]} 不存在"),
        (r"(\w+) command denied to user '([^']*)'", lambda m: f"账号 {m[2]} 没有 {m[1]} 权限"),
        (r"permission denied for (?:table|relation) (\S+)", lambda m: f"没有读取表 {m[1]} 的权限"),
        (r"Connection refused", lambda m: REFUSED),
        (r"failed to resolve host '([^']*)'", lambda m: f"主机名 {m[1]} 无法解析"),
        (
            r"Can't connect to MySQL server on '([^']*)' \(\[Errno -\d\]",
            lambda m: f"主机名 {m[1]} 无法解析",
        ),
        (
            r"Name or service not known|nodename nor servname|getaddrinfo failed",
            lambda m: "主机名无法解析",
        ),
        (r"No route to host|Network is unreachable", lambda m: "网络不可达（无法到达该主机）"),
        (
            r"timeout expired|timed out|Lost connection to MySQL server during query",
            lambda m: "连接超时或中断",
        ),
        (
            r"canceling statement due to statement timeout|max_execution_time exceeded",
            lambda m: "查询超过了服务器设定的最长执行时间",
        ),
        (r"unable to open database file", lambda m: "无法打开 SQLite 数据库文件"),
    )
)

# The socket layer: errno values an operator meets, in Chinese.
_ERRNOS = {
    errno.ECONNREFUSED: REFUSED,
    errno.ETIMEDOUT: "连接超时",
    errno.EHOSTUNREACH: "无法到达该主机",
    errno.ENETUNREACH: "网络不可达",
    errno.ECONNRESET: "连接被对方重置",
    errno.EPIPE: "连接已断开",
    errno.EADDRINUSE: "端口已被占用",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
    errno.EACCES: "没有权限",
    errno.ENOENT: "文件或目录不存在",
}


def os_reason(exc: BaseException) -> str:
    """An OSError (socket, file) in Chinese; other errors as their text."""
    if isinstance(exc, socket.gaierror):
        return "主机名无法解析"
    if isinstance(exc, TimeoutError):
        return "连接超时"
    if isinstance(exc, OSError) and exc.errno in _ERRNOS:
        return _ERRNOS[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def translate(text: str) -> str | None:
    """The Chinese sentence for a driver's error text, or None when it is not a common case."""
    for pattern, make in _TABLE:
        m = pattern.search(text)
        if m:
            return make(m)
    return None


def reason(exc: BaseException, scrub: Callable[[str], str] = str) -> str:
    """What the user reads for a driver or network error: Chinese for the common cases, the
    driver's (scrubbed) text otherwise. The raw text goes to the log only."""
    orig = getattr(exc, "orig", None) or exc
    raw = " ".join(scrub(str(orig)).split())
    log.info("driver.error kind=%s raw=%s", type(orig).__name__, raw)
    chinese = translate(raw)
    if chinese:
        return chinese
    if isinstance(orig, OSError):
        return os_reason(orig)
    return raw or type(orig).__name__
