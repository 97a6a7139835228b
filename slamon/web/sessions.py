"""Signed session cookies, CSRF tokens and the login rate limiter. Standard library only.

The signing key lives in its own file (``web.secret_file``), created 0600 on first start and
never in config.yaml. A cookie is ``base64(json).base64(hmac-sha256)``; it carries the user name,
a CSRF token and an expiry; the role is looked up in the users file at every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from slamon.core.errors import ConfigError

COOKIE = "slamon_session"
SESSION_SECONDS = 12 * 3600


def load_or_create_key(path: Path) -> bytes:
    """The signing key from ``path``; a new random key written 0600 when there is none.
    A file that cannot be read or created stops start-up naming ``web.secret_file``."""

    try:
        data = path.read_bytes().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            return load_or_create_key(path)
        except OSError as exc:
            raise ConfigError(
                f"无法创建签名密钥文件（{exc.strerror}）", key="web.secret_file", path=path
            ) from exc
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        return key
    except OSError as exc:
        raise ConfigError(
            f"无法读取签名密钥文件（{exc.strerror}）", key="web.secret_file", path=path
        ) from exc
    if len(data) < 32:
        raise ConfigError("签名密钥太短（至少 32 个字符）", key="web.secret_file", path=path)
    return data


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    expires: int


class SessionSigner:
    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"slamon-session\0" + key).digest()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, user: str, now: float | None = None) -> tuple[str, Session]:
        s = Session(user, secrets.token_urlsafe(24), int((now or time.time()) + SESSION_SECONDS))
        body = _b64(json.dumps({"u": s.user, "c": s.csrf, "e": s.expires}).encode())
        return f"{body}.{self._mac(body)}", s

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            s = Session(str(data["u"]), str(data["c"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return s if s.expires > (now or time.time()) else None


def csrf_ok(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf.encode(), str(token).encode())


class LoginLimiter:
    """Failed logins in a sliding window, per user name and per client address."""

    def __init__(self, per_user: int = 5, per_ip: int = 20, window_seconds: float = 900.0) -> None:
        self.limits = {"user": per_user, "ip": per_ip}
        self.window = window_seconds
        self._fails: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, user: str, ip: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            return (
                len(self._recent(("user", user), now)) >= self.limits["user"]
                or len(self._recent(("ip", ip), now)) >= self.limits["ip"]
            )

    def failed(self, user: str, ip: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(("user", user), now).append(now)
            self._recent(("ip", ip), now).append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._fails.pop(("user", user), None)
