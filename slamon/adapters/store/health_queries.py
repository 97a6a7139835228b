"""Questions operators' monitoring asks the store: who holds the lease, how the polls went, the
outbox by state, applications by stage, rejected rows and open data issues."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, select

from slamon.adapters.store.models import DataIssue, Lease, Outbox, PollRun, RejectedRow, SlaStateRow
from slamon.core.vocabulary import RUN_OK

LEASE, RUN, OUTBOX = Lease.__table__, PollRun.__table__, Outbox.__table__
SLA, REJECTED, ISSUE = SlaStateRow.__table__, RejectedRow.__table__, DataIssue.__table__
LAST_DELIVERY_KEY = "last_delivery"


def lease_state(conn: Connection, name: str = "scheduler") -> dict[str, Any] | None:
    """The lease row: {holder, expires_at}, or None before any daemon ran."""
    row = conn.execute(
        select(LEASE.c.holder, LEASE.c.expires_at).where(LEASE.c.name == name)
    ).first()
    return {"holder": row.holder, "expires_at": row.expires_at} if row else None


def poll_totals(conn: Connection) -> dict[str, Any]:
    """Poll runs by status and the rows they read, inserted, updated and rejected (ok runs)."""
    by_status = dict(conn.execute(select(RUN.c.status, func.count()).group_by(RUN.c.status)).all())
    sums = conn.execute(
        select(
            func.coalesce(func.sum(RUN.c.fetched), 0),
            func.coalesce(func.sum(RUN.c.inserted), 0),
            func.coalesce(func.sum(RUN.c.updated), 0),
            func.coalesce(func.sum(RUN.c.rejected), 0),
        ).where(RUN.c.status == RUN_OK)
    ).one()
    return {
        "runs": {k: int(v) for k, v in by_status.items()},
        "fetched": int(sums[0]),
        "inserted": int(sums[1]),
        "updated": int(sums[2]),
        "rejected": int(sums[3]),
    }


def last_sent_at(conn: Connection) -> dt.datetime | None:
    return conn.execute(select(func.max(OUTBOX.c.sent_at))).scalar_one_or_none()


def stage_counts(conn: Connection) -> dict[str, int]:
    """Applications by SLA stage as of their last evaluation."""
    rows = conn.execute(select(SLA.c.stage, func.count()).group_by(SLA.c.stage)).all()
    return {stage: int(n) for stage, n in rows}


def rejected_row_count(conn: Connection) -> int:
    """Rejected rows still open (not settled by a later good row), as ``status`` lists them."""
    return int(
        conn.execute(
            select(func.count()).select_from(REJECTED).where(REJECTED.c.settled_at.is_(None))
        ).scalar_one()
    )


def open_data_issue_count(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(ISSUE).where(ISSUE.c.cleared_at.is_(None))
        ).scalar_one()
    )
