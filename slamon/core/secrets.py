"""The one secret masker: every URL that is shown, logged, stored or mailed goes through it.

A URL's password is masked wherever it sits: in the user-info part (``user:pw@host``, even with
an unencoded ``@`` or ``/`` inside it: the password runs to the last ``@`` of the URL) and in the
query string (``?password=…``, ``&pwd=…``, ``token``, ``secret`` …).
"""

from __future__ import annotations

import re

MASK = "***"
# user-info: scheme://user:PASSWORD@host — greedy to the last "@" of the whitespace-free token
_USERINFO = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<pw>\S*)(?=@[^@\s]*)")
_QUERY_KEYS = r"password|passwd|pwd|pass|secret|token|api_key|apikey|access_token"
_QUERY = re.compile(rf"(?P<head>[?&;](?:{_QUERY_KEYS})=)(?P<pw>[^&;\s'\"]*)", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with every URL password (user-info or query string) replaced by ***."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(rf"\g<head>{MASK}", text)
    return _QUERY.sub(rf"\g<head>{MASK}", text)


def mask_url(url: str) -> str:
    """A URL fit to show: its password masked."""
    return mask_secrets(url)


def url_label(url: str) -> str:
    """A name for the place a URL points at, fit for keys and messages: ``host:port/database``
    without user, password or query string (so it survives a password change)."""
    masked = mask_secrets(url.strip())
    rest = masked.split("://", 1)[-1]
    rest = rest.rsplit("@", 1)[-1]
    return rest.split("?", 1)[0].rstrip("/") or "本地"


def url_passwords(url: str) -> list[str]:
    """The secret values a URL carries (to scrub them from a driver's message)."""
    found = [m.group("pw") for m in _USERINFO.finditer(url)]
    found += [m.group("pw") for m in _QUERY.finditer(url)]
    return [p for p in found if p]


def scrub(message: str, url: str) -> str:
    """The first line of a driver's message, with the URL's secrets removed wherever they appear."""
    line = (message.strip().splitlines() or [""])[0]
    for secret in url_passwords(url):
        line = line.replace(secret, MASK)
    return mask_secrets(line)
