"""The ``source:`` section of config.yaml: where application records come from and how they are
read (kept apart from settings.py, which reads the rest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slamon.core.cursors import CURSOR_KINDS, TIMESTAMP
from slamon.core.errors import ConfigError

SOURCE_KINDS = ("sql", "folder", "demo", "none")


@dataclass(frozen=True)
class SourceConfig:
    kind: str = "demo"
    url: str | None = None
    query: str | None = None
    folder: Path | None = None
    poll_minutes: int = 10
    stale_minutes: int = 120
    max_file_mb: int = 100
    max_rows: int = 500_000
    max_unpacked_mb: int = 500
    full_query: str | None = None
    overlap_minutes: int = 5
    full_sync: dt.time | None = dt.time(2, 30)  # the daily full reconciliation; None: never
    cursor: str = TIMESTAMP  # what kind of column updated_at is (slamon.core.cursors)


def parse_source(src: Any, env: Mapping[str, str], base_dir: Path) -> SourceConfig:
    """The source section from config's typed reader (``src``); errors name the key."""
    kind = src.text("kind", "demo")
    if kind not in SOURCE_KINDS:
        raise src.fail("kind", f"应为 {' / '.join(SOURCE_KINDS)} 之一")
    cursor = src.text("cursor", SourceConfig.cursor)
    if cursor not in CURSOR_KINDS:
        raise src.fail("cursor", f"应为 {' / '.join(CURSOR_KINDS)} 之一")
    source = SourceConfig(
        kind=kind,
        url=env.get("SLAMON_SOURCE_URL") or src.text("url", None),
        query=src.text("query", None),
        folder=src.path("folder", None, base_dir),
        poll_minutes=src.integer("poll_minutes", 10, 1, 24 * 60),
        stale_minutes=src.integer("stale_minutes", 120, 1, 7 * 24 * 60),
        max_file_mb=src.integer("max_file_mb", 100, 1, 10_000),
        max_rows=src.integer("max_rows", 500_000, 1, 100_000_000),
        max_unpacked_mb=src.integer("max_unpacked_mb", 500, 1, 100_000),
        full_query=src.text("full_query", None),
        overlap_minutes=src.integer("overlap_minutes", 5, 0, 7 * 24 * 60),
        full_sync=src.hhmm("full_sync", dt.time(2, 30)) if src.data.get("full_sync", 1) else None,
        cursor=cursor,
    )
    if kind == "sql" and (not source.url or not source.query):
        raise ConfigError("source.kind 为 sql 时两者都必须填写", key="source.url / source.query")
    if kind == "folder" and source.folder is None:
        raise ConfigError("source.kind 为 folder 时必须填写导出文件目录", key="source.folder")
    return source
