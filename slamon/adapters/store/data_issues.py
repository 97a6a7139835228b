"""Open data issues (数据存疑): applications held back from every notice and accusation.

- ``mark(conn, [(application_id, reason_code, detail)], now, run_id)``: open an issue, or refresh
  the reason and detail of one already open (its ``since`` stays);
- ``clear(conn, ids, now)``: close the open issues of ``ids`` (a good row settled them); returns
  the ids that had one;
- ``open_issues(conn)``: ``{application_id: (reason_code, detail, since)}``.

Reason codes and their Chinese names are in :mod:`slamon.core.vocabulary` (``ISSUE_REASONS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, bindparam, select, update

from slamon.adapters.store.bulk import chunks
from slamon.adapters.store.models import DataIssue

ISSUE = DataIssue.__table__

OpenIssue = tuple[str, str, dt.datetime]  # (reason_code, detail, since)


def open_issues(conn: Connection, ids: Sequence[str] | None = None) -> dict[str, OpenIssue]:
    """The open issues (of ``ids``, or all): application_id → (reason_code, detail, since)."""
    cols = (ISSUE.c.application_id, ISSUE.c.reason, ISSUE.c.detail, ISSUE.c.since)
    base = select(*cols).where(ISSUE.c.cleared_at.is_(None))
    out: dict[str, OpenIssue] = {}
    if ids is None:
        for aid, reason, detail, since in conn.execute(base):
            out[aid] = (reason, detail, since)
        return out
    if (
        conn.execute(select(ISSUE.c.id).where(ISSUE.c.cleared_at.is_(None)).limit(1)).first()
        is None
    ):
        return out  # none open at all (the usual case): one look instead of one per id
    for part in chunks(list(ids)):
        for aid, reason, detail, since in conn.execute(
            base.where(ISSUE.c.application_id.in_(part))
        ):
            out[aid] = (reason, detail, since)
    return out


def mark(
    conn: Connection,
    issues: Iterable[tuple[str, str, str]],
    now: dt.datetime,
    run_id: int | None = None,
) -> list[str]:
    """Open (or refresh) an issue for each (application_id, reason_code, detail); return the ids."""
    wanted: dict[str, tuple[str, str]] = {}
    for aid, reason, detail in issues:
        wanted[aid] = (reason, detail)
    if not wanted:
        return []
    already = open_issues(conn, list(wanted))
    inserts = [
        {
            "application_id": aid,
            "reason": reason,
            "detail": detail,
            "since": now,
            "last_seen_at": now,
            "poll_run_id": run_id,
            "cleared_at": None,
        }
        for aid, (reason, detail) in wanted.items()
        if aid not in already
    ]
    if inserts:
        conn.execute(ISSUE.insert(), inserts)
    updates = [
        {"b_id": aid, "reason": reason, "detail": detail, "last_seen_at": now, "run": run_id}
        for aid, (reason, detail) in wanted.items()
        if aid in already
    ]
    if updates:
        conn.execute(
            update(ISSUE)
            .where(ISSUE.c.application_id == bindparam("b_id"), ISSUE.c.cleared_at.is_(None))
            .values(
                reason=bindparam("reason"),
                detail=bindparam("detail"),
                last_seen_at=bindparam("last_seen_at"),
                poll_run_id=bindparam("run"),
            ),
            updates,
        )
    return list(wanted)


def clear(conn: Connection, ids: Iterable[str], now: dt.datetime) -> list[str]:
    """Close the open issues of ``ids``; return the ids that had one."""
    had = sorted(open_issues(conn, list(dict.fromkeys(ids))))
    for part in chunks(had):
        conn.execute(
            update(ISSUE)
            .where(ISSUE.c.application_id.in_(part), ISSUE.c.cleared_at.is_(None))
            .values(cleared_at=now)
        )
    return had
