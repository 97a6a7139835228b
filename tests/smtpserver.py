"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 on a port the kernel picks, capturing every
message.

Listed in conftest's ``pytest_plugins``. The ``smtp_server`` fixture yields a :class:`SmtpServer`
that can simulate what a relay does to a sender:

- ``refuse("a@x", code=550)``: refuse one recipient at RCPT (the others are accepted);
- ``stop()`` / ``start()``: the server is down (connections refused) / back on the same port;
- ``require_auth(user, password)``: AUTH required; wrong credentials get 535, none get 530;
- ``drop_on_data = True``: close the connection when the message is sent (a relay that dies);
- ``data_reply = "451 ..."``: answer DATA with this reply instead of accepting the message;
- ``accept_then_drop = True``: keep the message, then close the connection without answering;
- ``data_delay = 1.5``: keep the message, then wait this many seconds before answering 250
  (a slow relay, or one that answers after the client's timeout);
- ``mail_from_reply = "421 ..."``: answer MAIL FROM with this reply.

``smtp_server.messages`` lists :class:`Captured` (envelope sender, recipients, parsed message).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import functools
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

HOST = "127.0.0.1"


def _bound_socket(port: int = 0) -> socket.socket:
    """A TCP socket bound to ``HOST:port`` (0: a port the kernel picks), not listening yet: the
    port is this server's from here on, and connections are refused until :meth:`start`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


def _controller(handler: Any, sock: socket.socket, **kwargs: Any) -> Any:
    """An aiosmtpd controller serving on ``sock`` (it listens on it, and closes it at stop)."""
    from aiosmtpd.controller import Controller

    class OnSocket(Controller):
        def _create_server(self) -> Any:
            return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)

    return OnSocket(handler, hostname=HOST, port=sock.getsockname()[1], **kwargs)


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @functools.cached_property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        """The decoded text of the text/<subtype> part."""
        for p in self.message.walk():
            if p.get_content_type() == f"text/{subtype}":
                return p.get_content()
        raise KeyError(subtype)


class SmtpServer:
    def __init__(self) -> None:
        self.host = HOST
        self._socket: socket.socket | None = _bound_socket()
        self.port: int = self._socket.getsockname()[1]
        self.messages: list[Captured] = []
        self.refused: dict[str, int] = {}
        self.auth: tuple[str, str] | None = None
        self.auth_attempts = 0
        self.drop_on_data = False
        self.data_reply: str | None = None
        self.accept_then_drop = False
        self.data_delay = 0.0
        self.mail_from_reply: str | None = None
        self.connections = 0
        self._lock = threading.Lock()
        self._controller: Any = None

    # -- simulation switches ---------------------------------------------------------------
    def refuse(self, address: str, code: int = 550) -> None:
        self.refused[address] = code

    def require_auth(self, user: str, password: str) -> None:
        was_running = self._controller is not None
        self.stop()
        self.auth = (user, password)
        if was_running:
            self.start()

    # -- aiosmtpd handler hooks --------------------------------------------------------------
    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:  # noqa: N802
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:  # noqa: N802
        code = self.refused.get(address)
        if code is not None:
            return (
                f"{code} 5.1.1 <{address}>: recipient refused"
                if code >= 500
                else f"{code} 4.2.0 <{address}>: try later"
            )
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.drop_on_data:
            server.transport.close()
            return "421 closing"
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        with self._lock:
            self.messages.append(Captured(envelope.mail_from, list(envelope.rcpt_tos), raw))
        if self.accept_then_drop:
            server.transport.close()
            return "250 Message accepted"
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted"

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:  # noqa: N802
        if self.mail_from_reply:
            return self.mail_from_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult

        self.auth_attempts += 1
        assert self.auth is not None
        user, password = self.auth
        login = getattr(auth_data, "login", b"") or b""
        pw = getattr(auth_data, "password", b"") or b""
        ok = login.decode() == user and pw.decode() == password
        return AuthResult(success=ok, handled=False)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> SmtpServer:
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {}
        if self.auth is not None:
            kwargs = dict(
                auth_required=True, auth_require_tls=False, authenticator=self._authenticate
            )
        if self._socket is None:
            # Back after stop() on the same port, which the client's configuration names: the one
            # place a port number is bound again (SO_REUSEADDR, so a closing one does not block).
            self._socket = _bound_socket(self.port)
        sock, self._socket = self._socket, None
        self._controller = _controller(self, sock, ready_timeout=5, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()  # closes the listening socket: connections are refused
            self._controller = None
        if self._socket is not None:  # never started
            self._socket.close()
            self._socket = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def smtp_config(self, **overrides: Any) -> dict[str, Any]:
        """The ``smtp:`` section of a config.yaml pointing at this server."""
        return {
            "host": self.host,
            "port": self.port,
            "sender": "slamon@xxzx.example.gov.cn",
            "timeout_seconds": 5,
            **overrides,
        }

    def to(self, address: str) -> list[Captured]:
        return [m for m in self.messages if address in m.rcpt_tos]


def pytest_configure(config: pytest.Config) -> None:
    # AUTH without TLS is intended here: a local test server on 127.0.0.1.
    config.addinivalue_line(
        "filterwarnings", "ignore:Requiring AUTH while not requiring TLS:UserWarning"
    )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
