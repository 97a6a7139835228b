"""Exemptions (核实排除): append-only facts, never updated or deleted.

Each row is an ``exempt`` or a ``revoke`` fact with who, when and why; the latest fact of an
application decides whether it is exempted now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, inspect, select

from slamon.adapters.store.bulk import chunks
from slamon.adapters.store.models import Application, Exemption

EXEMPT = "exempt"
REVOKE = "revoke"

EX = Exemption.__table__
APP = Application.__table__


def record_facts(
    conn: Connection,
    ids: Iterable[str],
    action: str,
    reason: str,
    by: str,
    at: dt.datetime,
) -> int:
    rows = [
        {"application_id": aid, "action": action, "reason": reason, "by": by, "at": at}
        for aid in ids
    ]
    if rows:
        conn.execute(EX.insert(), rows)
    return len(rows)


def _has_table(conn: Connection) -> bool:
    return inspect(conn).has_table(EX.name)


def facts(conn: Connection, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every fact (of ``ids`` when given), oldest first, with the application's provider and
    resource (None when the application is not in the store)."""
    if not _has_table(conn):
        return []
    query = (
        select(
            EX.c.id,
            EX.c.application_id,
            EX.c.action,
            EX.c.reason,
            EX.c.by,
            EX.c.at,
            APP.c.provider_dept,
            APP.c.resource_name,
            APP.c.submitted_at,
        )
        .outerjoin(APP, APP.c.application_id == EX.c.application_id)
        .order_by(EX.c.id)
    )
    if ids is None:
        return [dict(r) for r in conn.execute(query).mappings()]
    out: list[dict[str, Any]] = []
    for part in chunks(list(ids)):
        out.extend(
            dict(r) for r in conn.execute(query.where(EX.c.application_id.in_(part))).mappings()
        )
    out.sort(key=lambda r: r["id"])
    return out


def active(conn: Connection) -> dict[str, dict[str, Any]]:
    """application_id → its exempt fact (as :func:`facts` gives it), for every application
    exempted now."""
    latest: dict[str, dict[str, Any]] = {}
    for row in facts(conn):
        latest[row["application_id"]] = row
    return {aid: f for aid, f in latest.items() if f["action"] == EXEMPT}


def known_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` that are in the application table."""
    out: set[str] = set()
    for part in chunks(list(ids)):
        out.update(
            conn.execute(
                select(APP.c.application_id).where(APP.c.application_id.in_(part))
            ).scalars()
        )
    return out
