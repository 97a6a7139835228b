"""The store's answers behind ``slamon explain``: an application's history, the mail about it and
the rows of it a source delivered that were rejected."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from slamon.adapters.store.models import ApplicationEvent, Outbox, PollRun, RejectedRow

EVENT = ApplicationEvent.__table__
OUTBOX = Outbox.__table__
REJECTED = RejectedRow.__table__
RUN = PollRun.__table__


def events_of(conn: Connection, application_id: str) -> list[dict[str, Any]]:
    """Every change slamon saw of one application, oldest first (``changes`` parsed)."""
    rows = conn.execute(
        select(
            EVENT.c.observed_at,
            EVENT.c.kind,
            EVENT.c.review_status,
            EVENT.c.decision,
            EVENT.c.received_at,
            EVENT.c.decided_at,
            EVENT.c.changes,
            EVENT.c.poll_run_id,
        )
        .where(EVENT.c.application_id == application_id)
        .order_by(EVENT.c.id)
    ).mappings()
    out = []
    for r in rows:
        row = dict(r)
        try:
            row["changes"] = json.loads(row["changes"] or "{}")
        except ValueError:
            row["changes"] = {}
        out.append(row)
    return out


def mail_about(conn: Connection, application_id: str) -> list[dict[str, Any]]:
    """The outbox rows (notices, escalations) whose items list the application, oldest first,
    each with the item snapshot it carried."""
    needle = json.dumps(application_id, ensure_ascii=False)
    rows = conn.execute(
        select(
            OUTBOX.c.id,
            OUTBOX.c.kind,
            OUTBOX.c.department,
            OUTBOX.c.working_day,
            OUTBOX.c.status,
            OUTBOX.c.sent_at,
            OUTBOX.c.created_at,
            OUTBOX.c.subject,
            OUTBOX.c.recipients,
            OUTBOX.c.unassigned,
            OUTBOX.c["items"],
        )
        .where(OUTBOX.c["items"].contains(needle))
        .order_by(OUTBOX.c.id)
    ).mappings()
    out = []
    for r in rows:
        try:
            items = json.loads(r["items"] or "[]")
        except ValueError:
            continue
        mine = [
            i for i in items if isinstance(i, dict) and i.get("application_id") == application_id
        ]
        if not mine:
            continue
        row = dict(r)
        row["item"] = mine[0]
        row["recipients"] = json.loads(r["recipients"] or "[]")
        del row["items"]
        out.append(row)
    return out


def rejections_of(conn: Connection, application_id: str) -> list[dict[str, Any]]:
    """The rejected rows carrying this application id, each with the read (poll run) that last
    delivered it, the latest first."""
    r = REJECTED
    query = (
        select(
            r.c.source,
            r.c.row_ref,
            r.c.field,
            r.c.message,
            r.c.first_seen_at,
            r.c.last_seen_at,
            r.c.settled_at,
            r.c.poll_run_id,
            RUN.c.started_at.label("run_started_at"),
        )
        .select_from(r.outerjoin(RUN, RUN.c.id == r.c.poll_run_id))
        .where(r.c.application_id == application_id)
        .order_by(r.c.last_seen_at.desc(), r.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]
