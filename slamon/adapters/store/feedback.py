"""The 核实 round's record (``feedback_request``): which departments were asked about which
applications of a month's draft 存在问题, when, and until when they may answer. Append-only:
one row per (month, department), written in the transaction that queues its mail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, inspect, select

from slamon.adapters.store.models import FeedbackRequest, Outbox

FR = FeedbackRequest.__table__
OB = Outbox.__table__


def record(conn: Connection, row: dict[str, Any]) -> None:
    """Insert one department's request (its outbox row was just inserted under ``outbox_key``,
    whose uniqueness makes this a first and only insert)."""
    values = dict(row)
    values["applications"] = json.dumps(list(row["applications"]), ensure_ascii=False)
    values["recipients"] = json.dumps(list(row["recipients"]), ensure_ascii=False)
    conn.execute(FR.insert().values(**values))


def for_month(conn: Connection, month: str) -> list[dict[str, Any]]:
    """The month's requests, oldest first, each with its mail's outbox status (None when the
    outbox row is gone)."""
    if not inspect(conn).has_table(FR.name):
        return []
    query = (
        select(FR, OB.c.status.label("mail_status"), OB.c.sent_at.label("mail_sent_at"))
        .select_from(FR.outerjoin(OB, OB.c.key == FR.c.outbox_key))
        .where(FR.c.month == month)
        .order_by(FR.c.asked_at, FR.c.id)
    )
    out = []
    for r in conn.execute(query).mappings():
        row = dict(r)
        row["applications"] = json.loads(row["applications"] or "[]")
        row["recipients"] = json.loads(row["recipients"] or "[]")
        out.append(row)
    return out


def departments_asked(conn: Connection, month: str, names: Sequence[str]) -> set[str]:
    """Those of ``names`` already asked about ``month``."""
    if not names or not inspect(conn).has_table(FR.name):
        return set()
    query = select(FR.c.department).where(FR.c.month == month, FR.c.department.in_(list(names)))
    return {r[0] for r in conn.execute(query)}
