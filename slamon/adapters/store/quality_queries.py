"""The store's answers behind a report's data-quality note: rejected rows, withdrawn applications,
department names. Questions by name, no business rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, inspect, select

from slamon.adapters.store.models import Application, RejectedRow

APP = Application.__table__
REJ = RejectedRow.__table__


def rejected_rows(
    conn: Connection, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> int:
    """Rows still rejected (not since fixed) that were seen in [since, until] (all when None)."""
    if not inspect(conn).has_table(REJ.name):
        return 0
    query = select(func.count()).select_from(REJ)
    if since is not None:
        query = query.where(REJ.c.last_seen_at >= since)
    if until is not None:
        query = query.where(REJ.c.first_seen_at <= until)
    return int(conn.execute(query).scalar() or 0)


def count_decision(conn: Connection, decision: str) -> int:
    """How many applications have ``decision`` now."""
    return int(
        conn.execute(
            select(func.count()).select_from(APP).where(APP.c.decision == decision)
        ).scalar()
        or 0
    )


def provider_counts(
    conn: Connection, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[str, int]:
    """provider_dept → applications (submitted in [since, until] when given)."""
    if not inspect(conn).has_table(APP.name):
        return {}
    query = select(APP.c.provider_dept, func.count()).group_by(APP.c.provider_dept)
    if since is not None:
        query = query.where(APP.c.submitted_at >= since)
    if until is not None:
        query = query.where(APP.c.submitted_at <= until)
    return {name: int(n) for name, n in conn.execute(query)}
