"""Running slamon as a real process, the way an operator starts it, and reading what it logs as it
comes (no polling, no sleeps)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

# Only a hang guard: the waits below return as soon as the line is there or the process is gone.
HANG_SECONDS = 60


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago, for a server in *another process* that takes its
    address from its configuration or command line (``web.listen``, ``--port``): slamon accepts
    no port 0 there, so the number must be chosen ahead and another program could take it in
    between. Servers in the test process bind port 0 (or a socket bound here) instead."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def spawn_slamon(config: Path, cwd: Path, *argv: str) -> subprocess.Popen:
    """``python -m slamon --config CONFIG ARGV…`` in ``cwd``, with no SLAMON_* variables of the
    test environment leaking in; stdout and stderr captured as text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLAMON_")}
    return subprocess.Popen(
        [sys.executable, "-m", "slamon", "--config", str(config), *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Slamon:
    """A running ``slamon`` process whose stdout and stderr a thread each reads line by line, so
    a test can wait for a log line and still get the whole output at the end; killed on exit
    from the ``with`` block if it is still running."""

    def __init__(self, config: Path, cwd: Path, *argv: str) -> None:
        self.proc = spawn_slamon(config, cwd, *argv)
        self._lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._open = {"stdout", "stderr"}
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            with self._changed:
                self._lines[name].append(line)
                self._changed.notify_all()
        with self._changed:
            self._open.discard(name)
            self._changed.notify_all()

    @property
    def stderr(self) -> str:
        with self._changed:
            return "".join(self._lines["stderr"])

    def wait_for_log(self, needle: str) -> None:
        """Return once a stderr line contains ``needle``; fail, with the output, when the process
        closes its stderr first (it ended)."""

        def seen() -> bool:
            return any(needle in line for line in self._lines["stderr"])

        with self._changed:
            self._changed.wait_for(lambda: seen() or "stderr" not in self._open, HANG_SECONDS)
            if not seen():
                raise AssertionError(f"never logged {needle!r}:\n{''.join(self._lines['stderr'])}")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``sig``, wait for the exit: (exit code, stdout, stderr)."""
        self.proc.send_signal(sig)
        code = self.proc.wait(HANG_SECONDS)
        for reader in self._readers:
            reader.join(HANG_SECONDS)
        with self._changed:
            return code, "".join(self._lines["stdout"]), "".join(self._lines["stderr"])

    def __enter__(self) -> Slamon:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
