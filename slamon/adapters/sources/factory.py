"""The configured source (settings.source.kind): sql, folder, demo or none.

A real platform (kind ``sql``) is read with ``source.overlap_minutes`` of overlap before the
cursor: a row committed late with an older ``updated_at`` is still caught, and rows read again
unchanged cost nothing (the poll service leaves them untouched). What the overlap misses, the full
reconciliation (``poll --full``, ``source.full_sync``) finds.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slamon.core.errors import ConfigError
from slamon.core.secrets import url_label

if TYPE_CHECKING:
    from slamon.adapters.sources.base import Source
    from slamon.adapters.sources.files import FileLimits
    from slamon.config import Settings

DEMO_DB = "demo-platform.db"


def file_limits(settings: Settings) -> FileLimits:
    """The configured limits for CSV/XLSX files."""
    from slamon.adapters.sources.files import FileLimits

    s = settings.source
    return FileLimits(s.max_file_mb, s.max_rows, s.max_unpacked_mb)


def make_source(settings: Settings) -> Source | None:
    src = settings.source
    if src.kind == "sql":
        from slamon.adapters.sources.sql import SqlSource

        if not src.url or not src.query:
            raise ConfigError(
                "配置项 source.url / source.query：source.kind 为 sql 时两者都必须填写"
            )
        # The source's name keys its cursor, health and mail in the store: never the URL itself.
        return SqlSource(
            src.url,
            src.query,
            name=f"数据库:{url_label(src.url)}",
            tz=settings.tz,
            overlap=dt.timedelta(minutes=src.overlap_minutes),
            full_query=src.full_query,
            cursor=src.cursor,
        )
    if src.kind == "folder":
        from slamon.adapters.sources.folder import FolderSource

        if src.folder is None:
            raise ConfigError("source.kind 为 folder 时必须填写导出文件目录", key="source.folder")
        return FolderSource(src.folder, limits=file_limits(settings))
    if src.kind == "demo":
        from slamon.adapters.sources.sql import SqlSource
        from slamon.demo.platform import TABLE, build_demo_platform, platform_query

        path = (settings.base_dir / DEMO_DB).resolve()
        if path.is_file():
            url, query = f"sqlite:///{path}", platform_query(TABLE)
        else:
            url, query = build_demo_platform(path)
        return SqlSource(url, query, tz=settings.tz)
    return None
