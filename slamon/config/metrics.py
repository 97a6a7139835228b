"""The ``metrics:`` section of config.yaml: where the daemon serves Prometheus metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slamon.config.web import _LISTEN
from slamon.core.errors import ConfigError


@dataclass(frozen=True)
class MetricsConfig:
    listen: str | None = None  # "host:port"; None: the daemon serves no metrics

    @property
    def host_port(self) -> tuple[str, int] | None:
        if self.listen is None:
            return None
        m = _LISTEN.match(self.listen)
        assert m is not None  # checked by parse_metrics
        return m["host"].strip("[]"), int(m["port"])


def parse_metrics(metrics: Any) -> MetricsConfig:
    """Validate ``metrics:`` from config's typed reader of the section (which refuses unknown
    keys); each error names its key."""
    listen = metrics.data.get("listen")
    if listen is not None:
        m = _LISTEN.match(listen.strip()) if isinstance(listen, str) else None
        if m is None or not 0 <= int(m["port"]) <= 65535:
            raise ConfigError(
                "应为 主机:端口，如 127.0.0.1:9108", key="metrics.listen", value=listen
            )
        listen = listen.strip()
    return MetricsConfig(listen=listen)
