"""Serving the dashboard with uvicorn: in the foreground (``slamon web``) or in a thread of the
daemon (``slamon run`` with ``web.listen``), stopped cleanly on SIGTERM."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from slamon.adapters.driver_errors import os_reason
from slamon.core.errors import InputError
from slamon.runtime import Runtime
from slamon.web.app import create_app

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("slamon.web")


def make_server(rt: Runtime, host: str, port: int, engine: Any = None) -> uvicorn.Server:
    import uvicorn

    app = create_app(rt, engine)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # the app logs one line per request, with the user
        log_config=None,  # keep slamon's logging set-up
        # X-Forwarded-For/-Proto are read by the app, and only from web.trusted_proxies
        # (slamon.web.proxies); uvicorn's own handling would believe any local peer
        proxy_headers=False,
        server_header=False,
        lifespan="off",
    )
    return uvicorn.Server(config)


def serve(rt: Runtime, host: str, port: int) -> None:
    """``slamon web``: serve until SIGTERM or SIGINT, then finish the requests in flight and
    exit 0."""
    stop = threading.Event()

    def _handle(signum: int, _frame: Any) -> None:
        log.info("web.signal signal=%s", signal.Signals(signum).name)
        stop.set()

    # The handlers go in before the server answers its first request: a SIGTERM that arrives
    # as soon as /healthz says ok must still end in a clean exit.
    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    web = WebThread(rt, None, host, port)
    try:
        if not web.start():
            raise InputError(f"无法在 {host}:{port} 上监听（{web.error or '服务未能启动'}）")
        while not stop.wait(1.0) and web.thread.is_alive():
            pass
    finally:
        web.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def bind_reason(exc: OSError, host: str) -> str:
    """Why an address could not be bound, in Chinese: the cause, not a guess."""
    # socket.create_server re-raises a resolver failure as a plain OSError with its EAI_* code
    if isinstance(exc, socket.gaierror) or (exc.errno or 0) < 0:
        return f"主机名 {host} 无法解析"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"本机没有地址 {host}"
    if exc.errno == errno.EACCES:
        return "没有权限使用该端口（1024 以下的端口需要特权）"
    return os_reason(exc)


class WebThread:
    """uvicorn in a thread (it installs no signal handlers there), for the daemon and for
    ``slamon web``; ``stop()`` asks it to finish and waits."""

    def __init__(
        self, rt: Runtime, engine: Any, host: str | None = None, port: int | None = None
    ) -> None:
        if host is None or port is None:
            hp = rt.settings.web.host_port
            assert hp is not None
            host, port = hp
        self.host, self.port = host, port
        self.server = make_server(rt, self.host, self.port, engine)
        self.sockets: list[socket.socket] = []  # bound by start(), served by the thread
        self.error: str | None = None  # why start() could not bind, in Chinese
        self.thread = threading.Thread(
            target=self.server.run, args=(self.sockets,), name="slamon-web", daemon=True
        )

    def start(self, wait_seconds: float = 10.0) -> bool:
        """Start serving; False (logged) when the address cannot be bound or uvicorn did not
        start within ``wait_seconds``."""
        try:  # bound here, not in the thread: a taken port is an answer, not a thread that dies
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self.sockets.append(socket.create_server((self.host, self.port), family=family))
        except OSError as exc:
            log.error("web.not_listening host=%s port=%d error=%s", self.host, self.port, exc)
            self.error = bind_reason(exc, self.host)
            return False
        self.thread.start()
        deadline = time.monotonic() + wait_seconds
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.server.started:
            log.error("web.not_listening host=%s port=%d", self.host, self.port)
            return False
        log.info("web.listening host=%s port=%d", self.host, self.port)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self.thread.ident is not None:  # started
            self.thread.join(timeout)
        log.info("web.stopped")
