"""The ``web:`` section of config.yaml: where the dashboard listens, where its users file and
signing key live, and which reverse proxies may say who the client is. Neither users nor secrets
are ever in config.yaml itself."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slamon.core.errors import ConfigError

_LISTEN = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):(?P<port>\d{1,5})$")
KNOWN = {
    "listen",
    "users_file",
    "secret_file",
    "trusted_proxies",
    "public_url",
    "dispute_max_bytes",
}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DISPUTE_MAX_BYTES = 10 * 1024 * 1024
DISPUTE_MAX_BYTES_CAP = 50 * 1024 * 1024


@dataclass(frozen=True)
class WebConfig:
    listen: str | None = None  # "host:port"; None: ``slamon run`` serves no dashboard
    users_file: Path = Path("web-users.txt")
    secret_file: Path = Path("web-secret.key")
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default.
    trusted_proxies: tuple[Network, ...] = ()
    # The dashboard's address as the mail readers reach it (https://slamon.example.gov.cn):
    # mails link to its pages; None: mails carry no links.
    public_url: str | None = None
    # The largest attachment of a 情况说明 (bytes); default 10 MB, at most 50 MB.
    dispute_max_bytes: int = DISPUTE_MAX_BYTES

    @property
    def host_port(self) -> tuple[str, int] | None:
        if self.listen is None:
            return None
        m = _LISTEN.match(self.listen)
        assert m is not None  # checked by parse_web
        return m["host"].strip("[]"), int(m["port"])


def _path(data: dict[str, Any], name: str, default: str, base: Path) -> Path:
    v = data.get(name, default)
    if not isinstance(v, str) or not v.strip():
        raise ConfigError("应为文件路径", key=f"web.{name}", value=v)
    p = Path(v.strip()).expanduser()
    return p if p.is_absolute() else base / p


def _networks(value: Any) -> tuple[Network, ...]:
    """``web.trusted_proxies``: a list of addresses or CIDR blocks (one address: a string)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError(
            "应为地址或网段列表，如 [127.0.0.1, 10.0.0.0/8]", key="web.trusted_proxies"
        )
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ConfigError(
                "应为 IP 地址或网段（如 10.0.0.0/8）", key="web.trusted_proxies", value=item
            ) from None
    return tuple(out)


def _public_url(value: Any) -> str | None:
    """``web.public_url``: an absolute http(s) address without query or fragment (a path
    prefix is kept, the trailing slash dropped)."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None  # a password in a link would travel in every mail
        or parts.query
        or parts.fragment
        or text.endswith(("?", "#"))
        or any(c.isspace() for c in text)
    ):
        raise ConfigError(
            "应为不带查询参数的 http(s) 网址，如 https://slamon.example.gov.cn",
            key="web.public_url",
            value=value,
        )
    return text.rstrip("/")


def _max_bytes(value: Any) -> int:
    """``web.dispute_max_bytes``: a whole number of bytes, 1 KB to 50 MB."""
    if value is None:
        return DISPUTE_MAX_BYTES
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (1024 <= value <= DISPUTE_MAX_BYTES_CAP)
    ):
        raise ConfigError(
            "应为 1024 到 52428800 之间的字节数（默认 10485760，即 10 MB）",
            key="web.dispute_max_bytes",
            value=value,
        )
    return value


def parse_web(web: Any, base_dir: Path) -> WebConfig:
    """Validate ``web:`` from config's typed reader of the section (which refuses unknown keys);
    each error names its key."""
    data = web.data
    listen = data.get("listen")
    if listen is not None:
        m = _LISTEN.match(str(listen).strip()) if isinstance(listen, str) else None
        if m is None or not 1 <= int(m["port"]) <= 65535:
            raise ConfigError("应为 主机:端口，如 127.0.0.1:8080", key="web.listen", value=listen)
        listen = listen.strip()
    return WebConfig(
        listen=listen,
        users_file=_path(data, "users_file", "web-users.txt", base_dir),
        secret_file=_path(data, "secret_file", "web-secret.key", base_dir),
        trusted_proxies=_networks(data.get("trusted_proxies")),
        public_url=_public_url(data.get("public_url")),
        dispute_max_bytes=_max_bytes(data.get("dispute_max_bytes")),
    )
