"""What a read tells beyond its rows: the incremental cursor (keyed by a hash, never past now),
rows dated in the future, and — after a full read — what incremental polling missed and which
applications are gone from the platform (data_issue ``deleted``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import FetchResult, Source
from slamon.adapters.store import data_issues, runs
from slamon.core.vocabulary import DELETED

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from slamon.adapters.store.read_scratch import ReadScratch

log = logging.getLogger("slamon.poll")

FUTURE_ROWS_KEY = "future_rows"
FULL_SYNC_KEY = "full_sync_last"
DELETED_DETAIL = "全量核对时平台上已没有这条申请"


def cursor_key(source: Source | str) -> str:
    """The store key of a source's cursor: a hash of its whole identity (URL and query for a
    database), so changing either starts afresh, and no secret is ever part of a key."""
    identity = (
        source if isinstance(source, str) else getattr(source, "cursor_identity", source.name)
    )
    return "cursor:" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:40]


def future_note(future: Sequence[tuple[str, dt.datetime]], tz: dt.tzinfo) -> str | None:
    if not future:
        return None
    shown = "、".join(f"{ref}（{when.astimezone(tz):%Y-%m-%d %H:%M}）" for ref, when in future[:5])
    more = f" 等 {len(future)} 行" if len(future) > 5 else ""
    return f"更新时间晚于当前时间的行：{shown}{more}；未用于推进增量游标，请核实平台时钟或数据"


def record_future(conn: Connection, fetched: FetchResult) -> None:
    """Keep the rows dated in the future for ``status`` (replaced by every read that reports)."""
    rows = [{"row": ref, "updated_at": when.isoformat()} for ref, when in fetched.future[:100]]
    runs.set_meta(conn, FUTURE_ROWS_KEY, json.dumps(rows, ensure_ascii=False))


def future_rows(conn: Connection) -> list[dict[str, Any]]:
    raw = runs.get_meta(conn, FUTURE_ROWS_KEY)
    return json.loads(raw) if raw else []


def settle_full_read(
    conn: Connection, source_name: str, scratch: ReadScratch, summary: Any, now: dt.datetime
) -> set[str]:
    """After a complete read: say what incremental polling missed, and hold (data_issue
    ``deleted``) the applications of this source the platform no longer has. Returns the ids
    whose issue opened."""
    summary.missed = summary.inserted + summary.updated
    if summary.missed:
        summary.notes.append(f"增量读取遗漏 {summary.missed} 条，已在全量核对中补齐")
    gone = scratch.not_delivered(source_name)
    already = data_issues.open_issues(conn, gone)
    fresh = [aid for aid in gone if already.get(aid, ("",))[0] != DELETED]
    marked = data_issues.mark(
        conn, [(aid, DELETED, DELETED_DETAIL) for aid in fresh], now, summary.run_id
    )
    summary.deleted = len(gone)
    if gone:
        shown = "、".join(gone[:10]) + (f" 等 {len(gone)} 件" if len(gone) > 10 else "")
        summary.notes.append(f"已从平台删除：{shown}；标记为数据存疑，不再催办或通报")
        log.warning("poll.deleted source=%s count=%d", source_name, len(gone))
    runs.set_meta(conn, FULL_SYNC_KEY, now.isoformat())
    return set(marked)


def full_sync_due(conn: Connection, at: dt.time | None, now: dt.datetime, tz: dt.tzinfo) -> bool:
    """Whether the daily full reconciliation (``source.full_sync``) is due at ``now``."""
    if at is None:
        return False
    local = now.astimezone(tz)
    slot = dt.datetime.combine(local.date(), at, tz)
    if local < slot:
        slot -= dt.timedelta(days=1)
    raw = runs.get_meta(conn, FULL_SYNC_KEY)
    last = dt.datetime.fromisoformat(raw) if raw else None
    return last is None or last < slot
