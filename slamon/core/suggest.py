"""Near-miss suggestions for unknown configuration keys (``sorce`` → ``source``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from slamon.core.errors import ConfigError


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` is most likely a misspelling of, or None when none is close."""
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key(prefix: str, name: str, known: Iterable[str]) -> ConfigError:
    """The error for an unknown key ``prefix.name``, suggesting the nearest known key."""
    dotted = f"{prefix}." if prefix else ""
    guess = nearest(name, known)
    problem = "未知配置项" + (f"，是否指 {dotted}{guess}？" if guess else "")
    return ConfigError(problem, key=f"{dotted}{name}")
