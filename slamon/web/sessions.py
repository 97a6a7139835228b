"""Signed session cookies and CSRF tokens. Standard library only.

The signing key lives in its own file (``web.secret_file``), created 0600 on first start and
never in config.yaml. A cookie is ``token.base64(hmac-sha256)``: a random token naming a session
kept in the store (slamon.service.web_sessions), which holds the user, the CSRF token and the
expiry; the role is looked up in the users file at every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from slamon.core.errors import ConfigError

COOKIE = "slamon_session"
MAX_COOKIE = 200


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


class SessionSigner:
    """The cookie is ``token.hmac``: the random session token (its session is in the store, see
    slamon.service.web_sessions) signed with the key, so a guessed or altered value is refused
    before the store is asked."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"slamon-session-token\0" + key).digest()

    def _mac(self, token: str) -> str:
        return _b64(hmac.new(self._key, token.encode(), hashlib.sha256).digest())

    def sign(self, token: str) -> str:
        return f"{token}.{self._mac(token)}"

    def read(self, cookie: str | None) -> str | None:
        """The token of a cookie this key signed, or None."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > MAX_COOKIE:
            return None
        token, mac = cookie.split(".")
        return token if token and hmac.compare_digest(mac, self._mac(token)) else None


def csrf_ok(session_csrf: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session_csrf.encode(), str(token).encode())
