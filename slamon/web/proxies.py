"""Who the client is behind a reverse proxy: X-Forwarded-For and X-Forwarded-Proto are believed
only when the peer is one of ``web.trusted_proxies`` (none by default), so a client talking to
the dashboard directly cannot choose the address the login limiter and the access log see."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from slamon.config.web import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOPS = 32  # a longer X-Forwarded-For is not walked further: the last trusted hop is used


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _header(scope: dict, name: bytes) -> str | None:
    """Every value of header ``name``, joined by commas as HTTP allows (None when absent)."""
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return ",".join(values) if values else None


class TrustedProxies:
    def __init__(self, networks: Sequence[Network]) -> None:
        self.networks = tuple(networks)

    def trusted(self, host: str | None) -> bool:
        addr = _address(host) if host else None
        return addr is not None and any(addr in net for net in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: walking X-Forwarded-For from the right (the hop nearest to us),
        the first address that is not a trusted proxy. A peer that is not trusted is the client,
        whatever the header says; a malformed hop stops the walk at the last trusted one."""
        if not forwarded_for or not self.trusted(peer):
            return peer
        current = peer
        for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
            addr = _address(hop)
            if addr is None:
                return current
            current = str(addr)
            if not self.trusted(current):
                return current
        return current

    def scheme(self, peer: str, scheme: str, forwarded_proto: str | None) -> str:
        """``https`` when a trusted proxy says the client used it (its own, the last value)."""
        if not forwarded_proto or not self.trusted(peer):
            return scheme
        proto = forwarded_proto.split(",")[-1].strip().lower()
        return proto if proto in ("http", "https") else scheme


class ForwardedHeaders:
    """ASGI middleware: the request's client and scheme as the trusted proxies report them."""

    def __init__(self, app: Any, proxies: TrustedProxies) -> None:
        self.app, self.proxies = app, proxies

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.proxies.networks:
            peer = (scope.get("client") or ("", 0))[0]
            if self.proxies.trusted(peer):
                forwarded_for = _header(scope, b"x-forwarded-for")
                client = self.proxies.client(peer, forwarded_for)
                scheme = self.proxies.scheme(
                    peer, scope.get("scheme", "http"), _header(scope, b"x-forwarded-proto")
                )
                scope = {**scope, "client": (client, 0), "scheme": scheme}
        await self.app(scope, receive, send)
