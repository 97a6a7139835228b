"""A local SMTP sink for ``slamon demo``: aiosmtpd on 127.0.0.1 that saves each message as .eml."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmlSink:
    """Start with ``with EmlSink(folder) as sink:``; ``sink.port`` is where to send."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.saved: list[Path] = []
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        n = len(self.saved) + 1
        path = self.folder / f"mail-{n:03d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        self.saved.append(path)
        return "250 OK"

    def __enter__(self) -> EmlSink:
        from aiosmtpd.controller import Controller

        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
