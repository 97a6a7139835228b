"""``check-config`` for a sql source's incremental cursor: the query read from the beginning must
bring rows, and its ``updated_at`` values must be of the kind ``source.cursor`` says — an epoch
column read as a timestamp matches no row, every poll, and reports success."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.sql import SqlSource
from slamon.core import cursors
from slamon.core.errors import SourceError
from slamon.core.findings import OK, WARN, Finding
from slamon.core.records import canonical_field

if TYPE_CHECKING:
    from slamon.config import SourceConfig

CURSOR = "增量游标"
SAMPLE_ROWS = 200  # the rows of the query's beginning looked at


def _source(config: SourceConfig, tz: dt.tzinfo, kind: str) -> SqlSource:
    assert config.url and config.query
    return SqlSource(config.url, config.query, tz=tz, cursor=kind)


def _sample(config: SourceConfig, tz: dt.tzinfo, kind: str) -> tuple[int, list[Any]] | None:
    """(rows, their updated_at values) of the query's beginning with ``:since`` bound as ``kind``
    binds it first; None when the query fails that way."""
    src = _source(config, tz, kind)
    try:
        keys, rows = src.head(SAMPLE_ROWS)
    except SourceError:
        return None
    finally:
        src.dispose()
    fields = [canonical_field(k) for k in keys]
    if "updated_at" not in fields:
        return len(rows), []
    col = fields.index("updated_at")
    return len(rows), [r[col] for r in rows]


def _shown(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if isinstance(value, dt.datetime) else str(value)


def _mismatch(kind: str, values: list[Any]) -> tuple[str, str] | None:
    """(the kind the values look like, a sentence on them) when it is not ``kind``."""
    seen = cursors.likely_kind(values)
    if seen is None or seen[0] == kind:
        return None
    other, example = seen
    return other, f"updated_at 的值形如 {_shown(example)}（{cursors.KIND_NAMES[other]}）"


def _binding(kind: str) -> str:
    """How a first read binds ``:since`` in this kind, in words."""
    return "日期时间（1970-01-01）" if kind == cursors.TIMESTAMP else "整数"


def _bound_other_way(config: SourceConfig, tz: dt.tzinfo) -> str | None:
    """The query bound in the other family (a number for a timestamp, a timestamp for a number):
    when that brings rows, the sentence saying so and which ``source.cursor`` to set."""
    if not _source(config, tz, config.cursor).incremental:
        return None
    other = cursors.EPOCH_MS if config.cursor == cursors.TIMESTAMP else cursors.TIMESTAMP
    found = _sample(config, tz, other)
    if not found or not found[0]:
        return None
    rows, values = found
    bad = _mismatch(config.cursor, values)
    said = f"，{bad[1]}" if bad else ""
    return (
        f"按{_binding(other)}绑定时返回 {rows} 行{said}："
        f"请设置 source.cursor: {bad[0] if bad else other}"
    )


def cursor_findings(config: SourceConfig, tz: dt.tzinfo) -> Iterator[Finding]:
    """Read the query from the beginning: no row, or updated_at of another kind, is a warning."""
    kind = config.cursor
    setting = f"source.cursor: {kind}"
    found = _sample(config, tz, kind)
    if found is None:
        return  # the query probe says why it fails
    rows, values = found
    if not rows:
        yield _no_rows(config, tz, setting)
        return
    bad = _mismatch(kind, values)
    if bad is not None:
        yield Finding(
            WARN,
            CURSOR,
            f"{bad[1]}，与 {setting}（{cursors.KIND_NAMES[kind]}）不符：增量读取可能读不到"
            f"或每轮重读全部记录；请设置 source.cursor: {bad[0]}",
        )
        return
    if config.cursor == cursors.INTEGER and config.full_sync is None:
        yield Finding(
            WARN,
            CURSOR,
            f"{setting} 不按 overlap_minutes 回退重读：晚提交、计数值较小的记录只能由每日全量核对"
            "补齐，而 source.full_sync 已关闭",
        )
    if cursors.likely_kind(values) is not None:
        yield Finding(OK, CURSOR, f"查询从头读取有记录，updated_at 与 {setting} 相符")


def _no_rows(config: SourceConfig, tz: dt.tzinfo, setting: str) -> Finding:
    """No row from the beginning: bound the other way, does the query bring rows?"""
    other = _bound_other_way(config, tz)
    if other is None:
        return Finding(
            WARN,
            CURSOR,
            f"查询从头读取返回 0 行（{setting}）：平台尚无申请记录，或查询条件有误；"
            "每轮轮询都将读不到任何记录",
        )
    binding = _binding(config.cursor)
    return Finding(
        WARN, CURSOR, f"查询从头读取返回 0 行（{setting}，:since 按{binding}绑定）；{other}"
    )


def failed_query_hint(config: SourceConfig, tz: dt.tzinfo) -> Iterator[Finding]:
    """The server refused the query (PostgreSQL: ``bigint > timestamp``): when ``:since`` bound
    the other way makes it run and bring rows, say which ``source.cursor`` that is."""
    other = _bound_other_way(config, tz)
    if other is not None:
        yield Finding(
            WARN, CURSOR, f"查询按 source.cursor: {config.cursor} 绑定 :since 时失败；{other}"
        )
