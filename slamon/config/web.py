"""The ``web:`` section of config.yaml: where the dashboard listens and where its users file and
signing key live. Neither users nor secrets are ever in config.yaml itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slamon.core.errors import ConfigError

_LISTEN = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):(?P<port>\d{1,5})$")
KNOWN = {"listen", "users_file", "secret_file"}


@dataclass(frozen=True)
class WebConfig:
    listen: str | None = None  # "host:port"; None: ``slamon run`` serves no dashboard
    users_file: Path = Path("web-users.txt")
    secret_file: Path = Path("web-secret.key")

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


def parse_web(data: Any, base_dir: Path) -> WebConfig:
    """Validate ``web:``; each error names its key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("应为映射", key="web")
    unknown = sorted(set(map(str, data)) - KNOWN)
    if unknown:
        raise ConfigError("未知配置项", key=f"web.{unknown[0]}")
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
    )
