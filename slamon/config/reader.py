"""The typed reader every section parser of config.yaml uses: each error names the full key, and
an unknown key names the nearest known one.

Start-up stops at the first error (the reader raises it). ``check-config`` reads in collecting
mode instead (an ``errors`` list): each problem is noted, the key keeps its default and reading
goes on, so every mistake in the file is reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from slamon.core.errors import ConfigError
from slamon.core.suggest import unknown_key

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
T = TypeVar("T")


class Reader:
    """Typed access to one mapping of the YAML; every error names the full key."""

    def __init__(
        self, data: Any, prefix: str, known: set[str], errors: list[ConfigError] | None = None
    ) -> None:
        self.prefix, self.errors = prefix, errors
        self.data: dict[Any, Any] = {}
        if data is None:
            return
        if not isinstance(data, dict):
            self.report(ConfigError("应为映射", key=prefix or "（根）"))
            return
        for name in sorted(set(map(str, data)) - known):
            self.report(unknown_key(prefix, name, known))
        self.data = data

    def report(self, error: ConfigError) -> None:
        """Raise ``error``; when collecting, note it and go on."""
        if self.errors is None:
            raise error
        self.errors.append(error)

    def guard(self, step: Callable[[], T], default: T) -> T:
        """``step()``; when collecting, a ConfigError it raises is noted and ``default`` stands."""
        if self.errors is None:
            return step()
        try:
            return step()
        except ConfigError as exc:
            self.errors.append(exc)
            return default

    def section(self, name: str, known: set[str]) -> Reader:
        """The reader of the mapping under ``name`` (collecting if this one is)."""
        return Reader(self.data.get(name), self.key(name), known, self.errors)

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(message, key=self.key(name), value=self.data.get(name))

    def _bad(self, name: str, message: str, default: T) -> T:
        self.report(self.fail(name, message))
        return default

    def text(self, name: str, default: str | None) -> str | None:
        v = self.data.get(name, default)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            return self._bad(name, "应为非空文本", default)
        return v.strip()

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        v = self.data.get(name, default)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            return self._bad(name, f"应为 {lo} 到 {hi} 之间的整数", default)
        return v

    def boolean(self, name: str, default: bool) -> bool:
        v = self.data.get(name, default)
        if not isinstance(v, bool):
            return self._bad(name, "应为 true 或 false", default)
        return v

    def hhmm(self, name: str, default: dt.time) -> dt.time:
        v = self.data.get(name, default.strftime("%H:%M"))
        if not isinstance(v, str) or not _HHMM.match(v):
            return self._bad(name, "应为 HH:MM 格式的时间", default)
        return dt.time.fromisoformat(v)

    def emails(self, name: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(e, str) and EMAIL.match(e.strip()) for e in value
        ):
            self.report(ConfigError("应为邮箱地址列表", key=self.key(name), value=value))
            return ()
        return tuple(e.strip() for e in value)

    def path(self, name: str, default: str | Path | None, base: Path) -> Path | None:
        v = self.text(name, None if default is None else str(default))
        if v is None:
            return None
        p = Path(v).expanduser()
        return p if p.is_absolute() else base / p
