"""A finding of ``check-config``: its level, what was checked, and what was found (Chinese)."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARN, ERROR = "ok", "warn", "error"


@dataclass(frozen=True)
class Finding:
    level: str  # OK / WARN / ERROR
    item: str
    message: str
